// A tiny HTTP forward proxy for tests, on 127.0.0.1:<ephemeral port>, one connection at a time.
// It records every request line it receives:
//   "GET http://host/path HTTP/1.1"  absolute form (a client using it as HTTP_PROXY): forwarded
//                                    to 127.0.0.1:<upstream_port>, or answered 200 "via-proxy"
//                                    when there is no upstream;
//   "CONNECT host:443 HTTP/1.1"      (HTTPS_PROXY): refused with 403 (no tunnel);
//   "GET /healthz HTTP/1.1"          origin form (a client talking to it directly): answered 200
//                                    "direct", so it also serves as a plain loopback server.
// Bodies are never recorded or printed.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ironward::test {

class ForwardProxy {
 public:
  explicit ForwardProxy(int upstream_port = 0);
  ~ForwardProxy();
  ForwardProxy(const ForwardProxy&) = delete;
  ForwardProxy& operator=(const ForwardProxy&) = delete;

  bool ok() const { return port_ > 0; }
  int port() const { return port_; }
  /// "http://127.0.0.1:<port>": the value of HTTP_PROXY / HTTPS_PROXY.
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  /// Request lines seen so far (each complete: recorded before the answer is sent).
  std::vector<std::string> requests() const;

 private:
  void Serve();
  void Handle(int fd);
  void Forward(int fd, const std::string& head, const std::string& body);

  int listen_fd_ = -1;
  int port_ = 0;
  int upstream_port_ = 0;
  std::atomic<bool> stopping_{false};
  mutable std::mutex mu_;
  std::vector<std::string> lines_;
  std::thread thread_;
};

}  // namespace ironward::test
