// The daemon's loopback HTTP endpoint (cpp-httplib, its own thread):
//   /livez            200 "ok" while the process serves HTTP (no dependencies)
//   /readyz[?verbose] 200 "ok" when every readiness check passes, else 503; ?verbose lists
//                     "[+]name ok" / "[-]name failed: why" per check (Kubernetes style)
//   /metrics          Prometheus text format 0.0.4
//   /                 the status page (status_page.h), HTML
// Read-only: GET and HEAD; any other method gets 405 (Allow: GET, HEAD).
// Only loopback addresses are accepted: the endpoint has no authentication.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "state/result.h"

namespace httplib {
class Server;
}

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

  /// Binds now (so a taken port is an error at startup) and serves on a thread.
  Status Start(const ListenAddr& addr);
  void Stop();

 private:
  ChecksFn checks_;
  MetricsFn metrics_;
  PageFn page_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

}  // namespace ironward::run
