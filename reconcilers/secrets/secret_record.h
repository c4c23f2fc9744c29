// secrets.json (0600 in the state dir): what the last successful fetch returned, as digests.
// It never holds a value. A dry run reads it to show what is known without contacting
// Bitwarden; one-shot commands start from it (values themselves are fetched again at apply).
//   {"version":1,"source":"bitwarden","project_id":"…","fetched_at":"RFC3339",
//    "secrets":{"OPENROUTER_API_KEY":{"sha256":"…","fetched_at":"…","changed_at":"…"}}}
#pragma once

#include <map>
#include <string>

#include "state/result.h"

namespace ironward::secrets {

inline constexpr const char* kSecretRecordFile = "secrets.json";

struct SecretRecordEntry {
  std::string sha256;      ///< of the value
  std::string fetched_at;  ///< last fetch that returned it
  std::string changed_at;  ///< first fetch that returned this digest
};

struct SecretRecord {
  std::string source;      ///< "bitwarden"
  std::string project_id;
  std::string fetched_at;  ///< last successful fetch
  std::map<std::string, SecretRecordEntry> secrets;
};

std::string SerializeSecretRecord(const SecretRecord& record);
Result<SecretRecord> ParseSecretRecord(const std::string& text);

/// The record after a successful fetch at `now` of `digests` (name -> sha256): changed_at kept
/// for digests that did not move.
SecretRecord NextRecord(const SecretRecord* previous, const std::string& project_id,
                        const std::map<std::string, std::string>& digests, const std::string& now);

}  // namespace ironward::secrets
