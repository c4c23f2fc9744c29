// Which forward proxy, if any, ironward's own outbound request goes through. Only requests that
// ask for it (HttpRequest::use_env_proxy: the release download and Bitwarden) use the proxy
// variables of ironward's own environment; loopback destinations never do.
//
//   ProxySettings p = ProxySettings::FromEnvironment({{"HTTPS_PROXY", "http://squid:3128"}});
//   ProxyFor(p, "https://github.com/x")   -> "http://squid:3128"
//   ProxyFor(p, "http://127.0.0.1:9090")  -> ""  (direct)
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace ironward {

struct ProxySettings {
  std::string http_proxy;   ///< for http:// URLs (http_proxy, else HTTP_PROXY)
  std::string https_proxy;  ///< for https:// URLs (https_proxy, else HTTPS_PROXY)
  std::string no_proxy;     ///< hosts reached directly (no_proxy, else NO_PROXY), comma-separated

  /// From an environment map; the lowercase name wins when both are set, as in curl.
  static ProxySettings FromEnvironment(const std::map<std::string, std::string>& env);
  /// From this process's environment (read once, at construction of the HTTP client).
  static ProxySettings FromProcessEnvironment();
};

/// The proxy for `url` ("" = connect directly): the scheme's proxy unless the host is loopback
/// (127.0.0.0/8, ::1, localhost, *.localhost) or matches `no_proxy`. file:// is always direct.
std::string ProxyFor(const ProxySettings& settings, std::string_view url);

/// The host of an http(s) URL, lowercase, without brackets, userinfo, port or a trailing dot.
std::string UrlHost(std::string_view url);
/// 127.0.0.0/8, ::1 (also as ::ffff:127.x.y.z), "localhost" and names under ".localhost".
bool IsLoopbackHost(std::string_view host);
/// curl's NO_PROXY rules: "*" matches everything; entries are separated by commas or spaces; a
/// name matches itself and its subdomains (a leading '.' is ignored); an IP address matches
/// itself, or its range when written as CIDR (10.0.0.0/8, fd00::/8).
bool NoProxyMatches(std::string_view no_proxy, std::string_view host);

}  // namespace ironward
