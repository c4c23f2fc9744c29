#include "reconcilers/io/http_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "state/encoding.h"

namespace ironward {
namespace {

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && AsciiLower(s.substr(0, prefix.size())) == prefix;
}

std::string FirstSet(const std::map<std::string, std::string>& env, const char* lower, const char* upper) {
  for (const char* name : {lower, upper}) {
    if (auto it = env.find(name); it != env.end() && !it->second.empty()) return it->second;
  }
  return "";
}

/// A parsed IP address: 4 or 16 bytes.
struct IpAddress {
  std::array<unsigned char, 16> bytes{};
  int length = 0;  ///< 4 or 16
};

std::optional<IpAddress> ParseIp(const std::string& text) {
  IpAddress ip;
  in_addr v4{};
  in6_addr v6{};
  if (text.find(':') == std::string::npos) {
    // inet_aton also takes the short forms curl's URL parser normalises (127.1, 0x7f000001).
    if (text.empty() || inet_aton(text.c_str(), &v4) == 0) return std::nullopt;
    std::memcpy(ip.bytes.data(), &v4, 4);
    ip.length = 4;
    return ip;
  }
  if (inet_pton(AF_INET6, text.c_str(), &v6) != 1) return std::nullopt;
  std::memcpy(ip.bytes.data(), &v6, 16);
  ip.length = 16;
  return ip;
}

bool PrefixEquals(const IpAddress& a, const IpAddress& b, int bits) {
  if (a.length != b.length || bits < 0 || bits > a.length * 8) return false;
  const int whole = bits / 8;
  if (std::memcmp(a.bytes.data(), b.bytes.data(), static_cast<std::size_t>(whole)) != 0) return false;
  const int rest = bits % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<unsigned char>(0xFFU << (8 - rest));
  return (a.bytes[static_cast<std::size_t>(whole)] & mask) == (b.bytes[static_cast<std::size_t>(whole)] & mask);
}

std::string StripBracketsAndDot(std::string s) {
  if (s.size() >= 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

bool EntryMatches(std::string entry, const std::string& host, const std::optional<IpAddress>& host_ip) {
  if (entry == "*") return true;
  while (!entry.empty() && entry.front() == '.') entry.erase(0, 1);
  entry = StripBracketsAndDot(AsciiLower(entry));
  if (entry.empty()) return false;
  if (const auto slash = entry.find('/'); slash != std::string::npos) {
    const auto net = ParseIp(StripBracketsAndDot(entry.substr(0, slash)));
    const std::string bits = entry.substr(slash + 1);
    if (!net || !host_ip || bits.empty() || bits.find_first_not_of("0123456789") != std::string::npos) return false;
    return PrefixEquals(*host_ip, *net, std::atoi(bits.c_str()));
  }
  if (host_ip) {
    const auto ip = ParseIp(entry);
    return ip && PrefixEquals(*host_ip, *ip, ip->length * 8);
  }
  return host == entry || (host.size() > entry.size() && host.compare(host.size() - entry.size(), entry.size(), entry) == 0 &&
                           host[host.size() - entry.size() - 1] == '.');
}

}  // namespace

ProxySettings ProxySettings::FromEnvironment(const std::map<std::string, std::string>& env) {
  ProxySettings p;
  p.http_proxy = FirstSet(env, "http_proxy", "HTTP_PROXY");
  p.https_proxy = FirstSet(env, "https_proxy", "HTTPS_PROXY");
  p.no_proxy = FirstSet(env, "no_proxy", "NO_PROXY");
  return p;
}

ProxySettings ProxySettings::FromProcessEnvironment() {
  std::map<std::string, std::string> env;
  for (const char* name : {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY"}) {
    if (const char* v = std::getenv(name); v != nullptr) env[name] = v;  // NOLINT(concurrency-mt-unsafe)
  }
  return FromEnvironment(env);
}

std::string UrlHost(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return "";
  std::string_view authority = url.substr(scheme_end + 3);
  authority = authority.substr(0, authority.find_first_of("/?#"));
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  std::string host;
  if (!authority.empty() && authority.front() == '[') {
    host = std::string(authority.substr(0, authority.find(']') + 1));
  } else {
    host = std::string(authority.substr(0, authority.find(':')));
  }
  return StripBracketsAndDot(AsciiLower(host));
}

bool IsLoopbackHost(std::string_view host_view) {
  const std::string host = StripBracketsAndDot(AsciiLower(host_view));
  const std::string_view suffix = ".localhost";
  if (host == "localhost" ||
      (host.size() > suffix.size() && host.compare(host.size() - suffix.size(), suffix.size(), suffix) == 0)) {
    return true;
  }
  const auto ip = ParseIp(host);
  if (!ip) return false;
  if (ip->length == 4) return ip->bytes[0] == 127;
  static const std::array<unsigned char, 16> kV6Loopback = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  static const std::array<unsigned char, 12> kV4Mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
  if (ip->bytes == kV6Loopback) return true;
  return std::equal(kV4Mapped.begin(), kV4Mapped.end(), ip->bytes.begin()) && ip->bytes[12] == 127;
}

bool NoProxyMatches(std::string_view no_proxy, std::string_view host_view) {
  const std::string host = StripBracketsAndDot(AsciiLower(host_view));
  const auto host_ip = ParseIp(host);
  std::size_t start = 0;
  while (start < no_proxy.size()) {
    const auto end = std::min(no_proxy.find_first_of(", \t", start), no_proxy.size());
    if (end > start && EntryMatches(std::string(no_proxy.substr(start, end - start)), host, host_ip)) return true;
    start = end + 1;
  }
  return false;
}

std::string ProxyFor(const ProxySettings& settings, std::string_view url) {
  std::string proxy;
  if (StartsWithNoCase(url, "https://")) {
    proxy = settings.https_proxy;
  } else if (StartsWithNoCase(url, "http://")) {
    proxy = settings.http_proxy;
  }
  if (proxy.empty()) return "";
  const std::string host = UrlHost(url);
  if (host.empty() || IsLoopbackHost(host) || NoProxyMatches(settings.no_proxy, host)) return "";
  return proxy;
}

}  // namespace ironward
