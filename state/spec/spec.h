// The desired state (apiVersion ironward.dev/v1, kind EgressGateway), fully defaulted.
//
// The loader (loader.h) fills these from YAML and validates them; everything downstream
// reads only these types, never YAML. Field names mirror the YAML (camelCase there,
// snake_case here). Defaults live here so docs, schema and code agree on one place.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ironward::spec {

inline constexpr const char* kApiVersion = "ironward.dev/v1";
inline constexpr const char* kKind = "EgressGateway";

/// Where the proxy listens for sandboxes (tunnel + http listeners). Never 0.0.0.0.
enum class BindKind {
  kLoopback,        ///< 127.0.0.1
  kDockerBridge,    ///< the IPv4 address of the docker0 bridge (host-gateway)
  kSandboxNetwork,  ///< the gateway of ironward's internal sandbox network
  kAddress,         ///< an explicit IPv4 address (bind_address)
};

struct ProxySource {
  /// Template with {version}, {os}, {arch}; https://, http:// or file://.
  std::string url =
      "https://github.com/ironsh/iron-proxy/releases/download/v{version}/"
      "iron-proxy_{version}_{os}_{arch}.tar.gz";
  std::string sha256;  ///< required: 64 lowercase hex of the tarball
  /// checksums.txt location; default: same directory as the tarball.
  std::optional<std::string> checksums_url;
};

struct ProxySpec {
  std::string version = "0.39.0";
  ProxySource source;
  BindKind bind = BindKind::kDockerBridge;
  std::string bind_address;       ///< only for BindKind::kAddress
  std::uint16_t tunnel_port = 9090;
  std::uint16_t http_port = 0;    ///< 0 in YAML = tunnelPort + 1 (filled by the loader)
  /// Loopback-only listeners. 0 = derived from tunnelPort (+2, +3, +4, +5) by the loader.
  std::uint16_t metrics_port = 0;
  std::uint16_t management_port = 0;
  std::uint16_t dns_port = 0;     ///< 0.39–0.42 cannot disable DNS: parked on loopback
  std::uint16_t https_port = 0;   ///< https_listen is always bound; parked on loopback
  bool upstream_deny_default = true;          ///< "default" in YAML
  std::vector<std::string> upstream_deny_cidrs;  ///< the resolved list (defaults expanded)
  std::string log_level = "info";  ///< debug | info | warn | error
  /// Optional PEM bundle the proxy trusts for upstream TLS (passed as SSL_CERT_FILE), for
  /// TLS-inspecting corporate egress or a test upstream. "" = the system store.
  std::string upstream_ca_file;
  /// The longest wait between restarts of a crashing proxy; a crash loop is retried at this
  /// interval for ever (as Kubernetes' CrashLoopBackOff), never given up on.
  std::chrono::seconds max_restart_backoff = std::chrono::minutes(5);
  /// proxy.upstream_response_header_timeout: how long the proxy waits for an upstream's response
  /// headers before answering 502. Unset = not rendered (iron-proxy's default, 30 s), so existing
  /// configs and their digests stay as they were.
  std::optional<std::chrono::seconds> upstream_response_header_timeout;
};

enum class CaAlgorithm { kRsa4096, kEcdsaP256, kEd25519 };

struct CaSpec {
  CaAlgorithm algorithm = CaAlgorithm::kRsa4096;
  std::chrono::seconds validity = std::chrono::hours(87600);
  /// Renew this long before notAfter; nullopt = at 2/3 of the lifetime.
  std::optional<std::chrono::seconds> renew_before;
  std::int64_t rotation = 1;
};

/// Where a sandbox puts the provider's proxy token (`in:`). iron-proxy's replace mode always
/// scans the listed headers; the URL path and the query values only when asked (match_path,
/// match_query), for keys that APIs take in the URL (Telegram's /bot<TOKEN>/, Google's ?key=).
struct TokenPlaces {
  bool header = true;
  bool path = false;
  bool query = false;
  bool operator==(const TokenPlaces&) const = default;
};

/// One provider, with what the built-in catalog (provider_catalog.h) fills in for a catalog name
/// already applied: downstream code never needs to look at the catalog.
struct Provider {
  std::string name;    ///< [a-z0-9][a-z0-9-]*, unique
  std::string secret;  ///< env var name (env source) or the secret's key in Bitwarden
  std::vector<std::string> hosts;
  std::vector<std::string> headers = {"Authorization"};
  TokenPlaces in;
  /// A missing key leaves this provider out of the proxy config (Degraded) instead of failing
  /// the pass; it is added on the first pass that finds the key.
  bool optional = false;
};

/// "header", "path", "query" joined with ", " in that order.
std::string ToString(const TokenPlaces& in);

enum class CredentialSource { kEnv, kBitwarden };

struct BitwardenSpec {
  std::string project_id;  ///< UUID
  std::string access_token_env = "BWS_ACCESS_TOKEN";
  std::string server_url = "https://vault.bitwarden.com";
  /// Explicit endpoints; when both are empty they derive from server_url (see docs).
  std::string api_url;
  std::string identity_url;
  std::chrono::seconds refresh_interval = std::chrono::hours(1);
  std::chrono::seconds retry_interval = std::chrono::seconds(30);
};

struct CredentialsSpec {
  CredentialSource source = CredentialSource::kEnv;
  std::string env_file;  ///< optional; must be 0600 and ours
  BitwardenSpec bitwarden;
  bool allow_env_fallback = false;
};

struct TokensSpec {
  std::int64_t rotation = 1;
};

enum class EnforcementMode { kOff, kWarn, kEnforce };
enum class NetworkMode { kNone, kInternal };
/// auto: with network internal, ironward adds the accept the sandbox network needs to an active
/// ufw / firewalld (reconcilers/host_firewall); off: it never touches them (doctor still reports).
enum class HostFirewallMode { kAuto, kOff };
enum class UncoveredPolicy { kWarn, kFail };
/// How a sandbox's traffic reaches the proxy (spec.enforcement.routing): by the proxy variables
/// (HTTPS_PROXY, ...), by DNS (the proxy's DNS server answers every name with the gateway and the
/// sandbox network's firewall steers TCP 80/443 and DNS to the proxy's listeners), or both.
enum class RoutingMode { kProxyVariables, kDns, kBoth };

struct EnforcementSpec {
  EnforcementMode mode = EnforcementMode::kWarn;
  NetworkMode network = NetworkMode::kNone;
  UncoveredPolicy uncovered_providers = UncoveredPolicy::kWarn;
  std::string selector = "ironward.dev/policed=true";  ///< label key[=value]
  std::string network_name = "ironward-sandboxes";       ///< docker network for kInternal
  std::string network_subnet = "172.30.99.0/24";         ///< its subnet; gateway = .1
  bool require_digest = false;  ///< every sandbox image must be pinned by @sha256: digest
  HostFirewallMode host_firewall = HostFirewallMode::kAuto;  ///< YAML hostFirewall: auto | off
  /// The loader fills the default: kBoth with network internal and bind sandbox-network, else
  /// kProxyVariables. `routing_set`: written in the YAML (so an invalid combination is an error).
  RoutingMode routing = RoutingMode::kProxyVariables;
  bool routing_set = false;

  /// The proxy's DNS answers the sandboxes' names and the firewall steers them (kDns, kBoth).
  bool RoutesDns() const { return routing != RoutingMode::kProxyVariables; }
  /// Sandboxes get HTTPS_PROXY/HTTP_PROXY and friends (kProxyVariables, kBoth).
  bool InjectsProxyVariables() const { return routing != RoutingMode::kDns; }
};

/// A static answer of the proxy's DNS server (spec.dns.records[], iron-proxy dns.records).
struct DnsRecord {
  std::string name;   ///< lowercase DNS name
  std::string type;   ///< "A" | "CNAME"
  std::string value;  ///< IPv4 address (A) or DNS name (CNAME)
  bool operator==(const DnsRecord&) const = default;
};

/// spec.dns: what the proxy's DNS server answers besides the proxy's own address (only used with
/// enforcement.routing dns or both).
struct DnsSpec {
  std::vector<std::string> passthrough;  ///< host globs resolved upstream (iron-proxy dns.passthrough)
  std::vector<DnsRecord> records;
  bool IsDefault() const { return passthrough.empty() && records.empty(); }
};

struct Resources {
  std::int64_t memory_bytes = 2LL * 1024 * 1024 * 1024;  ///< YAML "2g"
  double cpus = 1.0;
  std::int64_t pids = 256;
};

/// A published port: host_address:host_port -> container_port/protocol.
struct PortSpec {
  std::string host_address = "127.0.0.1";  ///< loopback unless written; 0.0.0.0/:: only with public
  std::uint16_t host_port = 0;
  std::uint16_t container_port = 0;
  std::string protocol = "tcp";  ///< tcp | udp
  bool is_public = false;        ///< `public: true`: the entry may bind every address

  std::string ToString() const;  ///< "127.0.0.1:8080:80/tcp"
};

struct Healthcheck {
  std::vector<std::string> command;  ///< run with exec (CMD), exit 0 = healthy
  std::chrono::seconds interval = std::chrono::seconds(30);
  std::chrono::seconds timeout = std::chrono::seconds(10);
  int retries = 3;
};

enum class RestartPolicy { kUnset, kNo, kAlways, kOnFailure };

struct Sandbox {
  std::string name;  ///< [a-zA-Z0-9][a-zA-Z0-9_.-]*, unique
  std::string image;
  std::vector<std::string> command;
  std::map<std::string, std::string> env;
  std::vector<std::string> mounts;  ///< "host:container[:ro|rw]"
  Resources resources;
  // Everything below is optional; an unset field leaves the spec digest (and the container) as before.
  std::vector<PortSpec> ports;
  std::string user;                  ///< "uid[:gid]" or "name[:group]"; "" = the image's
  std::vector<std::string> cap_add;  ///< from the safe list (validators.h SafeCapabilities)
  /// kUnset = ironward restarts an exited sandbox by replacing it (as before); the others are the
  /// engine's restart policy.
  RestartPolicy restart = RestartPolicy::kUnset;
  bool oneshot = false;              ///< runs to completion; exit 0 is success, not drift
  std::optional<Healthcheck> healthcheck;
  std::vector<std::string> no_proxy;  ///< extra NO_PROXY names (other sandboxes)
  bool require_digest = false;        ///< the image must be pinned by @sha256: digest
  /// VAR -> secret name, resolved through spec.credentials like a provider's key and set only in
  /// this container (a dashboard password, a bot token). Never a provider's secret.
  std::map<std::string, std::string> secret_env;
};

/// The names a wired container sees (spec.wiring): the token variables' prefix, the marker
/// variable and where the egress CA is mounted. Owned sandboxes, `ironward wiring` output and
/// enforcement's compliance check all use these, so existing agent images find what they read.
struct WiringSpec {
  std::string profile;  ///< "" (ironward's own names) or "hermes"
  std::string token_env_prefix = "IRONWARD_PROXY_TOKEN_";
  std::string marker_env = "IRONWARD_EGRESS_PROXY";
  std::string ca_path = "/etc/ssl/certs/ironward-egress-ca.crt";

  bool IsDefault() const;
};

/// The names profile `name` sets ("" = ironward's defaults); nullopt for an unknown profile.
std::optional<WiringSpec> WiringProfile(const std::string& name);

inline constexpr int kDefaultParallelism = 4;
inline constexpr int kMaxParallelism = 32;

struct ReconcileSpec {
  std::chrono::seconds interval = std::chrono::minutes(10);
  bool prune = false;
  bool suspend = false;
  /// Docker Engine API calls in flight at once (sandbox creates, inspects); 1 = one at a time.
  int parallelism = kDefaultParallelism;
};

struct Spec {
  ProxySpec proxy;
  CaSpec ca;
  std::vector<Provider> providers;
  std::vector<std::string> allowlist;
  CredentialsSpec credentials;
  TokensSpec tokens;
  EnforcementSpec enforcement;
  std::vector<Sandbox> sandboxes;
  ReconcileSpec reconcile;
  WiringSpec wiring;
  DnsSpec dns;
};

/// The secrets of spec.providers, in declared order (what the proxy swaps in).
std::vector<std::string> ProviderSecretNames(const Spec& spec);
/// Those of the providers that are not `optional`: a pass fails closed without any of them.
std::vector<std::string> RequiredProviderSecretNames(const Spec& spec);
/// The secrets spec.sandboxes[].secretEnv names, sorted and unique (the loader refuses a
/// provider's secret there, so the two lists never overlap).
std::vector<std::string> SandboxSecretNames(const Spec& spec);
/// What the credential source resolves: ProviderSecretNames, then SandboxSecretNames.
std::vector<std::string> AllSecretNames(const Spec& spec);

struct DesiredState {
  std::string api_version = kApiVersion;
  std::string kind = kKind;
  std::string name;  ///< metadata.name
  Spec spec;

  std::string source_path;  ///< file it was loaded from, the first with overlays ("" for in-memory)
  /// Every file it was merged from, in order (the base, then each overlay); {} for in-memory.
  std::vector<std::string> source_paths;
  /// The YAML as read, or with overlays the merged document (never contains secret values).
  std::string raw_text;
  std::string digest;       ///< sha256 hex of the canonical JSON of `spec` + name
};

/// Default upstream deny list (loopback v4/v6, "this network", link-local incl. IMDS,
/// RFC1918, ULA, IPv4-mapped v6, CGNAT, benchmarking 198.18/15).
const std::vector<std::string>& DefaultUpstreamDenyCidrs();

/// Variables ironward sets in every sandbox (the proxy and CA variables and `wiring`'s marker);
/// a sandbox's env may not set any of them.
std::vector<std::string> EgressEnvironmentNames(const WiringSpec& wiring);

std::string ToString(BindKind v);
std::string ToString(CaAlgorithm v);
std::string ToString(CredentialSource v);
std::string ToString(EnforcementMode v);
std::string ToString(NetworkMode v);
std::string ToString(UncoveredPolicy v);
std::string ToString(RoutingMode v);  ///< proxy-variables | dns | both
std::string ToString(RestartPolicy v);  ///< "" for kUnset

}  // namespace ironward::spec
