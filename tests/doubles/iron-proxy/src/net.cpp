#include "net.h"

#include "ca.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace irondouble {

std::atomic<bool> g_stopping{false};

Conn::Conn(int fd) : fd_(fd) {}

Conn::~Conn() {
  if (ssl_ != nullptr) {
    SSL_shutdown(ssl_);
    SSL_free(ssl_);
  }
  if (fd_ >= 0) ::close(fd_);
}

bool Conn::StartServerTls(SSL_CTX* ctx, std::string* err) {
  if (pos_ != buf_.size()) {
    *err = "buffered plaintext before TLS handshake";
    return false;
  }
  ssl_ = SSL_new(ctx);
  SSL_set_fd(ssl_, fd_);
  if (SSL_accept(ssl_) != 1) {
    unsigned long e = ERR_get_error();
    *err = e ? ERR_reason_error_string(e) ? ERR_reason_error_string(e) : "handshake failed" : "handshake failed";
    ERR_clear_error();
    SSL_free(ssl_);
    ssl_ = nullptr;
    return false;
  }
  return true;
}

bool Conn::StartClientTls(SSL_CTX* ctx, const std::string& host, std::string* err) {
  ssl_ = SSL_new(ctx);
  SSL_set_fd(ssl_, fd_);
  IpAddr ip;
  if (ParseIp(host, &ip)) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), host.c_str());
  } else {
    SSL_ctrl(ssl_, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(host.c_str()));
    SSL_set1_host(ssl_, host.c_str());
  }
  if (SSL_connect(ssl_) != 1) {
    long verify = SSL_get_verify_result(ssl_);
    if (verify != X509_V_OK) {
      if (verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH) {
        *err = "tls: failed to verify certificate: x509: certificate is valid for other names, not " + host;
      } else {
        *err = std::string("tls: failed to verify certificate: x509: certificate signed by unknown authority (") +
               X509_verify_cert_error_string(verify) + ")";
      }
    } else {
      unsigned long e = ERR_get_error();
      const char* reason = e ? ERR_reason_error_string(e) : nullptr;
      *err = std::string("remote error: tls: ") + (reason ? reason : "handshake failure");
    }
    ERR_clear_error();
    return false;
  }
  return true;
}

std::string Conn::sni() const {
  if (ssl_ == nullptr) return "";
  const char* name = SSL_get_servername(ssl_, TLSEXT_NAMETYPE_host_name);
  return name ? name : "";
}

long Conn::ReadSome(char* out, std::size_t n) {
  if (pos_ < buf_.size()) {
    std::size_t k = std::min(n, buf_.size() - pos_);
    std::memcpy(out, buf_.data() + pos_, k);
    pos_ += k;
    return static_cast<long>(k);
  }
  for (;;) {
    if (ssl_ != nullptr) {
      int r = SSL_read(ssl_, out, static_cast<int>(std::min<std::size_t>(n, 1 << 30)));
      if (r <= 0) {
        ERR_clear_error();
        return 0;
      }
      return r;
    }
    ssize_t r = ::recv(fd_, out, n, 0);
    if (r < 0 && errno == EINTR) continue;
    return r < 0 ? 0 : static_cast<long>(r);
  }
}

bool Conn::Fill() {
  if (pos_ > 0 && pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  }
  char tmp[16384];
  const std::size_t want = unbuffered_ ? 1 : sizeof tmp;
  long n = 0;
  if (ssl_ != nullptr) {
    int r = SSL_read(ssl_, tmp, static_cast<int>(want));
    if (r <= 0) {
      ERR_clear_error();
      return false;
    }
    n = r;
  } else {
    ssize_t r;
    do { r = ::recv(fd_, tmp, want, 0); } while (r < 0 && errno == EINTR);
    if (r <= 0) return false;
    n = r;
  }
  buf_.append(tmp, static_cast<std::size_t>(n));
  return true;
}

bool Conn::ReadLine(std::string* line, std::size_t max) {
  for (;;) {
    std::size_t nl = buf_.find('\n', pos_);
    if (nl != std::string::npos) {
      *line = buf_.substr(pos_, nl - pos_);
      pos_ = nl + 1;
      if (!line->empty() && line->back() == '\r') line->pop_back();
      return true;
    }
    if (buf_.size() - pos_ > max || !Fill()) return false;
  }
}

bool Conn::ReadN(std::size_t n, std::string* out) {
  out->clear();
  while (out->size() < n) {
    if (pos_ == buf_.size() && !Fill()) return false;
    std::size_t k = std::min(n - out->size(), buf_.size() - pos_);
    out->append(buf_, pos_, k);
    pos_ += k;
  }
  return true;
}

void Conn::ReadToEof(std::string* out) {
  out->append(buf_, pos_, std::string::npos);
  pos_ = buf_.size();
  char tmp[16384];
  for (;;) {
    long n = ReadSome(tmp, sizeof tmp);
    if (n <= 0) return;
    out->append(tmp, static_cast<std::size_t>(n));
  }
}

bool Conn::WriteAll(std::string_view data) {
  std::size_t off = 0;
  while (off < data.size()) {
    if (ssl_ != nullptr) {
      int r = SSL_write(ssl_, data.data() + off, static_cast<int>(std::min<std::size_t>(data.size() - off, 1 << 30)));
      if (r <= 0) {
        ERR_clear_error();
        return false;
      }
      off += static_cast<std::size_t>(r);
    } else {
      ssize_t r = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return false;
      off += static_cast<std::size_t>(r);
    }
  }
  return true;
}

bool Conn::WaitReadable(int timeout_ms, bool stop_on_shutdown) {
  int waited = 0;
  for (;;) {
    if (pos_ < buf_.size() || (ssl_ != nullptr && SSL_pending(ssl_) > 0)) return true;
    if (stop_on_shutdown && g_stopping.load()) return false;
    struct pollfd p {fd_, POLLIN, 0};
    int r = ::poll(&p, 1, 200);
    if (r > 0) return true;
    if (r < 0 && errno != EINTR) return false;
    waited += 200;
    if (timeout_ms >= 0 && waited >= timeout_ms) return false;
  }
}

int Conn::PeekByte(int timeout_ms) {
  if (!WaitReadable(timeout_ms, false)) return -1;
  if (pos_ == buf_.size() && ssl_ == nullptr) {
    unsigned char b = 0;
    ssize_t r;
    do { r = ::recv(fd_, &b, 1, MSG_PEEK); } while (r < 0 && errno == EINTR);
    return r == 1 ? b : -1;
  }
  if (pos_ == buf_.size() && !Fill()) return -1;
  return static_cast<unsigned char>(buf_[pos_]);
}

void Conn::SetTimeouts(int recv_ms, int send_ms) {
  struct timeval rt {recv_ms / 1000, (recv_ms % 1000) * 1000};
  struct timeval st {send_ms / 1000, (send_ms % 1000) * 1000};
  setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &rt, sizeof rt);
  setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &st, sizeof st);
}

void Conn::ShutdownWrite() { ::shutdown(fd_, SHUT_WR); }

std::string SockAddrString(const void* sa_raw) {
  const auto* sa = static_cast<const struct sockaddr*>(sa_raw);
  char buf[INET6_ADDRSTRLEN] = {};
  if (sa->sa_family == AF_INET) {
    const auto* in = static_cast<const struct sockaddr_in*>(sa_raw);
    inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
    return std::string(buf) + ":" + std::to_string(ntohs(in->sin_port));
  }
  const auto* in6 = static_cast<const struct sockaddr_in6*>(sa_raw);
  IpAddr ip;
  ip.v6 = true;
  std::memcpy(ip.b.data(), &in6->sin6_addr, 16);
  IpAddr un = Unmap(ip);
  // Appended, not `"[" + un.String()`: that form trips GCC 12's -Wrestrict false positive (bug 105651).
  std::string out;
  if (un.v6) out += '[';
  out += un.String();
  if (un.v6) out += ']';
  out += ':';
  out += std::to_string(ntohs(in6->sin6_port));
  return out;
}

bool SplitHostPort(const std::string& hp, std::string* host, std::string* port) {
  if (!hp.empty() && hp[0] == '[') {
    std::size_t close = hp.find(']');
    if (close == std::string::npos || close + 1 >= hp.size() || hp[close + 1] != ':') return false;
    *host = hp.substr(1, close - 1);
    *port = hp.substr(close + 2);
    return true;
  }
  std::size_t colon = hp.rfind(':');
  if (colon == std::string::npos || hp.find(':') != colon) return false;
  *host = hp.substr(0, colon);
  *port = hp.substr(colon + 1);
  return true;
}

namespace {

int ListenCommon(const std::string& addr, bool udp, std::string* bound, std::string* err) {
  const std::string net = udp ? "udp" : "tcp";
  std::string host, port;
  if (!SplitHostPort(addr, &host, &port)) {
    *err = "listen " + net + " " + addr + ": address " + addr + ": missing port in address";
    return -1;
  }
  struct addrinfo hints {};
  hints.ai_socktype = udp ? SOCK_DGRAM : SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  hints.ai_family = host.empty() ? AF_INET6 : AF_UNSPEC;
  struct addrinfo* res = nullptr;
  int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0 || res == nullptr) {
    *err = "listen " + net + " " + addr + ": lookup " + host + ": no such host";
    if (rc == EAI_SERVICE || rc == EAI_NONAME) err->assign("listen " + net + " " + addr + ": address " + port + ": unknown port");
    return -1;
  }
  // Prefer IPv4 for names like localhost, as Go does for listen.
  struct addrinfo* pick = res;
  for (auto* ai = res; ai; ai = ai->ai_next) {
    if (ai->ai_family == AF_INET) { pick = ai; break; }
  }
  if (host.empty()) pick = res;
  int fd = ::socket(pick->ai_family, pick->ai_socktype | SOCK_CLOEXEC, 0);
  int one = 1, zero = 0;
  if (!udp) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (pick->ai_family == AF_INET6 && host.empty()) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  if (::bind(fd, pick->ai_addr, pick->ai_addrlen) != 0 || (!udp && ::listen(fd, 128) != 0)) {
    *err = "listen " + net + " " + addr + ": bind: " + GoErrno(errno);
    ::close(fd);
    freeaddrinfo(res);
    return -1;
  }
  freeaddrinfo(res);
  struct sockaddr_storage ss {};
  socklen_t len = sizeof ss;
  getsockname(fd, reinterpret_cast<struct sockaddr*>(&ss), &len);
  *bound = SockAddrString(&ss);
  if (host.empty()) *bound = "[::]:" + bound->substr(bound->rfind(':') + 1);
  return fd;
}

}  // namespace

int ListenTcp(const std::string& addr, std::string* bound, std::string* err) {
  return ListenCommon(addr, false, bound, err);
}

int ListenUdp(const std::string& addr, std::string* bound, std::string* err) {
  return ListenCommon(addr, true, bound, err);
}

int AcceptLoopOnce(int listen_fd, std::string* remote, std::string* local) {
  while (!g_stopping.load()) {
    struct pollfd p {listen_fd, POLLIN, 0};
    int r = ::poll(&p, 1, 200);
    if (r <= 0) continue;
    struct sockaddr_storage ss {};
    socklen_t len = sizeof ss;
    int fd = ::accept4(listen_fd, reinterpret_cast<struct sockaddr*>(&ss), &len, SOCK_CLOEXEC);
    if (fd < 0) continue;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    *remote = SockAddrString(&ss);
    len = sizeof ss;
    getsockname(fd, reinterpret_cast<struct sockaddr*>(&ss), &len);
    *local = SockAddrString(&ss);
    return fd;
  }
  return -1;
}

int DialTcp(const std::string& host, const std::string& port, const DenyGuard& guard,
            int timeout_ms, std::string* err) {
  struct addrinfo hints {};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  struct addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0 || res == nullptr) {
    *err = "dial tcp: lookup " + host + ": no such host";
    return -1;
  }
  std::string first_err;
  int result = -1;
  for (auto* ai = res; ai != nullptr && result < 0; ai = ai->ai_next) {
    std::string target = SockAddrString(ai->ai_addr);
    IpAddr ip;
    ParseIp(target.substr(target[0] == '[' ? 1 : 0, target.rfind(':') - (target[0] == '[' ? 2 : 0)), &ip);
    std::string denied = guard.Check(ip);
    if (!denied.empty()) {
      if (first_err.empty()) first_err = "dial tcp " + target + ": " + denied;
      continue;
    }
    int fd = ::socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      struct pollfd p {fd, POLLOUT, 0};
      rc = ::poll(&p, 1, timeout_ms) == 1 ? 0 : -1;
      int so_err = rc == 0 ? 0 : ETIMEDOUT;
      socklen_t len = sizeof so_err;
      if (rc == 0) getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_err, &len);
      errno = so_err;
      rc = so_err == 0 ? 0 : -1;
    }
    if (rc != 0) {
      if (first_err.empty()) {
        first_err = errno == ETIMEDOUT ? "dial tcp " + target + ": i/o timeout"
                                       : "dial tcp " + target + ": connect: " + GoErrno(errno);
      }
      ::close(fd);
      continue;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    result = fd;
  }
  freeaddrinfo(res);
  if (result < 0) *err = first_err;
  return result;
}

}  // namespace irondouble
