// iron-proxy.pid (0600, JSON): which process ironward started and with which inputs.
//   { "version":1, "pid":123, "nonce":"…", "starttime":456, "started_at":"RFC3339",
//     "state":"starting|running|stopping|crashed", "inputs":{ binary_sha256, config_digest, … } }
// `state` says whether an exit is expected: "stopping" = ironward asked it to stop; "crashed" =
// the crash was already counted; pid 0 + "starting" = a start was interrupted before the pid
// was known (the nonce still finds the process: see FindStrays).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "state/result.h"

namespace ironward::daemon {

inline constexpr const char* kPidFile = "iron-proxy.pid";
inline constexpr const char* kManagementKeyFile = "management.key";

/// Everything the proxy process was (or will be) started with, as digests. A difference in
/// any field is planned as a reload (ruleset/config only) or a restart (everything else).
struct Inputs {
  std::string binary_sha256;
  std::string config_digest;
  std::string listeners_digest;
  std::string ruleset_digest;
  std::string ca_cert_digest;
  std::string secrets_digest;   ///< SecretFacts::combined_digest ("" = no secrets)
  std::string env_digest;       ///< SSL_CERT_FILE path + its content digest
  std::string management_key_digest;
  std::string log_level;
  /// For plans only (not in Digest(): they follow config_digest and secrets_digest): what the
  /// config says field by field (proxy_config/config_summary.h, no token) and each secret's
  /// "sha256:<12 hex>". Empty in records written before they existed.
  nlohmann::json config_summary;
  std::map<std::string, std::string> secret_digests;

  bool operator==(const Inputs&) const = default;
  /// One digest over the digest fields (crash-loop series identity).
  std::string Digest() const;
};

enum class RecordState { kStarting, kRunning, kStopping, kCrashed };
std::string ToString(RecordState s);

struct PidRecord {
  pid_t pid = 0;
  std::string nonce;
  std::uint64_t starttime = 0;
  std::string started_at;
  RecordState state = RecordState::kStarting;
  Inputs inputs;
};

std::string SerializePidRecord(const PidRecord& r);
Result<PidRecord> ParsePidRecord(const std::string& text);

}  // namespace ironward::daemon
