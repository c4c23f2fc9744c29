#include "controller/run/http_endpoint.h"

#include <arpa/inet.h>
#include <dlfcn.h>

#include <filesystem>
#include <tuple>

// Defined only where the server is linked in (test programs); `ironward` opens the module.
extern "C" ironward::run::EndpointServer* ironward_endpoint_server_new(const ironward::run::EndpointHandler* handler)
    __attribute__((weak));

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
    : checks_(std::move(checks)), metrics_(std::move(metrics)), page_(std::move(page)) {
  handler_ = [this](const EndpointRequest& request) { return Route(request); };
}

EndpointReply HttpEndpoint::Route(const EndpointRequest& request) const {
  EndpointReply reply;
  if (request.method != "GET" && request.method != "HEAD") {
    // Read-only: every other method on every path is refused.
    reply.status = 405;
    reply.headers = {{"Allow", "GET, HEAD"}};
    reply.body = "method not allowed: this endpoint is read-only (GET, HEAD)\n";
  } else if (request.path == "/livez") {
    reply.body = "ok\n";
  } else if (request.path == "/readyz") {
    std::tie(reply.status, reply.body) = RenderReadyz(checks_(), request.verbose);
  } else if (request.path == "/metrics") {
    reply.content_type = "text/plain; version=0.0.4; charset=utf-8";
    reply.body = metrics_();
  } else if (request.path == "/" && page_) {
    reply.content_type = "text/html; charset=utf-8";
    // Defence in depth behind the escaping: no script, no external load, no framing.
    reply.headers = {{"Content-Security-Policy",
                      "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
                      "frame-ancestors 'none'"},
                     {"X-Content-Type-Options", "nosniff"},
                     {"Referrer-Policy", "no-referrer"},
                     {"Cache-Control", "no-store"}};
    reply.body = page_();
  } else {
    reply.status = 404;
    reply.body = "not found: this endpoint serves /, /livez, /readyz and /metrics\n";
  }
  return reply;
}

Result<EndpointServerFactory> LoadEndpointServerModule(const std::vector<std::string>& paths) {
  std::string looked;
  for (const auto& path : paths) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      looked += (looked.empty() ? "" : ", ") + path;
      continue;
    }
    // Never closed: the server it makes lives as long as the process.
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) return Error::Terminal("cannot load " + path + ": " + ::dlerror());
    void* entry = ::dlsym(handle, kEndpointServerEntry);
    if (entry == nullptr) return Error::Terminal(path + " has no " + kEndpointServerEntry + ": not ironward's module");
    return EndpointServerFactory{reinterpret_cast<EndpointServer* (*)(const EndpointHandler*)>(entry)};
  }
  return Error::Terminal(std::string("the HTTP endpoint's module ") + kEndpointServerModule +
                         " is missing (looked for " + looked +
                         "): reinstall ironward, or run without --metrics-addr");
}

std::vector<std::string> EndpointServerModulePaths() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  const auto dir = ec ? std::filesystem::path(".") : exe.parent_path();
  return {(dir / kEndpointServerModule).string(),
          (dir.parent_path() / "lib" / "ironward" / kEndpointServerModule).string()};
}

HttpEndpoint::~HttpEndpoint() { Stop(); }

Status HttpEndpoint::Start(const ListenAddr& addr) {
  EndpointServerFactory factory{&ironward_endpoint_server_new};  // weak: null unless linked in
  if (factory.make == nullptr) {
    auto loaded = LoadEndpointServerModule(EndpointServerModulePaths());
    if (!loaded) return loaded.error();
    factory = *loaded;
  }
  server_.reset(factory.make(&handler_));
  if (!server_->Bind(addr.host, addr.port)) {
    return Error::Terminal("cannot listen on " + addr.host + ":" + std::to_string(addr.port) +
                           " for /livez /readyz /metrics (address in use?)");
  }
  thread_ = std::thread([this] { server_->Serve(); });
  return Status::Ok();
}

void HttpEndpoint::Stop() {
  if (thread_.joinable()) {
    server_->Stop();
    thread_.join();
  }
}

}  // namespace ironward::run
