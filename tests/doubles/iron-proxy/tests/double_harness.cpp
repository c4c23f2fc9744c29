#include "double_harness.h"

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "tests/support/eventually.h"
#include "tests/support/ports.h"

extern char** environ;

namespace doubletest {
namespace fs = std::filesystem;

std::string Double039() { return IRON_DOUBLE_039; }
std::string Double045() { return IRON_DOUBLE_045; }

namespace {

int Spawn(const std::string& binary, const std::vector<std::string>& args, const Env& env, int* out_fd, int* err_fd) {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t def;
  sigemptyset(&def);
  sigaddset(&def, SIGPIPE);
  sigaddset(&def, SIGHUP);
  posix_spawnattr_setsigdefault(&attr, &def);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
  std::vector<std::string> argv_s = {binary};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_s;
  const char* path = std::getenv("PATH");
  env_s.push_back(std::string("PATH=") + (path ? path : "/usr/bin:/bin"));
  for (const auto& [k, v] : env) env_s.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = -1;
  if (posix_spawn(&pid, binary.c_str(), &fa, &attr, argv.data(), envp.data()) != 0) throw std::runtime_error("spawn");
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  close(out[1]);
  close(err[1]);
  *out_fd = out[0];
  *err_fd = err[0];
  return pid;
}

RunResult Decode(int status) {
  RunResult r;
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  return r;
}

}  // namespace

RunResult RunDouble(const std::string& binary, const std::vector<std::string>& args, const Env& env,
              std::chrono::milliseconds timeout) {
  Proc p(binary, args, env);
  return p.Wait(timeout);
}

Proc::Proc(const std::string& binary, const std::vector<std::string>& args, const Env& env) {
  pid_ = Spawn(binary, args, env, &out_fd_, &err_fd_);
  reader_ = std::thread([this] {
    struct pollfd fds[2] = {{err_fd_, POLLIN, 0}, {out_fd_, POLLIN, 0}};
    int open_fds = 2;
    char buf[8192];
    while (open_fds > 0) {
      if (poll(fds, 2, 200) <= 0) continue;
      for (auto& f : fds) {
        if (f.fd < 0 || !(f.revents & (POLLIN | POLLHUP))) continue;
        ssize_t n = read(f.fd, buf, sizeof buf);
        if (n <= 0) { close(f.fd); f.fd = -1; --open_fds; continue; }
        std::lock_guard<std::mutex> lock(mu_);
        (f.fd == err_fd_ ? err_ : out_).append(buf, static_cast<std::size_t>(n));
      }
    }
    done_ = true;
  });
}

Proc::~Proc() {
  if (!reaped_) {
    kill(pid_, SIGKILL);
    int st = 0;
    waitpid(pid_, &st, 0);
  }
  if (reader_.joinable()) reader_.join();
}

Json Proc::WaitLog(const std::string& msg, std::chrono::milliseconds timeout, int skip) {
  Json found;
  (void)ironward::testing::Eventually([&] {
    std::istringstream ss(Stderr());
    std::string line;
    int seen = 0;
    while (std::getline(ss, line)) {
      Json j = Json::parse(line, nullptr, false);
      if (j.is_object() && j.value("msg", "") == msg && seen++ >= skip) {
        found = std::move(j);
        return true;
      }
    }
    return false;
  }, timeout, std::chrono::milliseconds(20));
  return found;
}

std::string Proc::Stderr() { std::lock_guard<std::mutex> lock(mu_); return err_; }
std::string Proc::Stdout() { std::lock_guard<std::mutex> lock(mu_); return out_; }
void Proc::Signal(int sig) { kill(pid_, sig); }

bool Proc::WaitStartedOrExit(const std::string& msg, std::chrono::milliseconds timeout) {
  bool started = false;
  (void)ironward::testing::Eventually([&] {
    started = WaitLog(msg, std::chrono::milliseconds(0)).is_object();
    return started || done_.load();  // done: stderr closed, the process is exiting
  }, timeout, std::chrono::milliseconds(10));
  return started;
}

RunResult Proc::Wait(std::chrono::milliseconds timeout) {
  if (!reaped_) {
    int st = 0;
    if (!ironward::testing::Eventually([&] { return waitpid(pid_, &st, WNOHANG) != 0; }, timeout,
                                       std::chrono::milliseconds(10))) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &st, 0);
    }
    reaped_ = true;
    result_ = Decode(st);
    if (reader_.joinable()) reader_.join();
  }
  RunResult r = result_;
  r.out = Stdout();
  r.err = Stderr();
  return r;
}

int Proc::port_of(const std::string& msg) {
  Json j = WaitLog(msg);
  if (!j.is_object()) return 0;
  std::string addr = j.value("addr", "");
  return std::atoi(addr.substr(addr.rfind(':') + 1).c_str());
}

// Below the ephemeral range, claimed per process (tests/support/ports.h): a port the kernel just
// handed out as free (bind to 0) can be taken as some connection's source port before the proxy
// binds it, which failed CI once with "bind: address already in use".
int FreePort() { return ironward::testing::FreeLoopbackPorts(1, 18000); }

Env BaseEnv(const TempDir& dir) { return {{"HOME", dir.str()}, {"IRON_STATE_STORE", dir.str() + "/state"}}; }

std::string BaseConfig(const TempDir& dir, const std::string& extra, bool deny_none, int metrics_port) {
  std::ostringstream y;
  y << "dns:\n  listen: \"127.0.0.1:" << FreePort() << "\"\n  proxy_ip: \"127.0.0.1\"\n"
    << "proxy:\n  http_listen: \"127.0.0.1:0\"\n  https_listen: \"127.0.0.1:0\"\n  tunnel_listen: \"127.0.0.1:0\"\n";
  if (deny_none) y << "  upstream_deny_cidrs: []\n";
  y << "tls:\n  ca_cert: \"" << dir.str() << "/ca.crt\"\n  ca_key: \"" << dir.str() << "/ca.key\"\n"
    << "metrics:\n  listen: \"127.0.0.1:" << (metrics_port ? metrics_port : FreePort()) << "\"\n" << extra;
  return y.str();
}

void MakeDoubleCa(const TempDir& dir) {
  RunResult r = RunDouble(Double039(), {"generate-ca", "-outdir", dir.path(), "-alg", "ed25519"}, {});
  if (r.exit_code != 0) throw std::runtime_error("generate-ca failed: " + r.err);
}

void MakeUpstreamPki(const TempDir& dir) {
  std::string d = dir.path();
  std::string cmd =
      "cd " + d + " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
      "-subj /CN=upstream-test-ca -keyout upca.key -out upca.crt >/dev/null 2>&1 && "
      "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost "
      "-keyout up.key -out up.csr >/dev/null 2>&1 && "
      "printf 'subjectAltName=DNS:localhost\\nextendedKeyUsage=serverAuth\\n' > up.ext && "
      "openssl x509 -req -in up.csr -CA upca.crt -CAkey upca.key -CAcreateserial -days 2 "
      "-extfile up.ext -out up.crt >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("openssl failed");
}

Upstream::Upstream(const std::string& cert, const std::string& key, const std::string& bind_ip, int port) {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  if (inet_pton(AF_INET, bind_ip.c_str(), &a.sin_addr) != 1) a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bound_ = bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  listen(fd_, 16);
  socklen_t len = sizeof a;
  getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  if (!cert.empty()) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate_chain_file(ctx, cert.c_str());
    SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM);
    ssl_ctx_ = ctx;
  }
  thread_ = std::thread([this] { Loop(); });
}

Upstream::~Upstream() {
  stop_ = true;
  thread_.join();
  close(fd_);
  if (ssl_ctx_) SSL_CTX_free(static_cast<SSL_CTX*>(ssl_ctx_));
}

std::vector<std::string> Upstream::Requests() { std::lock_guard<std::mutex> lock(mu_); return requests_; }

void Upstream::Loop() {
  while (!stop_) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) continue;
    timeval tv{3, 0};
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    SSL* ssl = nullptr;
    if (ssl_ctx_) {
      ssl = SSL_new(static_cast<SSL_CTX*>(ssl_ctx_));
      SSL_set_fd(ssl, c);
      if (SSL_accept(ssl) != 1) { ERR_clear_error(); SSL_free(ssl); close(c); continue; }
    }
    auto rd = [&](char* b, int n) { return ssl ? SSL_read(ssl, b, n) : static_cast<int>(recv(c, b, static_cast<size_t>(n), 0)); };
    std::string req;
    char buf[4096];
    std::size_t head_end = std::string::npos;
    while ((head_end = req.find("\r\n\r\n")) == std::string::npos) {
      int n = rd(buf, sizeof buf);
      if (n <= 0) break;
      req.append(buf, static_cast<std::size_t>(n));
    }
    if (head_end != std::string::npos) {
      std::size_t cl = 0;
      std::string lower = req.substr(0, head_end);
      for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (auto pos = lower.find("\r\ncontent-length:"); pos != std::string::npos) cl = std::stoul(lower.substr(pos + 17));
      while (req.size() < head_end + 4 + cl) {
        int n = rd(buf, sizeof buf);
        if (n <= 0) break;
        req.append(buf, static_cast<std::size_t>(n));
      }
      { std::lock_guard<std::mutex> lock(mu_); requests_.push_back(req); }
      if (const int delay = delay_ms_.load(); delay > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay));
      std::string resp = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\nConnection: close\r\n\r\nupstream-ok";
      if (ssl) SSL_write(ssl, resp.data(), static_cast<int>(resp.size()));
      else send(c, resp.data(), resp.size(), MSG_NOSIGNAL);
    }
    if (ssl) { SSL_shutdown(ssl); SSL_free(ssl); }
    close(c);
  }
}

namespace {
size_t Append(char* p, size_t s, size_t n, void* out) {
  static_cast<std::string*>(out)->append(p, s * n);
  return s * n;
}
}  // namespace

HttpResult Http(const std::string& url, const HttpOptions& o) {
  HttpResult r;
  CURL* c = curl_easy_init();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, o.method.c_str());
  if (o.method == "HEAD") curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  if (!o.proxy.empty()) curl_easy_setopt(c, CURLOPT_PROXY, o.proxy.c_str());
  else curl_easy_setopt(c, CURLOPT_PROXY, "");
  curl_easy_setopt(c, CURLOPT_NOPROXY, "");
  if (!o.cainfo.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, o.cainfo.c_str());
  if (!o.body.empty()) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, o.body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(o.body.size()));
  }
  curl_slist* hs = nullptr;
  for (const auto& h : o.headers) hs = curl_slist_append(hs, h.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, hs);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, Append);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &r.headers);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 15L);
  CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) r.error = curl_easy_strerror(rc);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  curl_slist_free_all(hs);
  curl_easy_cleanup(c);
  return r;
}

std::string RawExchange(int port, const std::string& data, int timeout_ms) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) { close(fd); return ""; }
  send(fd, data.data(), data.size(), MSG_NOSIGNAL);
  std::string out;
  char buf[4096];
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  close(fd);
  return out;
}

}  // namespace doubletest
