#include "tests/fakes/forward_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <sstream>

#include "state/encoding.h"

namespace ironward::test {
namespace {

void WriteAll(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

void Answer(int fd, const std::string& status, const std::string& body) {
  WriteAll(fd, "HTTP/1.1 " + status + "\r\nContent-Type: text/plain\r\nContent-Length: " +
                   std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
}

/// Value of a header in `head` (case-insensitive name), or "".
std::string HeaderValue(const std::string& head, const std::string& name) {
  std::istringstream in(head);
  std::string line;
  while (std::getline(in, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos || AsciiLower(line.substr(0, colon)) != name) continue;
    std::string v = line.substr(colon + 1);
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.erase(0, 1);
    while (!v.empty() && (v.back() == '\r' || v.back() == ' ')) v.pop_back();
    return v;
  }
  return "";
}

int ConnectLoopback(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

ForwardProxy::ForwardProxy(int upstream_port) : upstream_port_(upstream_port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 16) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return;
  }
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { Serve(); });
}

ForwardProxy::~ForwardProxy() {
  stopping_ = true;
  if (listen_fd_ >= 0) ::shutdown(listen_fd_, SHUT_RDWR);  // wakes the blocked accept()
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

std::vector<std::string> ForwardProxy::requests() const {
  std::lock_guard lock(mu_);
  return lines_;
}

void ForwardProxy::Serve() {
  while (!stopping_) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR) continue;
      return;
    }
    Handle(fd);
    ::close(fd);
  }
}

void ForwardProxy::Handle(int fd) {
  timeval tv{5, 0};  // a stuck client must not hang the test
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string data;
  char buf[4096];
  std::size_t end = std::string::npos;
  while ((end = data.find("\r\n\r\n")) == std::string::npos && data.size() < 65536) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return;
    data.append(buf, static_cast<std::size_t>(n));
  }
  if (end == std::string::npos) return;
  const std::string head = data.substr(0, end + 4);
  std::string body = data.substr(end + 4);
  const std::size_t want = std::strtoul(HeaderValue(head, "content-length").c_str(), nullptr, 10);
  while (body.size() < want) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return;
    body.append(buf, static_cast<std::size_t>(n));
  }
  const std::string line = head.substr(0, head.find("\r\n"));
  {
    std::lock_guard lock(mu_);
    lines_.push_back(line);
  }
  const auto sp1 = line.find(' ');
  const std::string target = line.substr(sp1 + 1, line.find(' ', sp1 + 1) - sp1 - 1);
  if (line.rfind("CONNECT ", 0) == 0) {
    Answer(fd, "403 Forbidden", "");
  } else if (target.rfind("http://", 0) != 0) {
    Answer(fd, "200 OK", "direct");
  } else if (upstream_port_ <= 0) {
    Answer(fd, "200 OK", "via-proxy");
  } else {
    Forward(fd, head, body);
  }
}

void ForwardProxy::Forward(int fd, const std::string& head, const std::string& body) {
  // "POST http://host/api/x HTTP/1.1" -> "POST /api/x HTTP/1.1", one request per connection.
  const std::string line = head.substr(0, head.find("\r\n"));
  const auto sp1 = line.find(' ');
  const auto sp2 = line.find(' ', sp1 + 1);
  const std::string target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const auto slash = target.find('/', 7);
  std::string out = line.substr(0, sp1) + " " + (slash == std::string::npos ? "/" : target.substr(slash)) + " " +
                    line.substr(sp2 + 1) + "\r\n";
  std::istringstream in(head.substr(line.size() + 2));
  std::string h;
  while (std::getline(in, h)) {
    if (!h.empty() && h.back() == '\r') h.pop_back();
    const std::string name = AsciiLower(h.substr(0, h.find(':')));
    if (h.empty() || name == "connection" || name == "proxy-connection") continue;
    out += h + "\r\n";
  }
  out += "Connection: close\r\n\r\n" + body;
  const int up = ConnectLoopback(upstream_port_);
  if (up < 0) {
    Answer(fd, "502 Bad Gateway", "");
    return;
  }
  timeval tv{5, 0};
  ::setsockopt(up, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  WriteAll(up, out);
  char buf[4096];
  ssize_t n = 0;
  while ((n = ::recv(up, buf, sizeof buf, 0)) > 0) WriteAll(fd, std::string(buf, static_cast<std::size_t>(n)));
  ::close(up);
}

}  // namespace ironward::test
