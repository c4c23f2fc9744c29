// UdpServer: a UDP listener on its own thread, for tests that stand in for a resolver, an echo or
// a sink. Every datagram goes to the handler; its reply, when it returns one, goes back to the
// sender.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <thread>

namespace ironward::testing {

class UdpServer {
 public:
  using Handler = std::function<std::optional<std::string>(const std::string& datagram)>;

  /// Binds `ip`:`port` (port 0: a free one, see port()) and serves until destroyed.
  UdpServer(const std::string& ip, int port, Handler handler) : handler_(std::move(handler)) {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    ok_ = ::inet_pton(AF_INET, ip.c_str(), &a.sin_addr) == 1 &&
          ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Loop(); });
  }
  ~UdpServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }
  UdpServer(const UdpServer&) = delete;
  UdpServer& operator=(const UdpServer&) = delete;

  bool ok() const { return ok_; }
  int port() const { return port_; }

 private:
  void Loop() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) != 1) continue;  // wakes to see stop_
      char buf[2048];
      sockaddr_in from{};
      socklen_t len = sizeof from;
      const ssize_t n = ::recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
      if (n <= 0) continue;
      const auto reply = handler_(std::string(buf, static_cast<std::size_t>(n)));
      if (reply) ::sendto(fd_, reply->data(), reply->size(), 0, reinterpret_cast<sockaddr*>(&from), len);
    }
  }

  Handler handler_;
  int fd_ = -1;
  int port_ = 0;
  bool ok_ = false;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace ironward::testing
