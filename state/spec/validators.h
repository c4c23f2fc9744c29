// Value validators for the desired state. Each returns "" when the value is fine, else a
// message fragment (without the field path) explaining what is wrong.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ironward::spec {

/// An iron-proxy host pattern as ironward accepts it: lowercase DNS name or IPv4 literal,
/// optionally prefixed by "*." (matches the name and every subdomain). No scheme, port,
/// path, uppercase (matching is case-sensitive), bare "*", other globs or empty labels.
std::string CheckHostPattern(std::string_view host);

/// Whether `host` (no port) is matched by `pattern` as iron-proxy's hostmatch does: "*" every
/// host, "*.example.com" example.com itself and every subdomain at any depth, anything else only
/// itself (case-sensitive). The one matcher for verify, audit and the spec's cross-checks.
bool HostPatternMatches(std::string_view pattern, std::string_view host);

/// "a.b.c.d/n" or IPv6 "x::/n". A bare address is an error. `ipv4_only` rejects IPv6.
std::string CheckCidr(std::string_view cidr, bool ipv4_only = false);
/// Parses a dotted-quad IPv4 address (network byte order value in host integer).
std::optional<std::uint32_t> ParseIpv4(std::string_view text);
/// Prefix length of a valid IPv4 CIDR, its network address, and whether host bits are set.
struct Ipv4Cidr {
  std::uint32_t address = 0;
  int prefix = 0;
  bool host_bits_set = false;
};
std::optional<Ipv4Cidr> ParseIpv4Cidr(std::string_view text);

/// For proxy.bind given as an address: IPv4 only, never unspecified/multicast/broadcast.
std::string CheckBindAddress(std::string_view address);

/// 8-4-4-4-12 hex digits.
bool IsUuid(std::string_view s);
/// 64 hex digits (either case).
bool IsSha256Hex(std::string_view s);
/// "X.Y.Z" with decimal numbers and no leading zeros; fills the numbers.
bool ParseSemver(std::string_view s, int* major, int* minor, int* patch);
/// Supported iron-proxy releases: 0.39.x through 0.45.x.
bool IsSupportedProxyVersion(int major, int minor);
inline constexpr const char* kSupportedProxyVersions = "0.39.x through 0.45.x";

/// A release-tarball URL template: https://, http:// or file://, placeholders limited to
/// {version}, {os}, {arch}.
std::string CheckSourceUrl(std::string_view url);
/// A plain http(s) endpoint (Bitwarden), no placeholders, no query/fragment.
std::string CheckHttpUrl(std::string_view url);

/// [A-Za-z_][A-Za-z0-9_]*
bool IsEnvVarName(std::string_view s);
/// HTTP header field name (RFC 9110 token).
bool IsHeaderName(std::string_view s);
/// metadata.name: lowercase DNS label, 1-63 chars.
bool IsDnsLabel(std::string_view s);
/// Provider name: [a-z0-9][a-z0-9-]*, at most 63 chars.
bool IsProviderName(std::string_view s);
/// Docker object name (container, network): [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 63 chars.
bool IsDockerName(std::string_view s);
/// Docker label selector "key" or "key=value".
std::string CheckLabelSelector(std::string_view s);
/// "/abs/host:/abs/container[:ro|rw]".
std::string CheckMount(std::string_view s, std::string* container_path);
/// Absolute, normalised-enough path: starts with '/', no NUL, no ".." segment.
bool IsAbsolutePath(std::string_view s);

}  // namespace ironward::spec
