// Test harness for the iron-proxy double: spawning it with a clean environment, reading its
// JSON stderr, free ports, a recording HTTP(S) upstream, and libcurl/raw-socket clients.
#pragma once

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/temp_dir.h"

// Tests build HttpOptions with designated initializers, leaving the other fields defaulted.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace doubletest {

using Json = nlohmann::json;
using Env = std::map<std::string, std::string>;

std::string Double039();
std::string Double045();

/// The shared test temp directory (tests/support/temp_dir.h): path(), str(), Write().
using TempDir = ironward::testing::TempDir;

struct RunResult {
  int exit_code = -1;   // -1 when killed by a signal
  int signal = 0;
  std::string out, err;
};

// Runs binary with args and exactly env (plus PATH), waiting up to timeout.
RunResult RunDouble(const std::string& binary, const std::vector<std::string>& args, const Env& env,
              std::chrono::milliseconds timeout = std::chrono::seconds(20));

// A running double with its stderr collected line by line.
class Proc {
 public:
  Proc(const std::string& binary, const std::vector<std::string>& args, const Env& env);
  ~Proc();
  // First JSON line with this msg (after skip earlier matches); null json on timeout.
  Json WaitLog(const std::string& msg, std::chrono::milliseconds timeout = std::chrono::seconds(10), int skip = 0);
  std::string Stderr();
  std::string Stdout();
  void Signal(int sig);
  // Waits until msg is logged (true) or the process exits (false).
  bool WaitStartedOrExit(const std::string& msg, std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Waits for exit; returns RunResult-like codes (exit_code or signal).
  RunResult Wait(std::chrono::milliseconds timeout = std::chrono::seconds(15));
  int port_of(const std::string& msg);  // port from the "addr" of a "... starting" line

 private:
  int pid_ = -1;
  int err_fd_ = -1, out_fd_ = -1;
  std::thread reader_;
  std::mutex mu_;
  std::string err_, out_;
  std::atomic<bool> done_{false};
  bool reaped_ = false;
  RunResult result_;
};

int FreePort();
// Default environment: PATH, HOME and IRON_STATE_STORE pointing at dir.
Env BaseEnv(const TempDir& dir);

// Minimal upstream: answers every request 200 "upstream-ok", remembering each request head.
class Upstream {
 public:
  // With cert/key paths it serves TLS. Listens on 127.0.0.1 unless bind_ip says otherwise
  // (e.g. "0.0.0.0", to be reachable from containers too); on `port`, or a free one when 0
  // (ok() says whether the bind worked).
  explicit Upstream(const std::string& cert_pem_path = "", const std::string& key_pem_path = "",
                    const std::string& bind_ip = "127.0.0.1", int port = 0);
  ~Upstream();
  int port() const { return port_; }
  bool ok() const { return bound_; }
  std::vector<std::string> Requests();  // raw request heads + bodies
  // Waits this long after reading a request before answering (a model thinking before its headers).
  void SetResponseDelay(std::chrono::milliseconds d) { delay_ms_ = static_cast<int>(d.count()); }

 private:
  void Loop();
  int fd_ = -1, port_ = 0;
  bool bound_ = false;
  void* ssl_ctx_ = nullptr;
  std::atomic<bool> stop_{false};
  std::atomic<int> delay_ms_{0};
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> requests_;
};

struct HttpResult {
  long status = 0;
  std::string body, headers, error;
};
struct HttpOptions {
  std::string method = "GET";
  std::string proxy;    // e.g. http://127.0.0.1:1234
  std::string cainfo;   // CA bundle for the target
  std::vector<std::string> headers;
  std::string body;
};
HttpResult Http(const std::string& url, const HttpOptions& opts = {});

// Sends raw bytes to 127.0.0.1:port and returns whatever arrives until close/timeout.
std::string RawExchange(int port, const std::string& data, int timeout_ms = 3000);

// Writes a CA (ca.crt/ca.key) for the double via its own generate-ca (ed25519, fast).
void MakeDoubleCa(const TempDir& dir);
// Creates a test upstream CA (upca.crt) and a localhost leaf (up.crt/up.key) via openssl(1).
void MakeUpstreamPki(const TempDir& dir);

// A working config for tests (loopback :0 listeners, metrics/DNS on free ports).
std::string BaseConfig(const TempDir& dir, const std::string& extra_yaml, bool deny_none = true,
                       int metrics_port = 0);

}  // namespace doubletest
