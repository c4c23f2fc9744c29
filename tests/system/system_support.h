// Small helpers for the whole-stack system tests: shell commands with captured output, free
// loopback ports, waiting for an eventual outcome, and the private test engine's Engine API
// (through curl on its unix socket, so the tests need no ironward library of their own).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/core/ports.h"

namespace ironward::system_test {

struct CmdResult {
  int code = -1;  ///< exit code; -1 when killed by a signal
  std::string out;  ///< stdout + stderr
};

/// Runs `cmd` with /bin/sh, stderr folded into stdout.
inline CmdResult Sh(const std::string& cmd) {
  CmdResult r;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) r.out.append(buf, n);
  const int st = ::pclose(p);
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

/// Single-quotes `s` for /bin/sh.
inline std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

inline std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}


/// First of `count` consecutive free loopback ports (0 if none), distinct per call.
inline int FreePortBase(int count, int first = 20000) { return testing::FreeLoopbackPorts(count, first); }

/// Polls `pred` every 100 ms until it holds or `timeout` passes; the last evaluation's result.
template <class Pred>
bool Eventually(Pred pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return pred();
}

/// "DOCKER_HOST=unix:///…/docker.sock" from the docker_engine fixture's env file ("" if absent).
inline std::string DockerHostLine(const std::string& env_file) {
  std::ifstream in(env_file);
  std::string line;
  if (!in || !std::getline(in, line) || line.rfind("DOCKER_HOST=unix://", 0) != 0) return "";
  return Trim(line);
}

/// The test engine's docker0 address (scripts/dockerd-test.sh, IRONWARD_DOCKERD_BIP).
inline std::string Docker0Address() {
  const char* bip = std::getenv("IRONWARD_DOCKERD_BIP");
  const std::string v = bip != nullptr && *bip != '\0' ? bip : "172.29.0.1/24";
  return v.substr(0, v.find('/'));
}

/// The Engine API of the private engine, spoken with curl(1) over its unix socket.
class EngineApi {
 public:
  explicit EngineApi(std::string socket) : socket_(std::move(socket)) {}

  /// METHOD path → (HTTP status, body). `query` entries are url-encoded (`-G --data-urlencode`).
  std::pair<int, std::string> Call(const std::string& method, const std::string& path,
                                   const std::string& query = "") const {
    std::string cmd = "curl -sS --max-time 30 -o - -w '\\n%{http_code}' --unix-socket " + Quote(socket_) +
                      " -X " + method;
    if (!query.empty()) cmd += " -G --data-urlencode " + Quote(query);
    cmd += " " + Quote("http://docker" + path);
    const CmdResult r = Sh(cmd);
    const auto nl = r.out.rfind('\n');
    if (r.code != 0 || nl == std::string::npos) return {0, r.out};
    return {std::atoi(r.out.c_str() + nl + 1), r.out.substr(0, nl)};
  }

  /// GET /containers/{name}/json, or null when there is no such container.
  nlohmann::json Inspect(const std::string& name) const {
    const auto [code, body] = Call("GET", "/containers/" + name + "/json");
    if (code != 200) return nullptr;
    return nlohmann::json::parse(body, nullptr, false);
  }

  /// Ids of all containers (running or not) carrying `label` ("key=value").
  std::vector<std::string> ContainersWithLabel(const std::string& label) const {
    const auto [code, body] =
        Call("GET", "/containers/json?all=1", "filters={\"label\":[\"" + label + "\"]}");
    std::vector<std::string> ids;
    if (code != 200) return ids;
    const auto j = nlohmann::json::parse(body, nullptr, false);
    if (!j.is_array()) return ids;
    for (const auto& c : j) ids.push_back(c.value("Id", ""));
    return ids;
  }

  /// DELETE /containers/{id}?force=true: 204 removed, 404 already gone.
  int RemoveContainer(const std::string& id) const {
    return Call("DELETE", "/containers/" + id + "?force=true").first;
  }

  int RemoveNetwork(const std::string& name) const { return Call("DELETE", "/networks/" + name).first; }

 private:
  std::string socket_;
};

}  // namespace ironward::system_test
