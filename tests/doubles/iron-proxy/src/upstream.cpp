// Upstream round trips: dial through the deny guard (and, from 0.42, an upstream proxy),
// verify TLS against the system roots (SSL_CERT_FILE/SSL_CERT_DIR honoured), forward once.
#include "proxy.h"
#include "version.h"

#include <openssl/err.h>

#include <cstdlib>
#include <memory>

namespace irondouble {
namespace {

std::string EnvEither(const char* upper, const char* lower) {
  const char* v = std::getenv(upper);
  if (v == nullptr || *v == '\0') v = std::getenv(lower);
  return v ? v : "";
}

bool NoProxyMatches(const std::string& no_proxy, const std::string& host) {
  IpAddr ip;
  if (host == "localhost" || (ParseIp(host, &ip) && !Unmap(ip).v6 && Unmap(ip).b[0] == 127) ||
      host == "::1") {
    return true;  // Go's httpproxy never proxies loopback
  }
  std::size_t pos = 0;
  while (pos <= no_proxy.size()) {
    std::size_t comma = no_proxy.find(',', pos);
    std::string e = no_proxy.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    e.erase(0, e.find_first_not_of(' '));
    e.erase(e.find_last_not_of(' ') + 1);
    if (e == "*") return true;
    Prefix p;
    std::string perr;
    if (!e.empty() && ParseIp(host, &ip) && ParseNetCidr(e, &p, &perr) && p.Contains(Unmap(ip))) return true;
    std::string h, port;
    if (SplitHostPort(e, &h, &port)) e = h;
    if (!e.empty()) {
      if (e[0] == '.') {
        if (host.size() > e.size() && host.compare(host.size() - e.size(), e.size(), e) == 0) return true;
      } else if (host == e || (host.size() > e.size() && host.compare(host.size() - e.size() - 1, e.size() + 1, "." + e) == 0)) {
        return true;
      }
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return false;
}

// Returns the proxy host:port to use for this request, or "" for a direct dial.
std::string UpstreamProxyFor(const ProxyContext& ctx, const std::string& scheme, const std::string& host) {
  if (!AtLeast(42)) return "";
  std::string http = EnvEither("HTTP_PROXY", "http_proxy");
  std::string https = EnvEither("HTTPS_PROXY", "https_proxy");
  std::string no = EnvEither("NO_PROXY", "no_proxy");
  if (http.empty()) http = ctx.upstream_proxy.http_proxy;
  if (https.empty()) https = ctx.upstream_proxy.https_proxy;
  if (no.empty()) no = ctx.upstream_proxy.no_proxy;
  std::string url = scheme == "https" ? https : http;
  if (url.empty() || NoProxyMatches(no, host)) return "";
  if (std::size_t s = url.find("://"); s != std::string::npos) url = url.substr(s + 3);
  if (std::size_t at = url.rfind('@'); at != std::string::npos) url = url.substr(at + 1);
  if (std::size_t slash = url.find('/'); slash != std::string::npos) url.resize(slash);
  std::string h, p;
  if (!SplitHostPort(url, &h, &p)) url += ":80";
  return url;
}

}  // namespace

SSL_CTX* NewUpstreamClientContext() {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_default_verify_paths(ctx);  // honours SSL_CERT_FILE / SSL_CERT_DIR like Go
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  static const unsigned char kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  SSL_CTX_set_alpn_protos(ctx, kAlpn, sizeof kAlpn);
  return ctx;
}

namespace {

// Go's httpguts.ValidHeaderFieldValue: no control character other than tab, no DEL.
bool ValidHeaderValue(const std::string& v) {
  for (unsigned char c : v) {
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

bool DoUpstream(const ProxyContext& ctx, const std::string& scheme, const std::string& host_port,
                const Request& req, Response* resp, std::string* err) {
  // net/http's Transport refuses the request before dialing (a secret swapped in with a CR/LF):
  // the proxy answers 502.
  for (const auto& [name, value] : req.headers.items) {
    if (!ValidHeaderValue(value)) {
      *err = "net/http: invalid header field value for \"" + name + "\"";
      return false;
    }
  }
  std::string host, port;
  if (!SplitHostPort(host_port, &host, &port)) {
    host = host_port;
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    port = scheme == "https" ? "443" : "80";
  }
  std::string via = UpstreamProxyFor(ctx, scheme, host);
  std::string dial_host = host, dial_port = port;
  if (!via.empty()) SplitHostPort(via, &dial_host, &dial_port);
  int fd = DialTcp(dial_host, dial_port, ctx.guard, 30000, err);
  if (fd < 0) return false;
  Conn up(fd);
  up.SetTimeouts(static_cast<int>(ctx.header_timeout_ms), 30000);
  std::string authority = host.find(':') != std::string::npos ? "[" + host + "]:" + port : host + ":" + port;
  if (!via.empty() && scheme == "https") {
    up.WriteAll("CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n\r\n");
    Response cr;
    if (!ReadResponse(up, "CONNECT", &cr, err) || cr.status != 200) {
      *err = "proxyconnect tcp: upstream proxy refused CONNECT (" + std::to_string(cr.status) + ")";
      return false;
    }
  }
  if (scheme == "https" && !up.StartClientTls(ctx.upstream_tls, host, err)) return false;

  Headers h = req.headers;
  std::vector<std::string> tokens;
  for (const auto& v : h.Values("Connection")) {
    std::size_t pos = 0;
    while (pos <= v.size()) {
      std::size_t c = v.find(',', pos);
      std::string t = v.substr(pos, c == std::string::npos ? std::string::npos : c - pos);
      t.erase(0, t.find_first_not_of(" \t"));
      t.erase(t.find_last_not_of(" \t") + 1);
      if (!t.empty()) tokens.push_back(t);
      if (c == std::string::npos) break;
      pos = c + 1;
    }
  }
  bool keep_trailers = h.HasToken("Te", "trailers");
  for (const char* hop : {"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
                          "Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade", "Expect",
                          "Host", "Content-Length"}) {
    h.Del(hop);
  }
  for (const auto& t : tokens) h.Del(t);
  if (keep_trailers) h.Set("Te", "trailers");
  if (!h.Has("User-Agent")) h.Set("User-Agent", "Go-http-client/1.1");
  bool send_length = !req.body.empty() || req.method == "POST" || req.method == "PUT" || req.method == "PATCH";
  if (send_length) h.Set("Content-Length", std::to_string(req.body.size()));

  std::string target = req.path.empty() ? "/" : req.path;
  if (!req.raw_query.empty()) target += "?" + req.raw_query;
  if (req.method == "CONNECT") target = host_port;
  else if (!via.empty() && scheme == "http") target = "http://" + host_port + target;
  std::string wire = req.method + " " + target + " HTTP/1.1\r\nHost: " + host_port + "\r\n" + h.Serialize() + "\r\n" + req.body;
  if (!up.WriteAll(wire)) {
    *err = "write tcp: broken pipe";
    return false;
  }
  if (!ReadResponse(up, req.method, resp, err)) return false;
  return true;
}

}  // namespace irondouble
