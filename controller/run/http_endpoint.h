// The daemon's loopback HTTP endpoint (cpp-httplib, its own thread):
//   /livez            200 "ok" while the process serves HTTP (no dependencies)
//   /readyz[?verbose] 200 "ok" when every readiness check passes, else 503; ?verbose lists
//                     "[+]name ok" / "[-]name failed: why" per check (Kubernetes style)
//   /metrics          Prometheus text format 0.0.4
//   /                 the status page (status_page.h), HTML
// Read-only: GET and HEAD; any other method gets 405 (Allow: GET, HEAD).
// Only loopback addresses are accepted: the endpoint has no authentication.
// The server itself is a module opened at Start (endpoint_server.h: why).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "controller/run/endpoint_server.h"
#include "state/result.h"

namespace ironward::run {

struct ListenAddr {
  std::string host;  ///< "127.0.0.1", "::1", ...
  int port = 0;
};

/// Parses HOST:PORT or [V6]:PORT; refuses anything that is not a loopback address
/// (127.0.0.0/8, ::1, "localhost") and ports outside 1..65535.
Result<ListenAddr> ParseLoopbackAddr(const std::string& text);

struct ReadyCheck {
  std::string name;
  bool ok = false;
  std::string detail;
};

/// Renders /readyz: (status code, body).
std::pair<int, std::string> RenderReadyz(const std::vector<ReadyCheck>& checks, bool verbose);

/// Makes servers: the linked-in one (test programs), else the module's entry point.
struct EndpointServerFactory {
  EndpointServer* (*make)(const EndpointHandler*) = nullptr;
};
/// Opens the first of `paths` that exists (RTLD_NOW) and finds its entry point. Errors name every
/// path looked at, or what dlopen/dlsym said: terminal.
Result<EndpointServerFactory> LoadEndpointServerModule(const std::vector<std::string>& paths);
/// Where the module is looked for: beside the running executable (a build tree), then in
/// ../lib/ironward from it (the package: /usr/bin -> /usr/lib/ironward).
std::vector<std::string> EndpointServerModulePaths();

class HttpEndpoint {
 public:
  using ChecksFn = std::function<std::vector<ReadyCheck>()>;
  using MetricsFn = std::function<std::string()>;
  using PageFn = std::function<std::string()>;  ///< the status page's HTML

  /// Without a `page`, / answers 404.
  HttpEndpoint(ChecksFn checks, MetricsFn metrics, PageFn page = nullptr);
  ~HttpEndpoint();
  HttpEndpoint(const HttpEndpoint&) = delete;
  HttpEndpoint& operator=(const HttpEndpoint&) = delete;

  /// Opens the server (linked in, else the module), binds now (so a taken port is an error at
  /// startup) and serves on a thread.
  Status Start(const ListenAddr& addr);
  void Stop();
  /// The answer to one request (what the server sends; exposed for tests).
  EndpointReply Route(const EndpointRequest& request) const;

 private:
  ChecksFn checks_;
  MetricsFn metrics_;
  PageFn page_;
  EndpointHandler handler_;
  std::unique_ptr<EndpointServer> server_;
  std::thread thread_;
};

}  // namespace ironward::run
