// A provider's key is swapped into HTTP headers (or the URL) of every request to its hosts. Go's
// net/http refuses a header value with CR, LF or another control character, so the real
// iron-proxy answers 502 to every request for that provider; a key pasted into Bitwarden with a
// newline, or an env file with a stray CR, breaks the provider without a word. Checked where the
// value enters ironward, so the message names the secret and its source (never the value).
//
// Only providers' keys: a sandbox's secretEnv value goes into a container's environment, where
// a multi-line value (a PEM key) is legitimate.
#pragma once

#include <string>

namespace ironward::secrets {

struct CheckedValue {
  std::string value;    ///< the value to use (a trailing CR/LF trimmed)
  std::string warning;  ///< set when something was trimmed
  std::string problem;  ///< set when the value cannot be used ("contains ..."); value is then empty
};

/// `source` reads as "in ironward's environment", "in credentials.envFile /x", "in Bitwarden project P".
CheckedValue CheckProviderValue(const std::string& name, const std::string& source, std::string value);

}  // namespace ironward::secrets
