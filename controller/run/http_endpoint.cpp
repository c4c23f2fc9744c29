#include "controller/run/http_endpoint.h"

#include <arpa/inet.h>

#include <httplib.h>

namespace ironward::run {

Result<ListenAddr> ParseLoopbackAddr(const std::string& text) {
  std::string host;
  std::string port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return Error::Invalid("--metrics-addr '" + text + "': expected [V6ADDR]:PORT");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos) return Error::Invalid("--metrics-addr '" + text + "': expected HOST:PORT");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  int p = 0;
  try {
    std::size_t used = 0;
    p = std::stoi(port, &used);
    if (used != port.size()) p = 0;
  } catch (const std::exception&) {
    p = 0;
  }
  if (p <= 0 || p > 65535) return Error::Invalid("--metrics-addr '" + text + "': port must be 1..65535");
  if (host == "localhost") host = "127.0.0.1";
  in_addr v4{};
  in6_addr v6{};
  bool loopback = false;
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    loopback = (ntohl(v4.s_addr) >> 24) == 127;
  } else if (::inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    loopback = IN6_IS_ADDR_LOOPBACK(&v6);
  } else {
    return Error::Invalid("--metrics-addr '" + text + "': '" + host + "' is not an IP address");
  }
  if (!loopback) {
    return Error::Invalid("--metrics-addr '" + text +
                          "': refusing a non-loopback address (the endpoint has no authentication; "
                          "use 127.0.0.1 or ::1 and a reverse proxy or SSH tunnel to reach it)");
  }
  return ListenAddr{host, p};
}

std::pair<int, std::string> RenderReadyz(const std::vector<ReadyCheck>& checks, bool verbose) {
  bool all = true;
  std::string body;
  for (const auto& c : checks) {
    all = all && c.ok;
    body += (c.ok ? "[+]" : "[-]") + c.name + (c.ok ? " ok" : " failed");
    if (!c.detail.empty()) body += ": " + c.detail;
    body += "\n";
  }
  if (!verbose) return {all ? 200 : 503, all ? "ok\n" : "readyz check failed\n"};
  body += all ? "readyz check passed\n" : "readyz check failed\n";
  return {all ? 200 : 503, body};
}

HttpEndpoint::HttpEndpoint(ChecksFn checks, MetricsFn metrics, PageFn page)
    : checks_(std::move(checks)),
      metrics_(std::move(metrics)),
      page_(std::move(page)),
      server_(std::make_unique<httplib::Server>()) {
  server_->Get("/livez", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok\n", "text/plain"); });
  server_->Get("/readyz", [this](const httplib::Request& req, httplib::Response& res) {
    auto [code, body] = RenderReadyz(checks_(), req.has_param("verbose"));
    res.status = code;
    res.set_content(body, "text/plain");
  });
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics_(), "text/plain; version=0.0.4; charset=utf-8");
  });
  if (page_) {
    server_->Get("/", [this](const httplib::Request&, httplib::Response& res) {
      // Defence in depth behind the escaping: no script, no external load, no framing.
      res.set_header("Content-Security-Policy",
                     "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
                     "frame-ancestors 'none'");
      res.set_header("X-Content-Type-Options", "nosniff");
      res.set_header("Referrer-Policy", "no-referrer");
      res.set_header("Cache-Control", "no-store");
      res.set_content(page_(), "text/html; charset=utf-8");
    });
  }
  // Read-only: every other method on every path is refused (GET handlers also serve HEAD).
  const httplib::Server::Handler refuse = [](const httplib::Request&, httplib::Response& res) {
    res.status = 405;
    res.set_header("Allow", "GET, HEAD");
    res.set_content("method not allowed: this endpoint is read-only (GET, HEAD)\n", "text/plain");
  };
  server_->Post(".*", refuse);
  server_->Put(".*", refuse);
  server_->Patch(".*", refuse);
  server_->Delete(".*", refuse);
  server_->Options(".*", refuse);
}

HttpEndpoint::~HttpEndpoint() { Stop(); }

Status HttpEndpoint::Start(const ListenAddr& addr) {
  if (!server_->bind_to_port(addr.host, addr.port)) {
    return Error::Terminal("cannot listen on " + addr.host + ":" + std::to_string(addr.port) +
                           " for /livez /readyz /metrics (address in use?)");
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return Status::Ok();
}

void HttpEndpoint::Stop() {
  if (thread_.joinable()) {
    server_->stop();
    thread_.join();
  }
}

}  // namespace ironward::run
