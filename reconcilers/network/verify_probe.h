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
//   dns-routing     with enforcement.routing dns/both: https://<allowed host>/   expected: resolves to the proxy,
//                   (its default port) without any proxy (curl --noproxy '*'),   answered
//                   through the sandbox's resolver and the firewall's DNAT
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
  /// enforcement.routing dns/both: the gateway the proxy's DNS answers every name with ("" = not
  /// routed by DNS: no dns-routing row).
  std::string dns_proxy_ip;
  /// The direct target's port is one the firewall steers to the proxy (80/443 with DNS routing):
  /// an answer refused by the proxy then counts as blocked too.
  bool direct_steered = false;
};

/// The env var the probe reads the proxy token from (never on the command line).
inline constexpr const char* kTokenEnv = "IRONWARD_VERIFY_TOKEN";

/// `sh -c` script; each check prints one line "IWCHECK <name> <curl exit> <http_code> <http_connect>",
/// the body check prints "IWSWAP <yes|no|empty>", the dns-routing check "IWDNS <curl exit> ip=<remote ip>
/// code=<http_code>".
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

/// The dns-routing row's URL: the allowed URL's scheme and host on its default port (only 80/443
/// are steered), "" without DNS routing or when the host is localhost or an IP literal (skipped).
std::string DnsRoutingUrl(const ProbeInputs& in);
/// Host[:port] of an http(s) URL ("" when it is not one).
std::string HostOfUrl(const std::string& url);
/// `verify`'s default allowlisted URL: https:// on the first host sure to be allowlisted (a
/// required provider's, then spec.allowlist; an optional provider's, which is left out while its
/// key is missing, last); a wildcard `*.x` as `x`; "" when there is none.
std::string DefaultAllowedUrl(const spec::Spec& spec);

}  // namespace ironward::verify
