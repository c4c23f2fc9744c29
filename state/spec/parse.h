// Internal to the loader: one function per section of the desired state. Each fills what it
// can and reports every problem to the Diag; the loader returns a state only if none did.
#pragma once

#include <functional>

#include "state/spec/spec.h"
#include "state/spec/yaml_reader.h"

namespace ironward::spec::detail {

/// loader.cpp: the checks of one file's text (size, NUL bytes, exactly one document, keys and
/// nesting), then its tree. `line_offset`: the lines of the files before it (see Pos).
/// `allow_empty`: a file with no document (an overlay) gives a null node instead of an error.
std::optional<YAML::Node> ParseText(Diag& diag, const std::string& text, int line_offset, bool allow_empty);
/// loader.cpp: the whole document into `out`, every problem reported.
void ParseDocument(Diag& diag, const YAML::Node& root, DesiredState* out);
/// loader.cpp: runs `load`, reporting a yaml-cpp or any other exception it throws as a diagnostic
/// (the parse boundary: nothing escapes the loader).
void CatchingLoadErrors(Diag& diag, const std::function<void()>& load);

/// parse_spec.cpp: a list of host patterns (CheckHostPattern); duplicates are warnings.
std::vector<std::string> ReadHosts(Diag& diag, const Field& field, bool allow_empty);

void ParseProxy(Diag& diag, const Field& field, ProxySpec* out);                // parse_proxy.cpp
void ParseCa(Diag& diag, const Field& field, CaSpec* out);                      // parse_proxy.cpp
void ParseProviders(Diag& diag, const Field& field, std::vector<Provider>* out);  // parse_spec.cpp
void ParseAllowlist(Diag& diag, const Field& field, std::vector<std::string>* out);
void ParseCredentials(Diag& diag, const Field& field, CredentialsSpec* out);
void ParseTokens(Diag& diag, const Field& field, TokensSpec* out);
void ParseEnforcement(Diag& diag, const Field& field, EnforcementSpec* out);
void ParseReconcile(Diag& diag, const Field& field, ReconcileSpec* out);
void ParseWiring(Diag& diag, const Field& field, WiringSpec* out);              // parse_wiring.cpp
void ParseDns(Diag& diag, const Field& field, DnsSpec* out);                     // parse_dns.cpp
/// parse_dns.cpp: fills enforcement.routing's default and reports a routing the rest of the spec
/// cannot serve (dns/both with network none or another bind).
void CheckRouting(Diag& diag, Spec* spec);
/// `wiring` is parsed first: a sandbox mount may not hide its CA path.
void ParseSandboxes(Diag& diag, const Field& field, const WiringSpec& wiring,
                    std::vector<Sandbox>* out);                                  // parse_sandboxes.cpp
// parse_sandbox_fields.cpp: the optional fields of one sandbox.
void ParsePorts(Diag& diag, const Field& field, std::vector<PortSpec>* out);
void ParseCapAdd(Diag& diag, const Field& field, std::vector<std::string>* out);
void ParseUser(Diag& diag, const Field& field, std::string* out);
void ParseHealthcheck(Diag& diag, const Field& field, std::optional<Healthcheck>* out);
void ParseNoProxy(Diag& diag, const Field& field, std::vector<std::string>* out);
void ParseSecretEnv(Diag& diag, const Field& field, std::map<std::string, std::string>* out);
/// A mapping keyed by environment variable names (env, secretEnv): records each key's position,
/// reports a non-mapping (as `what`) and invalid names, and hands the rest to `on_var`.
void ParseVarMap(Diag& diag, const Field& field, const char* what,
                 const std::function<void(const std::string& name, const Field& value)>& on_var);
/// Checks that span sections (names, secrets, env collisions, bind vs network).
void CrossCheck(Diag& diag, const Spec& spec);                                  // cross_checks.cpp

/// Prefix of every variable ironward reserves in sandboxes (incl. IRONWARD_PROXY_TOKEN_*).
inline constexpr const char* kReservedEnvPrefix = "IRONWARD_";

}  // namespace ironward::spec::detail
