#include "reconcilers/daemon/readiness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <yaml-cpp/yaml.h>

#include "reconcilers/io/http_client.h"

namespace ironward::daemon {
namespace {

using Ms = std::chrono::milliseconds;

int RemainingMs(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<Ms>(deadline - std::chrono::steady_clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

/// Connected non-blocking socket or -1.
int Connect(const Endpoint& ep, std::chrono::steady_clock::time_point deadline) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(ep.port));
  if (::inet_pton(AF_INET, ep.host.c_str(), &addr.sin_addr) != 1) return -1;
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return fd;
  if (errno != EINPROGRESS) {
    ::close(fd);
    return -1;
  }
  pollfd p{fd, POLLOUT, 0};
  if (::poll(&p, 1, RemainingMs(deadline)) != 1) {
    ::close(fd);
    return -1;
  }
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::string ScalarAt(const YAML::Node& root, const char* a, const char* b) {
  if (!root.IsMap() || !root[a] || !root[a].IsMap() || !root[a][b] || !root[a][b].IsScalar()) return "";
  return root[a][b].as<std::string>();
}

}  // namespace

std::optional<Endpoint> ParseListen(const std::string& listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) return std::nullopt;
  Endpoint ep;
  ep.host = listen.substr(0, colon);
  if (ep.host.empty() || ep.host == "0.0.0.0") ep.host = "127.0.0.1";
  const std::string port = listen.substr(colon + 1);
  if (std::from_chars(port.data(), port.data() + port.size(), ep.port).ec != std::errc() || ep.port <= 0 ||
      ep.port > 65535) {
    return std::nullopt;
  }
  return ep;
}

Result<Endpoints> EndpointsFromConfig(const std::string& yaml_text) {
  try {
    const YAML::Node root = YAML::Load(yaml_text);
    Endpoints eps;
    eps.tunnel = ParseListen(ScalarAt(root, "proxy", "tunnel_listen"));
    eps.http = ParseListen(ScalarAt(root, "proxy", "http_listen"));
    eps.metrics = ParseListen(ScalarAt(root, "metrics", "listen"));
    eps.management = ParseListen(ScalarAt(root, "management", "listen"));
    eps.https = ParseListen(ScalarAt(root, "proxy", "https_listen"));
    // dns.enabled (>= 0.43) absent means true; before 0.43 the DNS server always runs.
    if (ScalarAt(root, "dns", "enabled") != "false") eps.dns = ParseListen(ScalarAt(root, "dns", "listen"));
    eps.management_key_env = ScalarAt(root, "management", "api_key_env");
    eps.log_level = ScalarAt(root, "log", "level");
    if (eps.log_level.empty()) eps.log_level = "info";
    return eps;
  } catch (const std::exception&) {
    return Error::Terminal("proxy.yaml is not valid YAML");
  }
}

ListenPorts PortsOf(const Endpoints& eps) {
  ListenPorts out;
  for (const auto* ep : {&eps.metrics, &eps.tunnel, &eps.http, &eps.https, &eps.management}) {
    if (*ep) out.tcp.push_back((*ep)->port);
  }
  if (eps.dns) out.udp.push_back(eps.dns->port);
  return out;
}

bool TcpConnects(const Endpoint& ep, Ms timeout) {
  const int fd = Connect(ep, std::chrono::steady_clock::now() + timeout);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

Result<PlainResponse> PlainHttp(const Endpoint& ep, const std::string& method, const std::string& path,
                                const std::vector<std::string>& headers, Ms timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const int fd = Connect(ep, deadline);
  if (fd < 0) return Error::Transient("cannot connect to " + ep.ToString());
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: " + ep.ToString() + "\r\nConnection: close\r\n";
  for (const auto& h : headers) req += h + "\r\n";
  req += (method == "POST" ? "Content-Length: 0\r\n\r\n" : "\r\n");
  std::size_t off = 0;
  std::string resp;
  bool failed = false;
  while (!failed) {
    pollfd p{fd, static_cast<short>(off < req.size() ? POLLOUT : POLLIN), 0};
    if (::poll(&p, 1, RemainingMs(deadline)) != 1) {
      failed = true;
      break;
    }
    if (off < req.size()) {
      const ssize_t w = ::send(fd, req.data() + off, req.size() - off, MSG_NOSIGNAL);
      if (w <= 0) failed = true;
      else off += static_cast<std::size_t>(w);
      continue;
    }
    char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EAGAIN) continue;
    if (n <= 0) break;
    resp.append(buf, static_cast<std::size_t>(n));
    if (resp.size() > 65536) break;
  }
  ::close(fd);
  if (resp.rfind("HTTP/1.", 0) != 0 || resp.size() < 12) {
    return Error::Transient("no HTTP response from " + ep.ToString() + (failed ? " (timeout)" : ""));
  }
  PlainResponse out;
  std::from_chars(resp.data() + 9, resp.data() + 12, out.status);
  const auto body = resp.find("\r\n\r\n");
  if (body != std::string::npos) out.body = resp.substr(body + 4);
  return out;
}

int HealthzStatus(HttpReader* http, const Endpoint& metrics, Ms timeout) {
  if (http != nullptr) {
    HttpRequest rq;
    rq.url = "http://" + metrics.ToString() + "/healthz";
    rq.timeout = timeout;
    rq.connect_timeout = timeout;
    rq.follow_redirects = false;
    rq.use_env_proxy = false;  // the proxy's own loopback listener: never through a forward proxy
    rq.max_body_bytes = 4096;
    auto r = http->Get(rq);
    return r.ok() ? static_cast<int>(r->status) : 0;
  }
  auto r = PlainHttp(metrics, "GET", "/healthz", {}, timeout);
  return r.ok() ? r->status : 0;
}

namespace {

/// Inodes of sockets on local `port` in state `want` of a /proc/net/{tcp,udp}{,6} table
/// ("0A" TCP_LISTEN; "07" is how a bound, unconnected UDP socket shows).
void ListeningInodes(const std::string& table, int port, const char* want, std::vector<std::string>* out) {
  std::ifstream in(table);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string sl, local, remote, state, queues, timer, retr, uid, timeout, inode;
    if (!(f >> sl >> local >> remote >> state >> queues >> timer >> retr >> uid >> timeout >> inode)) continue;
    if (state != want) continue;
    const auto colon = local.rfind(':');
    if (colon == std::string::npos) continue;
    int p = 0;
    const char* b = local.data() + colon + 1;
    if (std::from_chars(b, local.data() + local.size(), p, 16).ec != std::errc() || p != port) continue;
    out->push_back(inode);
  }
}

}  // namespace

std::string ListenersOwnedBy(pid_t pid, const ListenPorts& ports) {
  std::set<std::string> held;  // "socket:[inode]" targets of the process's fds
  const std::string fd_dir = "/proc/" + std::to_string(pid) + "/fd";
  std::error_code ec;
  for (std::filesystem::directory_iterator it(fd_dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code rec;
    const auto target = std::filesystem::read_symlink(it->path(), rec);
    if (!rec) held.insert(target.string());
  }
  if (held.empty()) return "cannot read the sockets of pid " + std::to_string(pid);
  auto check = [&](int port, bool udp) -> std::string {
    std::vector<std::string> inodes;
    const std::string base = udp ? "/proc/net/udp" : "/proc/net/tcp";
    ListeningInodes(base, port, udp ? "07" : "0A", &inodes);
    ListeningInodes(base + "6", port, udp ? "07" : "0A", &inodes);
    const bool ours =
        std::any_of(inodes.begin(), inodes.end(), [&](const std::string& i) { return held.count("socket:[" + i + "]") > 0; });
    if (ours) return "";
    const std::string what = (udp ? "UDP port " : "port ") + std::to_string(port);
    return what + (inodes.empty() ? " has no listener" : " is held by another process");
  };
  for (const int port : ports.tcp) {
    if (auto why = check(port, false); !why.empty()) return why;
  }
  for (const int port : ports.udp) {
    if (auto why = check(port, true); !why.empty()) return why;
  }
  return "";
}

std::string CheckHealthy(HttpReader* http, const Endpoints& eps) {
  const Ms each(1000);
  if (!eps.metrics) return "proxy.yaml has no metrics listener";
  if (const int s = HealthzStatus(http, *eps.metrics, each); s != 200) {
    return "/healthz on " + eps.metrics->ToString() + (s == 0 ? " is not reachable" : " answered " + std::to_string(s));
  }
  for (const auto* ep : {&eps.tunnel, &eps.http}) {
    if (*ep && !TcpConnects(**ep, each)) return "listener " + (*ep)->ToString() + " does not accept connections";
  }
  return "";
}

std::string CheckHealthyRepeatedly(HttpReader* http, const Endpoints& eps, int checks, Ms pause) {
  std::string why;
  for (int i = 1; i <= std::max(checks, 1); ++i) {
    why = CheckHealthy(http, eps);
    if (why.empty()) return "";
    if (i < checks) std::this_thread::sleep_for(pause);
  }
  return checks > 1 ? why + " (" + std::to_string(checks) + " checks in a row)" : why;
}

ReadinessResult WaitReady(const Processes& processes, const ProcessIdentity& id, const Endpoints& eps,
                          HttpReader* http, const ReadinessOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  const auto deadline = started + options.timeout;
  ReadinessResult out;
  std::string last = "not checked yet";
  const Ms longest = std::max(options.poll, Ms(1));
  Ms pause = std::clamp(options.first_poll, Ms(1), longest);
  for (;;) {
    if (processes.CheckIdentity(id) != Liveness::kAlive) {
      out.exited = true;
      out.detail = "iron-proxy exited during startup (" + last + ")";
      return out;
    }
    last = CheckHealthy(http, eps);
    if (last.empty()) last = ListenersOwnedBy(id.pid, PortsOf(eps));
    if (last.empty()) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      out.detail = "not ready after " + std::to_string(options.timeout.count()) + " ms: " + last;
      return out;
    }
    std::this_thread::sleep_for(pause);
    if (std::chrono::steady_clock::now() - started > options.fast_window) pause = std::min(pause * 2, longest);
  }
  // Optional extra margin (default none: the listeners are known to be this process's own).
  const auto settle_end = std::chrono::steady_clock::now() + options.settle;
  while (std::chrono::steady_clock::now() < settle_end) {
    if (processes.CheckIdentity(id) != Liveness::kAlive) {
      out.exited = true;
      out.detail = "iron-proxy exited right after its listeners came up";
      return out;
    }
    std::this_thread::sleep_for(options.poll);
  }
  if (processes.CheckIdentity(id) != Liveness::kAlive) {
    out.exited = true;
    out.detail = "iron-proxy exited right after its listeners came up";
    return out;
  }
  out.ready = true;
  return out;
}

}  // namespace ironward::daemon
