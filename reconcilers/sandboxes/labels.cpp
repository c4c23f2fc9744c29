#include "reconcilers/sandboxes/labels.h"

#include <charconv>

#include "reconcilers/docker/docker_api.h"

namespace ironward::sandboxes {
std::string LabelValue(const docker::Labels& labels, const char* key) {
  auto it = labels.find(key);
  return it == labels.end() ? "" : it->second;
}

ContainerLabels ReadLabels(const docker::Labels& labels) {
  ContainerLabels out;
  out.owner = LabelValue(labels, kOwnerLabel);
  out.sandbox = LabelValue(labels, kSandboxLabel);
  out.spec_digest = LabelValue(labels, kSpecDigestLabel);
  out.egress_ca = LabelValue(labels, kEgressCaLabel);
  out.posture = LabelValue(labels, kPostureLabel);
  out.secret_env = LabelValue(labels, kSecretEnvLabel);
  out.wired_by = LabelValue(labels, kWiredByLabel);
  out.wiring_file = LabelValue(labels, kWiringFileLabel);
  out.wiring_services = LabelValue(labels, kWiringServicesLabel);
  const std::string rotation = LabelValue(labels, kTokenRotationLabel);
  std::int64_t n = 0;
  if (!rotation.empty()) {
    auto [ptr, ec] = std::from_chars(rotation.data(), rotation.data() + rotation.size(), n);
    if (ec == std::errc() && ptr == rotation.data() + rotation.size()) out.token_rotation = n;
  }
  return out;
}

docker::Labels MakeLabels(const std::string& sandbox, const std::string& spec_digest, const EgressWiring& w) {
  return {
      {kOwnerLabel, w.owner},
      {kSandboxLabel, sandbox},
      {kSpecDigestLabel, spec_digest},
      {kEgressCaLabel, w.ca_digest},
      {kTokenRotationLabel, std::to_string(w.token_rotation)},
      {kPostureLabel, w.PostureDigest()},
  };
}

docker::Labels MakeWiredLabels(const EgressWiring& w, const std::string& selector, const std::string& wiring_file) {
  docker::Labels labels = {
      {kWiredByLabel, w.owner},
      {kEgressCaLabel, w.ca_digest},
      {kTokenRotationLabel, std::to_string(w.token_rotation)},
      {kPostureLabel, w.PostureDigest()},
  };
  if (const auto eq = selector.find('='); eq == std::string::npos) {
    labels[selector] = "true";
  } else {
    labels[selector.substr(0, eq)] = selector.substr(eq + 1);
  }
  if (!wiring_file.empty()) labels[kWiringFileLabel] = wiring_file;
  return labels;
}

docker::Filters OwnerFilter(const std::string& owner) { return docker::LabelFilter({{kOwnerLabel, owner}}); }


}  // namespace ironward::sandboxes
