// Helpers of the whole-stack system tests: the shared test helpers they use (shell commands, free
// loopback ports, waiting for an outcome; tests/support/) and the private test engine's Engine API
// (through curl on its unix socket, so the tests need no ironward library of their own).
#pragma once

#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/eventually.h"
#include "tests/support/ports.h"
#include "tests/support/shell.h"
#include "tests/support/temp_dir.h"

namespace ironward::system_test {

using testing::CmdResult;
using testing::Quote;
using testing::Sh;
using testing::Trim;

/// testing::Eventually polling every 100 ms: the conditions here run curl and docker(1).
template <class Pred>
bool Eventually(Pred pred, std::chrono::milliseconds timeout) {
  return testing::Eventually(pred, timeout, std::chrono::milliseconds(100));
}

/// The environment variable `name`, or `fallback` (the build's value) when it is unset or empty.
inline std::string Env(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : fallback;
}

/// The pid in `state_dir`/iron-proxy.pid (0 when there is none).
inline pid_t ProxyPidOf(const std::filesystem::path& state_dir) {
  const auto j = nlohmann::json::parse(testing::ReadFile(state_dir / "iron-proxy.pid"), nullptr, false);
  return j.is_object() ? j.value("pid", 0) : 0;
}

/// Stops the proxy `state_dir` started: only a process running its bin/iron-proxy (SIGTERM, then
/// SIGKILL after 3 s).
inline void StopProxyOf(const std::filesystem::path& state_dir) {
  const pid_t pid = ProxyPidOf(state_dir);
  if (pid <= 0) return;
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/exe", ec);
  if (ec || exe.string().rfind(state_dir.string(), 0) != 0) return;
  ::kill(pid, SIGTERM);
  if (!Eventually([&] { return ::kill(pid, 0) != 0; }, std::chrono::seconds(3))) ::kill(pid, SIGKILL);
  Eventually([&] { return ::kill(pid, 0) != 0; }, std::chrono::seconds(3));
}

/// First of `count` consecutive free loopback ports (0 if none), distinct per call.
inline int FreePortBase(int count, int first = 20000) { return testing::FreeLoopbackPorts(count, first); }

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
