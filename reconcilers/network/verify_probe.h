// `ironward verify`: the probe a short-lived container runs, and how its output is judged.
//
// Pure functions only (no Docker, no files): controller/verify_command.cpp gathers the inputs,
// runs the container and prints the rows. The probe needs only `sh` and `curl` in the image.
//
// Checks (one row each):
//   direct-egress   a raw connection to --direct-target without the proxy      expected: blocked
//   allowlisted     --allowed-url through the proxy, with the provider's proxy   expected: reached upstream
//                   token in its header
//   token-swap      the upstream never saw the proxy token (needs an upstream    expected: token replaced
//                   that echoes the request: --echo-upstream; otherwise skipped,
//                   but a token seen in any response body always fails)
//   not-allowlisted --denied-url through the proxy                              expected: 403 from proxy
//   loopback        https://127.0.0.1/ through the proxy                        expected: refused (403/502)
//   imds            https://169.254.169.254/ through the proxy                  expected: refused (403/502)
#pragma once

#include <map>
#include <string>
#include <vector>

#include "state/spec/spec.h"

namespace ironward::verify {

struct ProbeInputs {
  std::string direct_target;   ///< host:port
  std::string allowed_url;     ///< "" = no allowlisted check possible (row fails with a reason)
  std::string token_header;    ///< header the provider's token goes in ("Authorization"); "" = none
  bool token_bearer = true;    ///< "Bearer <token>" (Authorization) or the bare token
  std::string denied_url;
  bool echo_upstream = false;
};

/// The env var the probe reads the proxy token from (never on the command line).
inline constexpr const char* kTokenEnv = "IRONWARD_VERIFY_TOKEN";

/// `sh -c` script; each check prints one line "IWCHECK <name> <curl exit> <http_code> <http_connect>",
/// the body check prints "IWSWAP <yes|no|empty>".
std::string BuildProbeScript(const ProbeInputs& in);

struct CheckRow {
  std::string check;
  std::string expected;
  std::string got;
  std::string result;  ///< "pass" | "FAIL" | "skipped"
};

/// Judges the probe's stdout. A check whose line is missing fails ("no result").
std::vector<CheckRow> EvaluateProbe(const ProbeInputs& in, const std::string& probe_stdout);

bool AllPassed(const std::vector<CheckRow>& rows);

/// Host[:port] of an http(s) URL ("" when it is not one).
std::string HostOfUrl(const std::string& url);
/// `verify`'s default allowlisted URL: https:// on the first host sure to be allowlisted (a
/// required provider's, then spec.allowlist; an optional provider's, which is left out while its
/// key is missing, last); a wildcard `*.x` as `x`; "" when there is none.
std::string DefaultAllowedUrl(const spec::Spec& spec);

}  // namespace ironward::verify
