#include "services.h"

#include "dns.h"
#include "log.h"

#include <csignal>
#include <functional>
#include <mutex>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

namespace irondouble {
namespace {

int g_wake_pipe[2] = {-1, -1};
volatile std::sig_atomic_t g_signal = 0;
std::mutex g_fatal_mu;
std::string g_fatal;

void OnSignal(int sig) {
  g_signal = sig;
  char b = 's';
  ssize_t ignored = ::write(g_wake_pipe[1], &b, 1);
  (void)ignored;
}

void ReportFatal(const std::string& err) {
  {
    std::lock_guard<std::mutex> lock(g_fatal_mu);
    if (!g_fatal.empty()) return;
    g_fatal = err;
  }
  char b = 'f';
  ssize_t ignored = ::write(g_wake_pipe[1], &b, 1);
  (void)ignored;
}

using ConnHandler = std::function<void(int fd, const std::string& remote, const std::string& local)>;

// Binds addr, logs start_msg with the bound address (when non-empty), then accepts forever.
void TcpServer(const std::string& addr, const std::string& err_prefix, const std::string& start_msg,
               ConnHandler handler) {
  std::thread([=] {
    std::string bound, err;
    int fd = ListenTcp(addr, &bound, &err);
    if (fd < 0) {
      ReportFatal(err_prefix + err);
      return;
    }
    if (!start_msg.empty()) Log(Level::kInfo, start_msg, Json{{"addr", bound}});
    for (;;) {
      std::string remote, local;
      int c = AcceptLoopOnce(fd, &remote, &local);
      if (c < 0) break;
      std::thread(handler, c, remote, local).detach();
    }
    ::close(fd);
  }).detach();
}

}  // namespace

void StartServices(const Config& cfg, const ProxyContext& proxy, const ManagementOptions* mgmt) {
  if (::pipe2(g_wake_pipe, O_CLOEXEC) != 0) std::abort();
  if (cfg.dns.IsEnabled()) {
    Config::Dns dns = cfg.dns;
    std::thread([dns] {
      Log(Level::kInfo, "dns server starting", Json{{"addr", dns.listen}});
      std::string bound, err;
      int fd = ListenUdp(dns.listen, &bound, &err);
      if (fd < 0) {
        ReportFatal("dns: " + err);
        return;
      }
      ServeDns(fd, dns);
    }).detach();
  }
  const ProxyContext* ctx = &proxy;
  TcpServer(cfg.proxy.http_listen, "proxy: http listen: ", "http proxy starting",
            [ctx](int fd, const std::string& r, const std::string& l) { HandleHttpListenerConn(*ctx, fd, r, l); });
  TcpServer(cfg.proxy.https_listen, "proxy: https listen: ",
            proxy.sni_only ? "https proxy starting (sni-only)" : "https proxy starting",
            [ctx](int fd, const std::string& r, const std::string& l) { HandleHttpsListenerConn(*ctx, fd, r, l); });
  if (!cfg.proxy.tunnel_listen.empty()) {
    TcpServer(cfg.proxy.tunnel_listen, "proxy: tunnel: tunnel listen: ", "tunnel proxy starting",
              [ctx](int fd, const std::string& r, const std::string& l) { HandleTunnelConn(*ctx, fd, r, l); });
  }
  Log(Level::kInfo, "metrics server starting", Json{{"addr", cfg.metrics.listen}});
  TcpServer(cfg.metrics.listen, "metrics: ", "", [](int fd, const std::string& r, const std::string& l) {
    Conn conn(fd);
    conn.remote_addr = r;
    conn.local_addr = l;
    ServeMetricsConn(conn);
  });
  if (mgmt != nullptr) {
    TcpServer(cfg.management.listen, "management: ", "management server starting",
              [mgmt](int fd, const std::string& r, const std::string& l) {
                Conn conn(fd);
                conn.remote_addr = r;
                conn.local_addr = l;
                ServeManagementConn(*mgmt, conn);
              });
  }
}

void InstallShutdownHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

void WaitForShutdown() {
  for (;;) {
    char b = 0;
    ssize_t n = ::read(g_wake_pipe[0], &b, 1);
    if (n == 1) break;
  }
  if (g_signal != 0) {
    Log(Level::kInfo, "received signal, shutting down",
        Json{{"signal", g_signal == SIGTERM ? "terminated" : "interrupt"}});
  } else {
    std::lock_guard<std::mutex> lock(g_fatal_mu);
    Log(Level::kError, "fatal error", Json{{"error", g_fatal}});
  }
  // Later signals are captured and ignored, as with Go's signal.Notify.
  signal(SIGINT, SIG_IGN);
  signal(SIGTERM, SIG_IGN);
  g_stopping = true;
  for (int i = 0; i < 100 && g_inflight.load() > 0; ++i) ::usleep(100 * 1000);  // shared 10 s deadline
  Log(Level::kInfo, "iron-proxy stopped");
}

}  // namespace irondouble
