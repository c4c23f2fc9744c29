// iron-proxy-enabled (ironward's own state dir) and docker-seccomp.
#include <nlohmann/json.hpp>
#include <sstream>

#include "controller/harden/signals.h"

namespace ironward::harden {

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
