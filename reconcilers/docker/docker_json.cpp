#include "reconcilers/docker/docker_json.h"

#include <algorithm>
#include <exception>
#include <utility>

#include <nlohmann/json.hpp>

namespace ironward::docker {
namespace {

using nlohmann::json;

const json& Field(const json& j, const char* key) {
  static const json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

std::string Str(const json& j, const char* key) {
  const json& v = Field(j, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}

std::int64_t Int(const json& j, const char* key) {
  const json& v = Field(j, key);
  if (v.is_number_integer()) return v.get<std::int64_t>();
  if (v.is_number_float()) {
    // A float out of int64's range (or NaN) would make the conversion undefined: treat it as absent.
    const double d = v.get<double>();
    return d > -9.2e18 && d < 9.2e18 ? static_cast<std::int64_t>(d) : 0;
  }
  return 0;
}

bool Bool(const json& j, const char* key) {
  const json& v = Field(j, key);
  return v.is_boolean() && v.get<bool>();
}

std::vector<std::string> StrVec(const json& j, const char* key) {
  std::vector<std::string> out;
  const json& v = Field(j, key);
  if (v.is_array()) {
    for (const auto& e : v) {
      if (e.is_string()) out.push_back(e.get<std::string>());
    }
  } else if (v.is_string()) {  // Cmd/Entrypoint may be a plain string in old payloads
    out.push_back(v.get<std::string>());
  }
  return out;
}

std::map<std::string, std::string> StrMap(const json& j, const char* key) {
  std::map<std::string, std::string> out;
  const json& v = Field(j, key);
  if (v.is_object()) {
    for (const auto& [k, e] : v.items()) {
      if (e.is_string()) out[k] = e.get<std::string>();
    }
  }
  return out;
}

std::map<std::string, EndpointInfo> Endpoints(const json& network_settings) {
  std::map<std::string, EndpointInfo> out;
  const json& nets = Field(network_settings, "Networks");
  if (!nets.is_object()) return out;
  for (const auto& [name, e] : nets.items()) {
    out[name] = EndpointInfo{Str(e, "NetworkID"), Str(e, "IPAddress"), Str(e, "Gateway"), Str(e, "MacAddress")};
  }
  return out;
}

/// HostConfig.PortBindings {"80/tcp": [{"HostIp", "HostPort"}]}, sorted; malformed entries skipped.
std::vector<PortBinding> PortBindingsFrom(const json& j) {
  std::vector<PortBinding> out;
  if (!j.is_object()) return out;
  for (const auto& [key, list] : j.items()) {
    const auto slash = key.find('/');
    int container = 0;
    try {
      container = std::stoi(key.substr(0, slash));
    } catch (const std::exception&) {
      continue;
    }
    if (container < 1 || container > 65535 || !list.is_array()) continue;
    for (const auto& b : list) {
      int host = 0;
      try {
        host = std::stoi(Str(b, "HostPort"));
      } catch (const std::exception&) {
        host = 0;
      }
      out.push_back(PortBinding{static_cast<std::uint16_t>(container),
                                slash == std::string::npos ? "tcp" : key.substr(slash + 1), Str(b, "HostIp"),
                                static_cast<std::uint16_t>(host >= 0 && host <= 65535 ? host : 0)});
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<HealthConfig> HealthFrom(const json& j) {
  if (!j.is_object() || !j.contains("Test")) return std::nullopt;
  return HealthConfig{StrVec(j, "Test"), Int(j, "Interval"), Int(j, "Timeout"), Int(j, "Retries")};
}

std::string StripSlash(std::string name) {
  if (!name.empty() && name.front() == '/') name.erase(0, 1);
  return name;
}

template <class T, class F>
Result<T> Parse(std::string_view body, const char* what, F&& decode) {
  try {
    json j = json::parse(body);
    return decode(j);
  } catch (const std::exception& e) {
    return Error::Transient(std::string("docker: cannot decode ") + what + ": " + e.what());
  }
}

NetworkInfo NetworkFrom(const json& j) {
  NetworkInfo n;
  n.id = Str(j, "Id");
  n.name = Str(j, "Name");
  n.driver = Str(j, "Driver");
  n.scope = Str(j, "Scope");
  n.internal = Bool(j, "Internal");
  n.labels = StrMap(j, "Labels");
  n.options = StrMap(j, "Options");
  const json& cfg = Field(Field(j, "IPAM"), "Config");
  if (cfg.is_array() && !cfg.empty()) {
    n.subnet = Str(cfg.front(), "Subnet");
    n.gateway = Str(cfg.front(), "Gateway");
  }
  const json& containers = Field(j, "Containers");
  if (containers.is_object()) {
    for (const auto& [cid, c] : containers.items()) {
      n.containers[cid] = NetworkInfo::Attached{Str(c, "Name"), Str(c, "IPv4Address")};
    }
  }
  return n;
}

ContainerSummary SummaryFrom(const json& j) {
  ContainerSummary s;
  s.id = Str(j, "Id");
  for (auto& n : StrVec(j, "Names")) s.names.push_back(StripSlash(std::move(n)));
  if (!s.names.empty()) s.name = s.names.front();
  s.image = Str(j, "Image");
  s.image_id = Str(j, "ImageID");
  s.command = Str(j, "Command");
  s.created = Int(j, "Created");
  s.labels = StrMap(j, "Labels");
  s.state = Str(j, "State");
  s.status = Str(j, "Status");
  s.network_mode = Str(Field(j, "HostConfig"), "NetworkMode");
  s.networks = Endpoints(Field(j, "NetworkSettings"));
  return s;
}

}  // namespace

std::string EncodeCreateSpec(const ContainerCreateSpec& spec) {
  json host = {
      {"Binds", spec.host.binds},
      {"ExtraHosts", spec.host.extra_hosts},
      {"Init", spec.host.init},
      {"Memory", spec.host.memory},
      {"NanoCpus", spec.host.nano_cpus},
      {"CapDrop", spec.host.cap_drop},
      {"SecurityOpt", spec.host.security_opt},
      {"Privileged", false},
      {"ReadonlyRootfs", spec.host.readonly_rootfs},
  };
  if (spec.host.pids_limit > 0) host["PidsLimit"] = spec.host.pids_limit;
  if (!spec.host.cap_add.empty()) host["CapAdd"] = spec.host.cap_add;
  if (!spec.host.dns.empty()) host["Dns"] = spec.host.dns;
  if (!spec.host.network_mode.empty()) host["NetworkMode"] = spec.host.network_mode;
  if (!spec.restart_policy.empty()) host["RestartPolicy"] = {{"Name", spec.restart_policy}};
  json exposed = json::object();
  if (!spec.ports.empty()) {
    json bindings = json::object();
    for (const auto& p : spec.ports) {
      const std::string key = std::to_string(p.container_port) + "/" + p.protocol;
      exposed[key] = json::object();
      bindings[key].push_back({{"HostIp", p.host_ip}, {"HostPort", std::to_string(p.host_port)}});
    }
    host["PortBindings"] = bindings;
  }

  json body = {
      {"Image", spec.image}, {"Env", spec.env},      {"Labels", json::object()},      {"Tty", false},
      {"OpenStdin", false},  {"AttachStdin", false}, {"HostConfig", std::move(host)},
  };
  for (const auto& [k, v] : spec.labels) body["Labels"][k] = v;
  if (!spec.cmd.empty()) body["Cmd"] = spec.cmd;
  if (spec.stop_timeout) body["StopTimeout"] = *spec.stop_timeout;
  if (!spec.user.empty()) body["User"] = spec.user;
  if (!spec.working_dir.empty()) body["WorkingDir"] = spec.working_dir;
  if (!exposed.empty()) body["ExposedPorts"] = exposed;
  if (spec.healthcheck) {
    body["Healthcheck"] = {{"Test", spec.healthcheck->test},
                           {"Interval", spec.healthcheck->interval_ns},
                           {"Timeout", spec.healthcheck->timeout_ns},
                           {"Retries", spec.healthcheck->retries}};
  }
  return body.dump();
}

std::string EncodeNetworkCreate(const NetworkCreateSpec& spec) {
  json body = {
      {"Name", spec.name},         {"Driver", "bridge"},       {"CheckDuplicate", true},
      {"Internal", spec.internal}, {"Labels", json::object()},
  };
  for (const auto& [k, v] : spec.labels) body["Labels"][k] = v;
  if (!spec.subnet.empty()) {
    json cfg = {{"Subnet", spec.subnet}};
    if (!spec.gateway.empty()) cfg["Gateway"] = spec.gateway;
    body["IPAM"] = {{"Driver", "default"}, {"Config", json::array({cfg})}};
  }
  if (!spec.bridge_name.empty()) body["Options"] = {{"com.docker.network.bridge.name", spec.bridge_name}};
  return body.dump();
}

std::string EncodeFilters(const Filters& filters) {
  json body = json::object();
  for (const auto& [k, values] : filters) body[k] = values;
  return body.dump();
}

Result<std::vector<ContainerSummary>> DecodeContainerList(std::string_view body) {
  return Parse<std::vector<ContainerSummary>>(body, "container list", [](const json& j) {
    std::vector<ContainerSummary> out;
    if (j.is_array()) {
      for (const auto& e : j) out.push_back(SummaryFrom(e));
    }
    return out;
  });
}

Result<ContainerInfo> DecodeContainerInfo(std::string_view body) {
  return Parse<ContainerInfo>(body, "container", [](const json& j) {
    ContainerInfo c;
    c.id = Str(j, "Id");
    c.name = StripSlash(Str(j, "Name"));
    c.image = Str(j, "Image");
    c.created = Str(j, "Created");
    const json& cfg = Field(j, "Config");
    c.config.image = Str(cfg, "Image");
    c.config.cmd = StrVec(cfg, "Cmd");
    c.config.env = StrVec(cfg, "Env");
    c.config.labels = StrMap(cfg, "Labels");
    c.config.tty = Bool(cfg, "Tty");
    c.config.user = Str(cfg, "User");
    c.config.healthcheck = HealthFrom(Field(cfg, "Healthcheck"));
    const json& st = Field(j, "State");
    c.state.status = Str(st, "Status");
    c.state.running = Bool(st, "Running");
    c.state.oom_killed = Bool(st, "OOMKilled");
    c.state.exit_code = Int(st, "ExitCode");
    c.state.pid = Int(st, "Pid");
    c.state.error = Str(st, "Error");
    c.state.started_at = Str(st, "StartedAt");
    c.state.finished_at = Str(st, "FinishedAt");
    c.state.health = Str(Field(st, "Health"), "Status");
    const json& hc = Field(j, "HostConfig");
    HostConfig& h = c.host_config;
    h.binds = StrVec(hc, "Binds");
    h.memory = Int(hc, "Memory");
    h.nano_cpus = Int(hc, "NanoCpus");
    h.pids_limit = Int(hc, "PidsLimit");
    h.cap_drop = StrVec(hc, "CapDrop");
    h.cap_add = StrVec(hc, "CapAdd");
    h.security_opt = StrVec(hc, "SecurityOpt");
    h.init = Bool(hc, "Init");
    h.privileged = Bool(hc, "Privileged");
    h.network_mode = Str(hc, "NetworkMode");
    h.extra_hosts = StrVec(hc, "ExtraHosts");
    h.dns = StrVec(hc, "Dns");
    h.readonly_rootfs = Bool(hc, "ReadonlyRootfs");
    h.port_bindings = PortBindingsFrom(Field(hc, "PortBindings"));
    h.restart_policy = Str(Field(hc, "RestartPolicy"), "Name");
    const json& mounts = Field(j, "Mounts");
    if (mounts.is_array()) {
      for (const auto& m : mounts) {
        c.mounts.push_back(MountPoint{Str(m, "Type"), Str(m, "Source"), Str(m, "Destination"), Str(m, "Mode"),
                                      Field(m, "RW").is_boolean() ? Bool(m, "RW") : true});
      }
    }
    c.networks = Endpoints(Field(j, "NetworkSettings"));
    return c;
  });
}

Result<CreateResult> DecodeCreateResult(std::string_view body) {
  return Parse<CreateResult>(body, "create response", [](const json& j) {
    return CreateResult{Str(j, "Id"), StrVec(j, "Warnings")};
  });
}

Result<std::vector<NetworkInfo>> DecodeNetworkList(std::string_view body) {
  return Parse<std::vector<NetworkInfo>>(body, "network list", [](const json& j) {
    std::vector<NetworkInfo> out;
    if (j.is_array()) {
      for (const auto& e : j) out.push_back(NetworkFrom(e));
    }
    return out;
  });
}

Result<NetworkInfo> DecodeNetwork(std::string_view body) {
  return Parse<NetworkInfo>(body, "network", [](const json& j) { return NetworkFrom(j); });
}

Result<std::string> DecodeNetworkCreateId(std::string_view body) {
  return Parse<std::string>(body, "network create response", [](const json& j) { return Str(j, "Id"); });
}

Result<EngineInfo> DecodeInfo(std::string_view body) {
  return Parse<EngineInfo>(body, "engine info", [](const json& j) {
    EngineInfo i;
    i.id = Str(j, "ID");
    i.name = Str(j, "Name");
    i.server_version = Str(j, "ServerVersion");
    i.operating_system = Str(j, "OperatingSystem");
    i.kernel_version = Str(j, "KernelVersion");
    i.cgroup_driver = Str(j, "CgroupDriver");
    i.cgroup_version = Str(j, "CgroupVersion");
    i.storage_driver = Str(j, "Driver");
    i.security_options = StrVec(j, "SecurityOptions");
    i.containers = Int(j, "Containers");
    i.containers_running = Int(j, "ContainersRunning");
    return i;
  });
}

Result<WaitResult> DecodeWaitResult(std::string_view body) {
  return Parse<WaitResult>(body, "wait response", [](const json& j) {
    return WaitResult{Int(j, "StatusCode"), Str(Field(j, "Error"), "Message")};
  });
}

Result<Event> DecodeEvent(std::string_view line) {
  return Parse<Event>(line, "event", [](const json& j) {
    Event e;
    e.type = Str(j, "Type");
    e.action = Str(j, "Action");
    if (e.action.empty()) e.action = Str(j, "status");
    const json& actor = Field(j, "Actor");
    e.actor_id = Str(actor, "ID");
    if (e.actor_id.empty()) e.actor_id = Str(j, "id");
    e.attributes = StrMap(actor, "Attributes");
    e.from = Str(j, "from");
    e.scope = Str(j, "scope");
    e.time = Int(j, "time");
    e.time_nano = Int(j, "timeNano");
    return e;
  });
}

std::string DecodeErrorMessage(std::string_view body) {
  try {
    json j = json::parse(body);
    std::string m = Str(j, "message");
    if (!m.empty()) return m;
  } catch (const std::exception&) {
    // not JSON: fall through to the raw text
  }
  std::string raw(body.substr(0, 512));
  while (!raw.empty() && (raw.back() == '\n' || raw.back() == '\r' || raw.back() == ' ')) raw.pop_back();
  return raw.empty() ? "(empty response)" : raw;
}

}  // namespace ironward::docker
