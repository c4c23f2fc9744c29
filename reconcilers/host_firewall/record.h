// host-firewall.json (0600): the accepts this state directory added to ufw / firewalld, so that
// it heals exactly those, removes exactly those (a changed spec, enforcement.network: none,
// `ironward down`) and never touches a rule an operator wrote. Written before the accept is added:
// a crash in between leaves a record of a rule that may not exist (Revoke is idempotent), never a
// rule no state directory will remove.
#pragma once

#include <string>
#include <vector>

#include "reconcilers/host_firewall/host_firewall.h"
#include "state/state_dir.h"

namespace ironward::hostfw {

inline constexpr const char* kRecordFile = "host-firewall.json";

struct RecordedAccept {
  Tool tool = Tool::kUfw;
  std::string where;  ///< firewalld zone
  Opening opening;
  bool operator==(const RecordedAccept&) const = default;
};

/// Empty when the file does not exist; an unreadable or corrupt record is an error (terminal:
/// guessing would risk leaving a rule behind or removing an operator's).
Result<std::vector<RecordedAccept>> ReadRecord(const state::StateReader& state);
/// Writes the record; an empty list removes the file.
Status WriteRecord(state::StateWriter& state, const std::vector<RecordedAccept>& accepts);

}  // namespace ironward::hostfw
