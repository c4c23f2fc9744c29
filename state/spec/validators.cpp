#include "state/spec/validators.h"

#include <arpa/inet.h>

#include <cctype>
#include <charconv>

namespace ironward::spec {
namespace {

// "'value'", built by appending: `"'" + std::string(v)` (const char* + string&&) trips GCC 12's
// -Wrestrict false positive at -O2/-O3 (GCC bug 105651), and appending avoids the extra copy anyway.
std::string Quoted(std::string_view v) {
  std::string s;
  s.reserve(v.size() + 2);
  s += '\'';
  s.append(v);
  s += '\'';
  return s;
}

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }
bool IsHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

bool ParseSmallInt(std::string_view s, int max, int* out) {
  if (s.empty() || s.size() > 3) return false;
  if (s.size() > 1 && s[0] == '0') return false;
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0 || v > max) return false;
  *out = v;
  return true;
}

bool AllOf(std::string_view s, bool (*pred)(char)) {
  for (char c : s) {
    if (!pred(c)) return false;
  }
  return true;
}

}  // namespace

bool HostPatternMatches(std::string_view pattern, std::string_view host) {
  if (pattern == "*") return true;
  if (pattern.substr(0, 2) == "*.") {
    const std::string_view suffix = pattern.substr(1);  // ".example.com"
    return host == pattern.substr(2) || (host.size() > suffix.size() && host.ends_with(suffix));
  }
  return pattern == host;
}

std::string CheckHostPattern(std::string_view host) {
  if (host.empty()) return "empty host";
  if (host == "*") return "a bare '*' would match every host; list the hosts explicitly";
  if (host.find("://") != std::string_view::npos) {
    return Quoted(host) + " has a scheme; write only the host name";
  }
  if (host.find('/') != std::string_view::npos) {
    return Quoted(host) + " has a path; write only the host name";
  }
  if (host.find(':') != std::string_view::npos) {
    return Quoted(host) + " has a port; write only the host name (ports are not matched)";
  }
  for (char c : host) {
    if (c >= 'A' && c <= 'Z') {
      return Quoted(host) +
             " has uppercase letters; iron-proxy host matching is case-sensitive, write it in "
             "lowercase";
    }
  }
  std::string_view name = host;
  if (name.substr(0, 2) == "*.") name.remove_prefix(2);
  if (name.size() > 253) return Quoted(host) + " is longer than 253 characters";
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = name.find('.', start);
    const std::string_view label =
        name.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty()) return Quoted(host) + " has an empty label";
    if (label.size() > 63) {
      return Quoted(host) + " has a label longer than 63 characters";
    }
    for (char c : label) {
      if (c == '*' || c == '?' || c == '[' || c == ']') {
        return Quoted(host) +
               ": wildcards are only supported as a leading '*.' (matches the name and all "
               "subdomains)";
      }
      if (!IsLowerAlnum(c) && c != '-' && c != '_') {
        return Quoted(host) + " has an invalid character '" + c + '\'';
      }
    }
    if (label.front() == '-' || label.back() == '-') {
      return Quoted(host) + " has a label starting or ending with '-'";
    }
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return "";
}

std::optional<std::uint32_t> ParseIpv4(std::string_view text) {
  std::uint32_t out = 0;
  int parts = 0;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = text.find('.', start);
    const std::string_view part =
        text.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    int v = 0;
    if (++parts > 4 || !ParseSmallInt(part, 255, &v)) return std::nullopt;
    out = (out << 8U) | static_cast<std::uint32_t>(v);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (parts != 4) return std::nullopt;
  return out;
}

std::optional<Ipv4Cidr> ParseIpv4Cidr(std::string_view text) {
  const std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto addr = ParseIpv4(text.substr(0, slash));
  int prefix = 0;
  if (!addr || !ParseSmallInt(text.substr(slash + 1), 32, &prefix)) return std::nullopt;
  const std::uint32_t mask = prefix == 0 ? 0U : ~0U << (32 - prefix);
  return Ipv4Cidr{*addr & mask, prefix, (*addr & ~mask) != 0};
}

std::string CheckCidr(std::string_view cidr, bool ipv4_only) {
  const std::string quoted = Quoted(cidr);
  const std::size_t slash = cidr.find('/');
  const std::string_view addr = cidr.substr(0, slash);
  const bool v6 = addr.find(':') != std::string_view::npos;
  if (v6 && ipv4_only) return quoted + " is IPv6; an IPv4 CIDR is required";
  if (slash == std::string_view::npos) {
    if (ParseIpv4(addr)) return quoted + " is a bare IP address; write it as " + std::string(addr) + "/32";
    if (v6) return quoted + " is a bare IP address; write it as " + std::string(addr) + "/128";
    return quoted + " is not a CIDR (expected address/prefix, e.g. 10.0.0.0/8)";
  }
  int prefix = 0;
  if (v6) {
    in6_addr a6{};
    const std::string a(addr);
    if (inet_pton(AF_INET6, a.c_str(), &a6) != 1) return quoted + " has an invalid IPv6 address";
    if (!ParseSmallInt(cidr.substr(slash + 1), 128, &prefix)) {
      return quoted + " has an invalid prefix length (0-128)";
    }
    return "";
  }
  if (!ParseIpv4(addr)) return quoted + " has an invalid IPv4 address";
  if (!ParseSmallInt(cidr.substr(slash + 1), 32, &prefix)) {
    return quoted + " has an invalid prefix length (0-32)";
  }
  return "";
}

std::string CheckBindAddress(std::string_view address) {
  const std::string quoted = Quoted(address);
  if (address.find(':') != std::string_view::npos) {
    return quoted + ": IPv6 bind addresses are not supported; use an IPv4 address or a keyword";
  }
  auto a = ParseIpv4(address);
  if (!a) {
    return quoted +
           " is neither a keyword (loopback, docker-bridge, sandbox-network) nor an IPv4 address";
  }
  if (*a == 0) {
    return quoted +
           " would expose the proxy on every interface; use loopback, docker-bridge, "
           "sandbox-network or a specific address";
  }
  if ((*a >> 24U) == 0) return quoted + " is in 0.0.0.0/8 (\"this network\"), not bindable";
  if ((*a >> 28U) == 0xEU) return quoted + " is a multicast address";
  if (*a == 0xFFFFFFFFU) return quoted + " is the broadcast address";
  if ((*a >> 28U) == 0xFU) return quoted + " is in the reserved 240.0.0.0/4 range";
  return "";
}

bool IsUuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !IsHex(s[i])) return false;
  }
  return true;
}

bool IsSha256Hex(std::string_view s) { return s.size() == 64 && AllOf(s, IsHex); }

bool ParseSemver(std::string_view s, int* major, int* minor, int* patch) {
  int* out[3] = {major, minor, patch};
  std::size_t start = 0;
  for (int i = 0; i < 3; ++i) {
    const std::size_t dot = s.find('.', start);
    if ((i < 2) != (dot != std::string_view::npos)) return false;
    const std::string_view part =
        s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (part.empty() || part.size() > 6 || !AllOf(part, [](char c) { return c >= '0' && c <= '9'; })) {
      return false;
    }
    if (part.size() > 1 && part[0] == '0') return false;
    std::from_chars(part.data(), part.data() + part.size(), *out[i]);
    start = dot + 1;
  }
  return true;
}

bool IsSupportedProxyVersion(int major, int minor) {
  return major == 0 && minor >= 39 && minor <= 45;
}

namespace {

std::string CheckUrlBody(std::string_view url, std::string_view rest, bool file_scheme,
                         bool allow_placeholders) {
  const std::string quoted = Quoted(url);
  for (char c : url) {
    if (std::isspace(static_cast<unsigned char>(c)) != 0 || std::iscntrl(static_cast<unsigned char>(c)) != 0) {
      return quoted + " contains whitespace or control characters";
    }
  }
  // Placeholders.
  for (std::size_t i = 0; i < url.size(); ++i) {
    if (url[i] == '}') return quoted + " has an unmatched '}'";
    if (url[i] != '{') continue;
    const std::size_t close = url.find('}', i);
    if (close == std::string_view::npos) return quoted + " has an unmatched '{'";
    const std::string_view name = url.substr(i + 1, close - i - 1);
    if (!allow_placeholders) return quoted + " may not contain placeholders";
    if (name != "version" && name != "os" && name != "arch") {
      return quoted + " uses unknown placeholder {" + std::string(name) +
             "}; only {version}, {os} and {arch} are supported";
    }
    i = close;
  }
  if (file_scheme) {
    if (rest.empty() || rest[0] != '/') {
      return quoted + ": a file:// URL needs an absolute path (file:///path/to/file)";
    }
    return "";
  }
  const std::size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  if (authority.empty()) return quoted + " has no host";
  if (authority.find('@') != std::string_view::npos) {
    return quoted + " embeds credentials; they would end up in logs and state";
  }
  return "";
}

}  // namespace

std::string CheckSourceUrl(std::string_view url) {
  if (url.empty()) return "empty URL";
  for (std::string_view scheme : {"https://", "http://", "file://"}) {
    if (url.substr(0, scheme.size()) == scheme) {
      return CheckUrlBody(url, url.substr(scheme.size()), scheme == "file://", true);
    }
  }
  return Quoted(url) + " must start with https://, http:// or file://";
}

std::string CheckHttpUrl(std::string_view url) {
  if (url.empty()) return "empty URL";
  for (std::string_view scheme : {"https://", "http://"}) {
    if (url.substr(0, scheme.size()) == scheme) {
      std::string err = CheckUrlBody(url, url.substr(scheme.size()), false, false);
      if (!err.empty()) return err;
      if (url.find_first_of("?#") != std::string_view::npos) {
        return Quoted(url) + " may not have a query or fragment";
      }
      return "";
    }
  }
  return Quoted(url) + " must start with https:// (or http://)";
}

bool IsEnvVarName(std::string_view s) {
  if (s.empty()) return false;
  if (!(std::isalpha(static_cast<unsigned char>(s[0])) != 0 || s[0] == '_')) return false;
  for (char c : s) {
    if (!(IsAlnum(c) || c == '_') || static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

bool IsHeaderName(std::string_view s) {
  if (s.empty()) return false;
  static constexpr std::string_view kExtra = "!#$%&'*+-.^_`|~";
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
    if (!IsAlnum(c) && kExtra.find(c) == std::string_view::npos) return false;
  }
  return true;
}

bool IsDnsLabel(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  if (!AllOf(s, [](char c) { return IsLowerAlnum(c) || c == '-'; })) return false;
  return s.front() != '-' && s.back() != '-';
}

bool IsProviderName(std::string_view s) {
  if (s.empty() || s.size() > 63 || !IsLowerAlnum(s[0])) return false;
  return AllOf(s, [](char c) { return IsLowerAlnum(c) || c == '-'; });
}

bool IsDockerName(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  if (static_cast<unsigned char>(s[0]) >= 0x80 || !IsAlnum(s[0])) return false;
  return AllOf(s, [](char c) {
    return static_cast<unsigned char>(c) < 0x80 && (IsAlnum(c) || c == '_' || c == '.' || c == '-');
  });
}

std::string CheckLabelSelector(std::string_view s) {
  const std::string quoted = Quoted(s);
  if (s.empty()) return "empty selector";
  const std::size_t eq = s.find('=');
  const std::string_view key = s.substr(0, eq);
  if (key.empty()) return quoted + " has an empty label key";
  if (static_cast<unsigned char>(key[0]) >= 0x80 || !IsAlnum(key[0])) {
    return quoted + ": the label key must start with a letter or digit";
  }
  for (char c : key) {
    if (static_cast<unsigned char>(c) >= 0x80 || !(IsAlnum(c) || c == '.' || c == '-' || c == '_' || c == '/')) {
      return quoted + ": the label key may only contain letters, digits, '.', '-', '_' and '/'";
    }
  }
  if (eq == std::string_view::npos) return "";
  for (char c : s.substr(eq + 1)) {
    if (static_cast<unsigned char>(c) >= 0x80 ||
        !(IsAlnum(c) || c == '.' || c == '-' || c == '_' || c == '/' || c == ':' || c == '@' || c == '+')) {
      return quoted +
             ": the label value may only contain letters, digits and '.', '-', '_', '/', ':', '@', '+'";
    }
  }
  return "";
}

bool IsAbsolutePath(std::string_view s) {
  if (s.empty() || s[0] != '/') return false;
  if (s.find('\0') != std::string_view::npos) return false;
  std::size_t start = 0;
  while (start <= s.size()) {
    const std::size_t slash = s.find('/', start);
    const std::string_view seg =
        s.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (seg == "..") return false;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return true;
}

std::string CheckMount(std::string_view s, std::string* container_path) {
  const std::string quoted = Quoted(s);
  const std::string kFormat = " (expected /abs/host:/abs/container[:ro|rw])";
  const std::size_t c1 = s.find(':');
  if (c1 == std::string_view::npos) return quoted + " has no container path" + kFormat;
  const std::string_view host = s.substr(0, c1);
  std::string_view rest = s.substr(c1 + 1);
  const std::size_t c2 = rest.find(':');
  const std::string_view container = rest.substr(0, c2);
  if (c2 != std::string_view::npos) {
    const std::string_view mode = rest.substr(c2 + 1);
    if (mode != "ro" && mode != "rw") {
      return quoted + " has an invalid mode '" + std::string(mode) + "'" + kFormat;
    }
  }
  if (!IsAbsolutePath(host)) {
    return quoted + ": the host path must be absolute without '..'" + kFormat;
  }
  if (!IsAbsolutePath(container)) {
    return quoted + ": the container path must be absolute without '..'" + kFormat;
  }
  if (container_path != nullptr) *container_path = std::string(container);
  return "";
}

}  // namespace ironward::spec
