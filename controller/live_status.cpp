#include "controller/live_status.h"

#include "controller/command_support.h"
#include "reconcilers/daemon/pid_record.h"
#include "reconcilers/daemon/readiness.h"
#include "reconcilers/sandboxes/labels.h"
#include "state/encoding.h"

namespace ironward {

LiveCheck CheckProxyLive(const state::StateReader& state, const Processes& processes) {
  auto text = state.Read(daemon::kPidFile);
  if (!text || !text->has_value()) return {false, "iron-proxy is not running (no " + std::string(daemon::kPidFile) + ")"};
  auto rec = daemon::ParsePidRecord(**text);
  if (!rec) return {false, rec.error().message};
  if (rec->pid <= 0) return {false, "iron-proxy start was interrupted before its pid was recorded"};
  const std::string pid = "pid " + std::to_string(rec->pid);
  if (rec->state == daemon::RecordState::kStopping) return {false, "iron-proxy was stopped by ironward (" + pid + ")"};
  switch (processes.CheckIdentity({rec->pid, rec->nonce, rec->starttime})) {
    case Liveness::kAlive: break;
    case Liveness::kGone: return {false, "iron-proxy is gone (" + pid + " is not running)"};
    case Liveness::kRecycled:
      return {false, "iron-proxy is gone (" + pid + " now belongs to another process)"};
  }
  auto config = state.Read("proxy.yaml");
  if (!config || !config->has_value()) return {false, "proxy.yaml is missing"};
  auto eps = daemon::EndpointsFromConfig(**config);
  if (!eps) return {false, eps.error().message};
  // A plain loopback socket: no proxy variables, nothing ironward's own HTTP client would add.
  if (const std::string why = daemon::CheckHealthy(nullptr, *eps); !why.empty()) return {false, pid + ": " + why};
  return {true, pid + " serving"};
}

/// A pid reused by another program is not it: its command line must name ironward.
bool RunProcessAlive(const state::StatusDoc& doc, const Processes& processes) {
  auto it = doc.extra.find("run");
  if (it == doc.extra.end() || !it->is_object() || !it->contains("pid") || !(*it)["pid"].is_number_integer()) {
    return false;
  }
  const long pid = (*it)["pid"].get<long>();
  if (pid <= 0 || !processes.Exists(static_cast<pid_t>(pid))) return false;
  return processes.ReadCommandLine(static_cast<pid_t>(pid)).find("ironward") != std::string::npos;
}

namespace {

bool RefusalHolds(const state::StatusDoc& doc, const Processes& processes) {
  auto it = doc.extra.find("desired_refused");
  if (it == doc.extra.end() || !it->is_object() || !RunProcessAlive(doc, processes)) return false;
  const std::vector<std::string> paths = RefusedPaths(*it);
  const std::string refused = JsonString(*it, "file_sha256");
  if (paths.empty() || refused.empty()) return true;  // older records: trust the live daemon
  return DesiredFilesDigest(paths) == refused;
}

/// The sandboxes the last pass left running (status details "running") against the containers
/// labelled ironward.dev/owner=<gateway> that run now.
std::optional<LiveCheck> CheckSandboxes(const state::StatusDoc& doc, docker::DockerApi* docker) {
  auto it = doc.resources.find("sandboxes");
  if (it == doc.resources.end() || !it->second.details.contains("running")) return std::nullopt;
  const auto& recorded = it->second.details["running"];
  if (!recorded.is_number_integer() || recorded.get<long>() <= 0) return std::nullopt;
  if (docker == nullptr) return LiveCheck{false, "no Docker engine client (DOCKER_HOST) to check the sandboxes"};
  auto list = docker->ListContainers(sandboxes::OwnerFilter(doc.desired_name), /*all=*/true);
  if (!list) return LiveCheck{false, "cannot list the sandboxes: " + list.error().message};
  long running = 0;
  std::string stopped;
  for (const auto& c : *list) {
    if (c.state == "running") ++running;
    else stopped += (stopped.empty() ? "" : ", ") + c.name + " (" + c.status + ")";
  }
  const long want = recorded.get<long>();
  if (running >= want) return LiveCheck{true, std::to_string(running) + " sandbox(es) running"};
  return LiveCheck{false, std::to_string(running) + " of " + std::to_string(want) + " sandbox(es) running now" +
                              (stopped.empty() ? " (the others are gone)" : "; not running: " + stopped)};
}

}  // namespace

nlohmann::json LiveStatus::ToJson() const {
  nlohmann::json j = {{"ready", Ready()}, {"desired_refused_holds", refusal_holds}};
  if (daemon) j["daemon"] = {{"ready", daemon->ready}, {"message", daemon->message}};
  if (sandboxes) j["sandboxes"] = {{"ready", sandboxes->ready}, {"message", sandboxes->message}};
  return j;
}

LiveStatus CheckLive(const state::StateReader& state, const state::StatusDoc& doc, docker::DockerApi* docker,
                     const Processes& processes) {
  LiveStatus live;
  if (doc.resources.count("daemon") > 0) live.daemon = CheckProxyLive(state, processes);
  live.sandboxes = CheckSandboxes(doc, docker);
  live.refusal_holds = RefusalHolds(doc, processes);
  return live;
}

}  // namespace ironward
