#include "reconcilers/sandboxes/wired_containers.h"

#include <algorithm>

#include "reconcilers/sandboxes/labels.h"
#include "state/encoding.h"

namespace ironward::sandboxes {
namespace {

// The labels docker compose (1.x and 2.x) puts on every container of a project.
constexpr const char* kComposeProject = "com.docker.compose.project";
constexpr const char* kComposeService = "com.docker.compose.service";
constexpr const char* kComposeWorkingDir = "com.docker.compose.project.working_dir";
constexpr const char* kComposeConfigFiles = "com.docker.compose.project.config_files";
constexpr const char* kComposeVersion = "com.docker.compose.version";

/// The comma-separated items of `list`, each shell-quoted, each after `flag` when one is given.
std::string Words(const std::string& list, const std::string& flag) {
  std::string out;
  for (std::size_t at = 0; at < list.size();) {
    const auto comma = std::min(list.find(',', at), list.size());
    if (comma > at) out += " " + (flag.empty() ? "" : flag + " ") + ShellQuote(list.substr(at, comma - at));
    at = comma + 1;
  }
  return out;
}

std::string WiringCommand(const std::vector<std::string>& spec_paths, const std::string& format,
                          const std::string& services, const std::string& out) {
  std::string cmd = "ironward wiring";
  for (const auto& p : spec_paths) cmd += " -f " + ShellQuote(p);
  if (spec_paths.empty()) cmd += " -f FILE";
  cmd += " --format " + format + Words(services, "--service");
  if (!out.empty()) cmd += " --out " + ShellQuote(out);
  return cmd;
}

}  // namespace

std::string StaleReason(const docker::ContainerInfo& c, const EgressWiring& current) {
  const ContainerLabels labels = ReadLabels(c.config.labels);
  if (current.Pending()) return "the CA or proxy tokens it was wired with change in this apply";
  if (labels.posture == current.PostureDigest()) return "";
  if (labels.token_rotation && *labels.token_rotation != current.token_rotation) {
    return "wired at tokens.rotation " + std::to_string(*labels.token_rotation) + ", now " +
           std::to_string(current.token_rotation) + ": its proxy tokens no longer work";
  }
  if (!labels.egress_ca.empty() && labels.egress_ca != current.ca_digest) {
    return "wired with CA bundle " + ShortDigest(labels.egress_ca) + ", now " + ShortDigest(current.ca_digest) +
           ": it no longer trusts the proxy's CA";
  }
  return "its proxy tokens or CA are not the current ones (posture " + ShortDigest(labels.posture) + ", now " +
         ShortDigest(current.PostureDigest()) + ")";
}

std::string RecreateCommand(const docker::ContainerInfo& c, const std::vector<std::string>& spec_paths) {
  const ContainerLabels labels = ReadLabels(c.config.labels);
  const std::string project = LabelValue(c.config.labels, kComposeProject);
  const std::string service = LabelValue(c.config.labels, kComposeService);
  if (project.empty() || service.empty()) {
    return "docker rm -f " + ShellQuote(c.name) + ", then start it again with the arguments of `" +
           WiringCommand(spec_paths, "docker-args", "", labels.wiring_file) + "`";
  }
  // Compose 1.x is the docker-compose program; 2.x is the `docker compose` plugin.
  const std::string version = LabelValue(c.config.labels, kComposeVersion);
  std::string compose = version.rfind("1.", 0) == 0 ? "docker-compose" : "docker compose";
  compose += " -p " + ShellQuote(project) + Words(LabelValue(c.config.labels, kComposeConfigFiles), "-f");
  // The override wires every service it names with the same tokens: all of them are re-created.
  const std::string services = labels.wiring_services.empty() ? service : labels.wiring_services;
  compose += " up -d --force-recreate" + Words(services, "");
  const std::string dir = LabelValue(c.config.labels, kComposeWorkingDir);
  if (!dir.empty()) compose = "cd " + ShellQuote(dir) + " && " + compose;
  return WiringCommand(spec_paths, "compose", services, labels.wiring_file.empty() ? "OVERRIDE" : labels.wiring_file) +
         " && " + compose;
}

}  // namespace ironward::sandboxes
