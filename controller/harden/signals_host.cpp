// iron-proxy-enabled, iron-proxy-running (ironward's own state dir) and docker-seccomp.
#include <nlohmann/json.hpp>
#include <sstream>

#include "controller/harden/signals.h"

namespace ironward::harden {
namespace {

constexpr std::string_view kReconcileFix = "run `ironward reconcile -f FILE`";

// The Ready condition of resources.daemon in status.json, or an explanation of why there is none.
struct ReadyCondition {
  bool found = false;
  std::string status, reason, message;
};

ReadyCondition FindDaemonReady(const nlohmann::json& j) {
  ReadyCondition ready;
  const auto resources = j.find("resources");
  if (resources == j.end() || !resources->is_object()) return ready;
  const auto daemon = resources->find("daemon");
  if (daemon == resources->end() || !daemon->is_object()) return ready;
  const auto conditions = daemon->find("conditions");
  if (conditions == daemon->end() || !conditions->is_array()) return ready;
  for (const auto& c : *conditions) {
    if (!c.is_object() || c.value("type", nlohmann::json()) != "Ready") continue;
    auto str = [&](const char* key) {
      auto it = c.find(key);
      return it != c.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    ready.found = true;
    ready.status = str("status");
    ready.reason = str("reason");
    ready.message = str("message");
  }
  return ready;
}

}  // namespace

SignalResult ProbeIronProxyEnabled(const ProbeEnv& env) {
  const std::string path = env.state_dir + "/proxy.yaml";
  const FileInfo info = env.files.Stat(path);
  switch (info.kind) {
    case FileInfo::Kind::kRegular:
      return Make(kIronProxyEnabled, SignalStatus::kPass, path + " present", "");
    case FileInfo::Kind::kMissing:
      return Make(kIronProxyEnabled, SignalStatus::kFail, path + " not found", std::string(kReconcileFix));
    case FileInfo::Kind::kSymlink:
      return Make(kIronProxyEnabled, SignalStatus::kFail, path + " is a symlink (ironward never follows one)",
                  "remove the symlink, then " + std::string(kReconcileFix));
    case FileInfo::Kind::kDenied:
      return Make(kIronProxyEnabled, SignalStatus::kWarn, "cannot inspect " + info.error, std::string(kRunAsRoot));
    case FileInfo::Kind::kDirectory:
    case FileInfo::Kind::kOther:
      return Make(kIronProxyEnabled, SignalStatus::kFail, path + " is not a regular file",
                  "remove it, then " + std::string(kReconcileFix));
    case FileInfo::Kind::kError:
      break;
  }
  return Make(kIronProxyEnabled, SignalStatus::kWarn, "cannot inspect " + info.error, "");
}

SignalResult ProbeIronProxyRunning(const ProbeEnv& env) {
  const std::string path = env.state_dir + "/status.json";
  const FileRead read = env.files.Read(path, /*follow_symlinks=*/false);
  switch (read.outcome) {
    case FileRead::Outcome::kOk:
      break;
    case FileRead::Outcome::kMissing:
      return Make(kIronProxyRunning, SignalStatus::kFail, path + " not found (ironward has not run here)",
                  std::string(kReconcileFix));
    case FileRead::Outcome::kDenied:
      return Make(kIronProxyRunning, SignalStatus::kWarn, "cannot read " + read.error, std::string(kRunAsRoot));
    default:
      return Make(kIronProxyRunning, SignalStatus::kWarn, "cannot read " + read.error, "");
  }
  const nlohmann::json j = nlohmann::json::parse(read.content, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return Make(kIronProxyRunning, SignalStatus::kWarn, path + " is not a JSON object", std::string(kReconcileFix));
  }
  const ReadyCondition ready = FindDaemonReady(j);
  if (!ready.found) {
    return Make(kIronProxyRunning, SignalStatus::kFail, "status.json has no Ready condition for the proxy daemon",
                std::string(kReconcileFix));
  }
  if (ready.status == "True") {
    return Make(kIronProxyRunning, SignalStatus::kPass, "proxy daemon Ready (status.json)", "");
  }
  std::string why = ready.reason.empty() ? "" : ", " + FirstLine(ready.reason, 60);
  if (!ready.message.empty()) why += ": " + FirstLine(ready.message, 120);
  return Make(kIronProxyRunning, SignalStatus::kFail, "proxy daemon Ready=" + FirstLine(ready.status, 20) + why,
              "see `ironward status`, then " + std::string(kReconcileFix));
}

SignalResult ProbeDockerSeccomp(const ProbeEnv& env) {
  CommandResult r;
  if (auto early =
          RunOrReport(env, kDockerSeccomp, {"docker", "info", "--format", "{{json .SecurityOptions}}"}, "", &r)) {
    return *early;
  }
  if (r.exit_code != 0) {
    if (LooksDenied(r)) {
      return Make(kDockerSeccomp, SignalStatus::kWarn, "cannot reach the Docker daemon: " + Complaint(r),
                  "run as root (or as a member of the docker group)");
    }
    // Older CLIs say "Cannot connect to the Docker daemon", newer ones "failed to connect to the
    // docker API"; with --format and no daemon some only print a template error on a nil Info.
    if (ContainsNoCase(r.err, "cannot connect to the docker daemon") ||
        ContainsNoCase(r.err, "failed to connect to the docker") ||
        ContainsNoCase(r.err, "nil pointer to embedded struct field info")) {
      return Make(kDockerSeccomp, SignalStatus::kWarn, "the Docker daemon is not reachable", "systemctl start docker");
    }
    return Make(kDockerSeccomp, SignalStatus::kWarn, "docker info failed: " + Complaint(r), "");
  }
  const nlohmann::json j = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_array()) {
    return Make(kDockerSeccomp, SignalStatus::kWarn, "unrecognised `docker info` output: " + FirstLine(r.out), "");
  }
  // ["name=apparmor","name=seccomp,profile=builtin","name=cgroupns"]
  for (const auto& option : j) {
    if (!option.is_string()) continue;
    std::istringstream fields(option.get<std::string>());
    std::string field;
    bool seccomp = false;
    std::string profile = "default";
    while (std::getline(fields, field, ',')) {
      if (field == "name=seccomp") seccomp = true;
      if (field.rfind("profile=", 0) == 0) profile = field.substr(8);
    }
    if (!seccomp) continue;
    if (profile == "unconfined") {
      return Make(
          kDockerSeccomp, SignalStatus::kFail, "the Docker daemon's default seccomp profile is unconfined",
          "remove \"seccomp-profile\": \"unconfined\" from /etc/docker/daemon.json, then: systemctl restart docker");
    }
    return Make(kDockerSeccomp, SignalStatus::kPass, "seccomp enabled (profile " + FirstLine(profile, 60) + ")", "");
  }
  return Make(kDockerSeccomp, SignalStatus::kFail, "the Docker daemon does not report seccomp",
              "run dockerd on a kernel with seccomp support (CONFIG_SECCOMP) and without --seccomp-profile=unconfined");
}

}  // namespace ironward::harden
