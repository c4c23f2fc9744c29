// Sockets: listeners with Go's address syntax and error texts, buffered connections that
// can switch to TLS, and upstream dialing through the deny guard.
#pragma once

#include "cidr.h"

#include <openssl/ssl.h>

#include <atomic>
#include <string>
#include <string_view>

namespace irondouble {

// Set once shutdown begins; accept loops and idle keep-alive reads stop.
extern std::atomic<bool> g_stopping;

class Conn {
 public:
  explicit Conn(int fd);
  ~Conn();
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  int fd() const { return fd_; }
  bool is_tls() const { return ssl_ != nullptr; }
  // Server-side handshake; SNI available via sni() afterwards.
  bool StartServerTls(SSL_CTX* ctx, std::string* err);
  // Client-side handshake verifying host (name or IP) against ctx's roots.
  bool StartClientTls(SSL_CTX* ctx, const std::string& host, std::string* err);
  std::string sni() const;

  long ReadSome(char* out, std::size_t n);
  bool ReadLine(std::string* line, std::size_t max = 1 << 20);
  bool ReadN(std::size_t n, std::string* out);
  void ReadToEof(std::string* out);
  bool WriteAll(std::string_view data);
  // Peeks the next byte without consuming it (plain or TLS). -1 on EOF/error/stop.
  int PeekByte(int timeout_ms);
  // True once data is available; false on timeout or when g_stopping is set (idle waits).
  bool WaitReadable(int timeout_ms, bool stop_on_shutdown);
  void SetTimeouts(int recv_ms, int send_ms);
  void ShutdownWrite();
  // Reads one byte at a time (no read-ahead), so a later TLS handshake sees every byte.
  void SetUnbuffered(bool on) { unbuffered_ = on; }

  std::string remote_addr;
  std::string local_addr;

 private:
  bool Fill();

  int fd_;
  SSL* ssl_ = nullptr;
  std::string buf_;
  std::size_t pos_ = 0;
  bool unbuffered_ = false;
};

// Binds a TCP listener on a Go-style address (":80", "127.0.0.1:0", "[::1]:0", "localhost:0").
// On success returns the fd and sets *bound to Go's ln.Addr().String(); on failure returns -1
// and sets *err like "listen tcp :80: bind: permission denied".
int ListenTcp(const std::string& addr, std::string* bound, std::string* err);
int ListenUdp(const std::string& addr, std::string* bound, std::string* err);

// Accepts with a short poll so the loop can notice g_stopping; -1 when stopping.
int AcceptLoopOnce(int listen_fd, std::string* remote, std::string* local);

// Dials host:port, refusing resolved addresses in the deny guard. *err like Go's net errors.
int DialTcp(const std::string& host, const std::string& port, const DenyGuard& guard,
            int timeout_ms, std::string* err);

std::string SockAddrString(const void* sockaddr);
// Splits "host:port" / "[v6]:port"; false when there is no port.
bool SplitHostPort(const std::string& hostport, std::string* host, std::string* port);

}  // namespace irondouble
