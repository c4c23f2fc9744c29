#include "reconcilers/sandboxes/spec_fields.h"

#include <algorithm>
#include <set>

#include "state/encoding.h"

namespace ironward::sandboxes {
namespace {

using nlohmann::json;

std::string Masked(const std::string& value) { return "sha256:" + ShortDigest(Sha256Hex(value)); }

std::string PortText(const docker::PortBinding& p) {
  return (p.host_ip.empty() ? "" : p.host_ip + ":") + std::to_string(p.host_port) + ":" +
         std::to_string(p.container_port) + "/" + p.protocol;
}

void Scalar(const std::string& field, const json& before, const json& after, std::vector<FieldChange>* out) {
  if (before != after) out->push_back({field, Action::kUpdate, before, after});
}

/// Item by item: "+ mounts: /a:/b:ro", "- ports: 8080:80/tcp".
void Items(const std::string& field, const std::vector<std::string>& before, const std::vector<std::string>& after,
           std::vector<FieldChange>* out) {
  const std::set<std::string> b(before.begin(), before.end());
  const std::set<std::string> a(after.begin(), after.end());
  for (const auto& x : a) {
    if (b.count(x) == 0) out->push_back({field, Action::kCreate, nullptr, x});
  }
  for (const auto& x : b) {
    if (a.count(x) == 0) out->push_back({field, Action::kDelete, x, nullptr});
  }
}

std::string Policy(const std::string& p) { return p.empty() ? "no" : p; }

}  // namespace

std::vector<FieldChange> SpecFieldChanges(const docker::ContainerInfo& have, const docker::ContainerCreateSpec& want) {
  std::vector<FieldChange> out;
  const docker::HostConfig& h = have.host_config;
  Scalar("image", have.config.image, want.image, &out);
  if (!want.cmd.empty()) Scalar("command", have.config.cmd, want.cmd, &out);
  if (!want.user.empty()) Scalar("user", have.config.user, want.user, &out);
  for (const auto& kv : want.env) {
    const std::string key = kv.substr(0, kv.find('='));
    const std::string value = kv.substr(key.size() + 1);
    const auto current = have.EnvValue(key);
    if (!current) out.push_back({"env " + key, Action::kCreate, nullptr, Masked(value)});
    else if (*current != value) out.push_back({"env " + key, Action::kUpdate, Masked(*current), Masked(value)});
  }
  std::vector<std::string> ports_have;
  std::vector<std::string> ports_want;
  for (const auto& p : h.port_bindings) ports_have.push_back(PortText(p));
  for (const auto& p : want.ports) ports_want.push_back(PortText(p));
  Items("ports", ports_have, ports_want, &out);
  Items("mounts", h.binds, want.host.binds, &out);
  Items("capAdd", h.cap_add, want.host.cap_add, &out);
  Items("extra hosts", h.extra_hosts, want.host.extra_hosts, &out);
  Scalar("memory", h.memory, want.host.memory, &out);
  Scalar("nano_cpus", h.nano_cpus, want.host.nano_cpus, &out);
  Scalar("pids_limit", std::max<std::int64_t>(h.pids_limit, 0), std::max<std::int64_t>(want.host.pids_limit, 0), &out);
  Scalar("restart", Policy(h.restart_policy), Policy(want.restart_policy), &out);
  Scalar("network", h.network_mode, want.host.network_mode, &out);
  if (want.healthcheck && have.config.healthcheck != want.healthcheck) {
    std::string test;
    for (const auto& t : want.healthcheck->test) test += (test.empty() ? "" : " ") + t;
    out.push_back({"healthcheck", Action::kUpdate, have.config.healthcheck ? json("set") : json(nullptr), json(test)});
  }
  return out;
}

}  // namespace ironward::sandboxes
