// bin/iron-proxy.json (0600): what the binary reconciler installed, so every pass can tell an
// intact install from a tampered, replaced or outdated one without touching the network.
#pragma once

#include <optional>
#include <string>

#include "state/result.h"
#include "state/state_dir.h"

namespace ironward::binary {

struct InstallRecord {
  int format = 1;
  std::string version;         ///< as printed by `iron-proxy version`
  std::string tarball_sha256;  ///< the pinned (and verified) release archive digest
  std::string binary_sha256;   ///< of bin/iron-proxy as installed
  std::string source_url;      ///< where the archive came from
  std::string platform;        ///< "linux/amd64"
  std::string installed;       ///< RFC 3339
  /// bin/iron-proxy's identity (device, inode, size, mtime, ctime) when binary_sha256 was last
  /// proven: while it is unchanged the file is not re-hashed (except in full checks). Absent in
  /// records written before ironward recorded it.
  std::optional<state::FileIdentity> binary_identity;
};

Result<InstallRecord> ParseInstallRecord(const std::string& text);
std::string SerializeInstallRecord(const InstallRecord& record);

}  // namespace ironward::binary
