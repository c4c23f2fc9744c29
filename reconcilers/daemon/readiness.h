// Is the proxy ready? iron-proxy has no readiness endpoint (/healthz is up as soon as the
// metrics socket binds, even while another listener is about to fail), so ready means:
//   the process is alive, /healthz on the metrics listener answers 200, the tunnel and http
//   listeners accept a TCP connection, and every listener the rendered config opens (metrics,
//   tunnel, http, https, management: TCP; dns: UDP) is a socket of the process we started
//   (/proc/net/{tcp,tcp6,udp,udp6} inodes among /proc/<pid>/fd). iron-proxy binds them all
//   concurrently and exits when any bind fails, so checking only some of them could report a
//   start ready just before it dies. The ownership check is also what makes a fixed "still alive
//   a second later" wait unnecessary: another process holding a port would otherwise answer in
//   the proxy's place.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "reconcilers/io/process.h"
#include "state/result.h"

namespace ironward {
class HttpReader;
}

namespace ironward::daemon {

/// A "host:port" listen address turned into where to connect ("" / 0.0.0.0 -> 127.0.0.1).
struct Endpoint {
  std::string host;
  int port = 0;
  std::string ToString() const { return host + ":" + std::to_string(port); }
};
std::optional<Endpoint> ParseListen(const std::string& listen);

/// The listeners the daemon checks, read from proxy.yaml.
struct Endpoints {
  std::optional<Endpoint> tunnel, http, metrics, management;
  std::optional<Endpoint> https;  ///< proxy.https_listen (always bound by iron-proxy)
  std::optional<Endpoint> dns;    ///< dns.listen (UDP); absent when dns.enabled is false
  std::string management_key_env;  ///< management.api_key_env
  std::string log_level;
};
/// Parses proxy.yaml text; errors only when the YAML itself is unreadable.
Result<Endpoints> EndpointsFromConfig(const std::string& yaml_text);

/// Every port the config makes iron-proxy bind, by protocol.
struct ListenPorts {
  std::vector<int> tcp, udp;
};
ListenPorts PortsOf(const Endpoints& eps);

bool TcpConnects(const Endpoint& ep, std::chrono::milliseconds timeout);

struct PlainResponse {
  int status = 0;
  std::string body;
};
/// Minimal HTTP/1.1 over a loopback socket (no proxy variables, no redirects, body <= 64 KiB).
Result<PlainResponse> PlainHttp(const Endpoint& ep, const std::string& method, const std::string& path,
                                const std::vector<std::string>& headers, std::chrono::milliseconds timeout);

/// GET /healthz via `http` when given (any proxy in ironward's env is ignored by it), else a
/// plain socket. Returns the HTTP status (0 = not reachable).
int HealthzStatus(HttpReader* http, const Endpoint& metrics, std::chrono::milliseconds timeout);

/// "" when every TCP port in `ports` has a listening socket and every UDP port a bound socket
/// (IPv4 or IPv6) held by `pid`, else which port does not. Reads /proc/net/{tcp,tcp6,udp,udp6}
/// and /proc/<pid>/fd.
std::string ListenersOwnedBy(pid_t pid, const ListenPorts& ports);

/// One look, no waiting: "" when healthy, else why not.
std::string CheckHealthy(HttpReader* http, const Endpoints& eps);
/// Up to `checks` looks, `pause` apart: "" at the first healthy one, else the last reason with
/// the number of failed checks.
std::string CheckHealthyRepeatedly(HttpReader* http, const Endpoints& eps, int checks, std::chrono::milliseconds pause);

struct ReadinessOptions {
  std::chrono::milliseconds timeout{10000};
  /// Start-up is polled every first_poll for fast_window, then doubling up to poll: a proxy that
  /// is up in 25 ms is seen within 2 ms of it (a flat 50 ms poll added up to 50 ms to every start
  /// and heal); one that takes seconds is not polled hundreds of times. A check is a loopback
  /// connect and a GET, well under a millisecond.
  std::chrono::milliseconds first_poll{2};
  std::chrono::milliseconds fast_window{100};
  std::chrono::milliseconds poll{50};
  std::chrono::milliseconds settle{0};  ///< extra time it must stay alive after looking ready
};

struct ReadinessResult {
  bool ready = false;
  bool exited = false;  ///< the process went away while we waited
  std::string detail;   ///< why not ready
};

/// `processes` answers whether `id` is still alive while it waits.
ReadinessResult WaitReady(const Processes& processes, const ProcessIdentity& id, const Endpoints& eps,
                          HttpReader* http, const ReadinessOptions& options);

}  // namespace ironward::daemon
