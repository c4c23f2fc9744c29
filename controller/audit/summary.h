// What `ironward audit` reports: which records match the filters, and per host how many were
// allowed, rejected, errored, when first and last, and from which client addresses.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "controller/audit/audit_record.h"

namespace ironward::audit {

struct Filter {
  std::optional<SystemTime> since;  ///< records at or after; a record without a time never matches
  std::string host_glob;            ///< fnmatch(3) pattern on HostName, case-insensitive; "" = any
  bool denied_only = false;         ///< action "reject" only

  bool Matches(const Record& r) const;
};

/// --since: a duration back from `now` ("90s", "30m", "1h", "1h30m", "2d") or an RFC 3339 time
/// ("2026-05-01T10:00:00Z", "2026-05-01T12:00:00+02:00"). nullopt with `error` set otherwise.
std::optional<SystemTime> ParseSince(const std::string& text, SystemTime now, std::string* error);

struct HostStats {
  std::string host;  ///< HostName ("" when the proxy logged none)
  std::uint64_t allowed = 0, rejected = 0, errors = 0, other = 0;
  std::optional<SystemTime> first_seen, last_seen;
  std::set<std::string> sources;      ///< client addresses without port
  std::set<std::string> rejected_by;  ///< transforms that rejected it

  std::uint64_t total() const { return allowed + rejected + errors + other; }
};

class Summary {
 public:
  void Add(const Record& r);
  /// Most rejected first, then most records, then by name.
  std::vector<HostStats> Hosts() const;
  std::uint64_t records() const { return records_; }

 private:
  std::map<std::string, HostStats> hosts_;
  std::uint64_t records_ = 0;
};

/// What was read: counted by `ironward audit` for its footer and -o json.
struct ReadStats {
  std::uint64_t records = 0;      ///< request records (before filtering)
  std::uint64_t other_lines = 0;  ///< JSON log lines that are not request records
  std::uint64_t garbage = 0;      ///< lines that are not JSON (plain text, partial, corrupt)
  std::vector<std::string> files; ///< files read, oldest first
  std::uint64_t lost = 0;         ///< rotated generations gone before they were read
};

/// Counts one log line into `stats` and hands it to `on_record` when it is a request record.
void ReadLine(std::string_view line, ReadStats* stats, const std::function<void(const Record&)>& on_record);

/// Container name per client address (from Docker); an address not in it is shown as itself.
using SandboxNames = std::map<std::string, std::string>;
std::string SandboxOf(const std::string& source, const SandboxNames& names);

}  // namespace ironward::audit
