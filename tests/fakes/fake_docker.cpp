#include "tests/fakes/fake_docker.h"

#include <algorithm>
#include <cstdio>
#include <regex>
#include <utility>

#include "reconcilers/docker/docker_client.h"
#include "reconcilers/io/clock.h"

namespace ironward::docker {

namespace fake_docker_detail {

bool AnyOf(const std::vector<std::string>& values, const std::function<bool(const std::string&)>& pred) {
  return std::any_of(values.begin(), values.end(), pred);
}

Status CheckFilterKeys(const Filters& filters, std::initializer_list<const char*> allowed, const char* op) {
  for (const auto& [k, v] : filters) {
    if (std::none_of(allowed.begin(), allowed.end(), [&k](const char* a) { return k == a; })) {
      return ApiError(op, 400, "Invalid filter '" + k + "'");
    }
  }
  return Status::Ok();
}

}  // namespace fake_docker_detail

namespace {

using fake_docker_detail::AnyOf;
using fake_docker_detail::CheckFilterKeys;

MountPoint MountOf(const std::string& bind) {
  MountPoint m{"bind", "", "", "", true};
  const auto a = bind.find(':');
  const auto b = bind.find(':', a == std::string::npos ? a : a + 1);
  m.source = bind.substr(0, a);
  m.destination = a == std::string::npos ? "" : bind.substr(a + 1, b == std::string::npos ? b : b - a - 1);
  m.mode = b == std::string::npos ? "" : bind.substr(b + 1);
  m.rw = m.mode.find("ro") == std::string::npos;
  return m;
}

}  // namespace

FakeDocker::FakeDocker() {
  auto add = [this](const std::string& name, const std::string& subnet, const std::string& gateway) {
    Network n;
    n.info.id = NewId();
    n.info.name = name;
    n.info.driver = name == "bridge" ? "bridge" : name == "host" ? "host" : "null";
    n.info.scope = "local";
    n.info.subnet = subnet;
    n.info.gateway = gateway;
    networks_.push_back(std::move(n));
  };
  add("bridge", "172.17.0.0/16", "172.17.0.1");
  add("host", "", "");
  add("none", "", "");
}

std::string FakeDocker::Now() { return FormatRfc3339(std::chrono::system_clock::now()); }

std::string FakeDocker::NewId() {
  char buf[65];
  std::snprintf(buf, sizeof buf, "%064llx", static_cast<unsigned long long>(next_id_++ * 0x9e3779b97f4a7c15ULL));
  return buf;
}

Status FakeDocker::Enter(const std::string& method, const std::string& target) {
  std::lock_guard<std::mutex> lock(mu_);
  return EnterLocked(method, target);
}

Status FakeDocker::EnterLocked(const std::string& method, const std::string& target) {
  calls_.push_back({method, target});
  if (engine_down_) return EngineDownError();
  auto it = injected_.find(method);
  if (it != injected_.end() && it->second.second > 0) {
    Error e = it->second.first;
    if (--it->second.second == 0) injected_.erase(it);
    return e;
  }
  return Status::Ok();
}

Error FakeDocker::EngineDownError() {
  return Error::Transient(
      "cannot reach the Docker engine at unix:///var/run/docker.sock: "
      "Could not connect to server (fake engine down)");
}

FakeDocker::Container* FakeDocker::Find(const std::string& id_or_name) {
  return const_cast<Container*>(std::as_const(*this).Find(id_or_name));  // NOLINT
}

const FakeDocker::Container* FakeDocker::Find(const std::string& id_or_name) const {
  const std::string want = !id_or_name.empty() && id_or_name[0] == '/' ? id_or_name.substr(1) : id_or_name;
  if (want.empty()) return nullptr;
  const Container* prefix_match = nullptr;
  int prefix_count = 0;
  for (const auto& c : containers_) {
    if (c.id == want || c.name == want) return &c;
    if (c.id.rfind(want, 0) == 0) {
      prefix_match = &c;
      ++prefix_count;
    }
  }
  return prefix_count == 1 ? prefix_match : nullptr;
}

FakeDocker::Network* FakeDocker::FindNetwork(const std::string& id_or_name) {
  for (auto& n : networks_) {
    if (n.info.id == id_or_name || n.info.name == id_or_name) return &n;
  }
  for (auto& n : networks_) {
    if (!id_or_name.empty() && n.info.id.rfind(id_or_name, 0) == 0) return &n;
  }
  return nullptr;
}

void FakeDocker::Emit(const std::string& type, const std::string& action, const std::string& actor_id,
                      std::map<std::string, std::string> attributes) {
  const auto now =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  last_event_ns_ = std::max(last_event_ns_ + 1, static_cast<std::int64_t>(now));
  Event e{type, action, actor_id, std::move(attributes), "", "local", last_event_ns_ / 1000000000, last_event_ns_};
  if (type == "container") e.from = e.attributes["image"];
  events_.push_back(std::move(e));
  events_cv_.notify_all();
}

void FakeDocker::EmitContainer(const Container& c, const std::string& action,
                               std::map<std::string, std::string> extra) {
  std::map<std::string, std::string> attrs(c.spec.labels.begin(), c.spec.labels.end());
  attrs["image"] = c.spec.image;
  attrs["name"] = c.name;
  for (auto& [k, v] : extra) attrs[k] = std::move(v);
  Emit("container", action, c.id, std::move(attrs));
}

// ---- DockerApi: engine

Result<PingInfo> FakeDocker::Ping() {
  if (Status s = Enter("Ping", ""); !s) return s.error();
  std::lock_guard<std::mutex> lock(mu_);
  auto negotiated = NegotiateApiVersion(server_api_version_);
  if (!negotiated) return negotiated.error();
  return PingInfo{server_api_version_, negotiated.value(), "linux"};
}

Result<EngineInfo> FakeDocker::Info() {
  if (Status s = Enter("Info", ""); !s) return s.error();
  std::lock_guard<std::mutex> lock(mu_);
  EngineInfo i;
  i.id = "FAKE";
  i.name = "fake-engine";
  i.server_version = "20.10.24+fake";
  i.operating_system = "Debian GNU/Linux 12 (bookworm)";
  i.cgroup_driver = "cgroupfs";
  i.cgroup_version = "1";
  i.storage_driver = "overlay2";
  i.security_options = security_options_;
  i.containers = static_cast<std::int64_t>(containers_.size());
  i.containers_running =
      std::count_if(containers_.begin(), containers_.end(), [](const Container& c) { return c.status == "running"; });
  return i;
}

// ---- DockerApi: containers

ContainerInfo FakeDocker::InfoOf(const Container& c) const {
  ContainerInfo i;
  i.id = c.id;
  i.name = c.name;
  i.image = "sha256:" + std::string(64, 'f');
  i.created = FormatRfc3339(std::chrono::system_clock::time_point(std::chrono::seconds(c.created)));
  i.config.image = c.spec.image;
  i.config.cmd = c.spec.cmd.empty() ? std::vector<std::string>{"/bin/sh"} : c.spec.cmd;
  i.config.env = c.spec.env;
  auto img = images_.find(c.spec.image);
  const std::vector<std::string> image_env =
      img != images_.end() ? img->second : std::vector<std::string>{"PATH=/bin:/usr/bin"};
  i.config.env.insert(i.config.env.end(), image_env.begin(), image_env.end());
  i.config.labels = c.spec.labels;
  i.config.user = c.spec.user;
  i.config.healthcheck = c.spec.healthcheck;
  const bool running = c.status == "running";
  i.state.status = c.status;
  i.state.running = running;
  i.state.exit_code = c.exit_code;
  i.state.pid = running ? c.pid : 0;
  i.state.started_at = c.started_at;
  i.state.finished_at = c.finished_at;
  i.state.health = c.spec.healthcheck && running ? c.health : "";
  const auto& h = c.spec.host;
  HostConfig& hc = i.host_config;
  hc.binds = h.binds;
  hc.memory = h.memory;
  hc.nano_cpus = h.nano_cpus;
  hc.pids_limit = h.pids_limit;
  hc.cap_drop = h.cap_drop;
  hc.cap_add = h.cap_add;
  hc.security_opt = h.security_opt;
  hc.init = h.init;
  hc.network_mode = h.network_mode.empty() ? "default" : h.network_mode;
  hc.extra_hosts = h.extra_hosts;
  hc.dns = h.dns;
  hc.readonly_rootfs = h.readonly_rootfs;
  hc.port_bindings = c.spec.ports;
  std::sort(hc.port_bindings.begin(), hc.port_bindings.end());
  hc.restart_policy = c.spec.restart_policy;
  for (const auto& b : h.binds) i.mounts.push_back(MountOf(b));
  for (const auto& name : c.networks) {
    for (const auto& n : networks_) {
      if (n.info.name != name) continue;
      auto ip = n.ips.find(c.id);
      i.networks[name] = EndpointInfo{n.info.id, running && ip != n.ips.end() ? ip->second : "",
                                      running && ip != n.ips.end() ? n.info.gateway : "", ""};
    }
  }
  return i;
}

ContainerSummary FakeDocker::SummaryOf(const Container& c) const {
  const ContainerInfo i = InfoOf(c);
  ContainerSummary s;
  s.id = c.id;
  s.name = c.name;
  s.names = {c.name};
  s.image = c.spec.image;
  s.image_id = i.image;
  s.created = c.created;
  s.labels = c.spec.labels;
  s.state = c.status;
  s.status = c.status == "running"  ? "Up 1 second"
             : c.status == "exited" ? "Exited (" + std::to_string(c.exit_code) + ") 1 second ago"
                                    : "Created";
  s.network_mode = i.host_config.network_mode;
  s.networks = i.networks;
  for (const auto& a : i.config.cmd) s.command += (s.command.empty() ? "" : " ") + a;
  return s;
}

Result<std::vector<ContainerSummary>> FakeDocker::ListContainers(const Filters& filters, bool all) {
  if (Status s = Enter("ListContainers", ""); !s) return s.error();
  if (Status s = CheckFilterKeys(filters, {"label", "status", "name", "id"}, "GET /containers/json"); !s) {
    return s.error();
  }
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ContainerSummary> out;
  for (const auto& c : containers_) {
    if (!all && c.status != "running") continue;
    bool ok = true;
    for (const auto& [key, values] : filters) {
      if (key == "label") ok = ok && MatchesLabelFilters(c.spec.labels, values);
      if (key == "status") ok = ok && AnyOf(values, [&c](const std::string& v) { return v == c.status; });
      if (key == "name")
        ok = ok && AnyOf(values, [&c](const std::string& v) { return c.name.find(v) != std::string::npos; });
      if (key == "id") ok = ok && AnyOf(values, [&c](const std::string& v) { return c.id.rfind(v, 0) == 0; });
    }
    if (ok) out.push_back(SummaryOf(c));
  }
  return out;
}

Result<std::optional<ContainerInfo>> FakeDocker::InspectContainer(const std::string& id) {
  if (Status s = Enter("InspectContainer", id); !s) return s.error();
  std::lock_guard<std::mutex> lock(mu_);
  const Container* c = Find(id);
  if (c == nullptr) return std::optional<ContainerInfo>();
  return std::optional<ContainerInfo>(InfoOf(*c));
}

std::string FakeDocker::CreateLocked(const std::string& name, const ContainerCreateSpec& spec) {
  Container c;
  c.id = NewId();
  c.name = name.empty() ? "fake_" + c.id.substr(0, 8) : name;
  c.spec = spec;
  c.created =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const std::string mode =
      spec.host.network_mode.empty() || spec.host.network_mode == "default" ? "bridge" : spec.host.network_mode;
  containers_.push_back(std::move(c));
  Container& stored = containers_.back();
  if (Network* n = FindNetwork(mode)) Attach(stored, *n);
  EmitContainer(stored, "create");
  return stored.id;
}

void FakeDocker::Attach(Container& c, Network& n) {
  c.networks.push_back(n.info.name);
  if (!n.info.gateway.empty()) {
    const std::string prefix = n.info.gateway.substr(0, n.info.gateway.rfind('.') + 1);
    n.ips[c.id] = prefix + std::to_string(n.next_host++);
  }
}

Result<CreateResult> FakeDocker::CreateContainer(const std::string& name, const ContainerCreateSpec& spec) {
  if (Status s = Enter("CreateContainer", name); !s) return s.error();
  std::lock_guard<std::mutex> lock(mu_);
  const std::string op = "create container " + name;
  static const std::regex kValidName("^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$");
  if (!name.empty() && !std::regex_match(name, kValidName)) {
    return ApiError(op, 400, "Invalid container name (" + name + "), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
  }
  if (const Container* other = Find(name); !name.empty() && other != nullptr && other->name == name) {
    return ApiError(op, 409,
                    "Conflict. The container name \"/" + name + "\" is already in use by container \"" + other->id +
                        "\". You have to remove (or rename) that container to be able to reuse that name.");
  }
  if (!images_.empty() && images_.count(spec.image) == 0) return ApiError(op, 404, "No such image: " + spec.image);
  const std::string& mode = spec.host.network_mode;
  if (!mode.empty() && mode != "default" && FindNetwork(mode) == nullptr) {
    return ApiError(op, 404, "network " + mode + " not found");
  }
  return CreateResult{CreateLocked(name, spec), {}};
}

void FakeDocker::StartLocked(Container& c) {
  c.status = "running";
  c.pid = next_pid_++;
  c.exit_code = 0;
  c.started_at = Now();
  c.finished_at = "0001-01-01T00:00:00Z";
  EmitContainer(c, "start");
}

void FakeDocker::StopLocked(Container& c, int signal) {
  // With Init the SIGTERM reaches the workload (exit 143); without, PID 1 ignores it and is killed (137).
  const std::int64_t code = signal == 15 && c.spec.host.init ? 143 : 137;
  EmitContainer(c, "kill", {{"signal", std::to_string(signal)}});
  c.status = "exited";
  c.exit_code = code;
  c.finished_at = Now();
  EmitContainer(c, "die", {{"exitCode", std::to_string(code)}});
}

Result<Outcome> FakeDocker::StartContainer(const std::string& id) {
  if (Status s = Enter("StartContainer", id); !s) return s.error();
  std::lock_guard<std::mutex> lock(mu_);
  Container* c = Find(id);
  if (c == nullptr) return Outcome::kNotFound;
  if (c->status == "running") return Outcome::kUnchanged;
  StartLocked(*c);
  return Outcome::kChanged;
}

Result<Outcome> FakeDocker::StopContainer(const std::string& id, std::chrono::seconds /*timeout*/) {
  if (Status s = Enter("StopContainer", id); !s) return s.error();
  std::lock_guard<std::mutex> lock(mu_);
  Container* c = Find(id);
  if (c == nullptr) return Outcome::kNotFound;
  if (c->status != "running") return Outcome::kUnchanged;
  StopLocked(*c, 15);
  EmitContainer(*c, "stop");
  return Outcome::kChanged;
}

Result<Outcome> FakeDocker::RemoveContainer(const std::string& id, bool force) {
  if (Status s = Enter("RemoveContainer", id); !s) return s.error();
  std::lock_guard<std::mutex> lock(mu_);
  Container* c = Find(id);
  if (c == nullptr) return Outcome::kNotFound;
  if (c->status == "running") {
    if (!force) {
      return ApiError("DELETE /containers/{id}", 409,
                      "You cannot remove a running container " + c->id +
                          ". Stop the container before attempting "
                          "removal or force remove");
    }
    StopLocked(*c, 9);
  }
  EmitContainer(*c, "destroy");
  for (auto& n : networks_) n.ips.erase(c->id);
  logs_.erase(c->id);
  const std::string gone = c->id;
  std::erase_if(containers_, [&gone](const Container& x) { return x.id == gone; });
  return Outcome::kChanged;
}

Result<WaitResult> FakeDocker::WaitContainer(const std::string& id, std::chrono::milliseconds timeout) {
  if (Status s = Enter("WaitContainer", id); !s) return s.error();
  std::lock_guard<std::mutex> lock(mu_);
  const Container* c = Find(id);
  if (c == nullptr) return ApiError("wait for container " + id, 404, "No such container: " + id);
  if (c->status == "running") {
    return Error::Transient("docker: timed out after " + std::to_string(timeout.count()) +
                            " ms waiting for container " + id + " to stop");
  }
  return WaitResult{c->exit_code, ""};
}

Result<LogOutput> FakeDocker::Logs(const std::string& id, const LogsOptions& options) {
  if (Status s = Enter("Logs", id); !s) return s.error();
  std::lock_guard<std::mutex> lock(mu_);
  const Container* c = Find(id);
  if (c == nullptr) return ApiError("logs of container " + id, 404, "No such container: " + id);
  auto it = logs_.find(c->id);
  LogOutput out = it == logs_.end() ? LogOutput{} : it->second;
  if (!options.stdout_stream) out.out.clear();
  if (!options.stderr_stream) out.err.clear();
  return out;
}

}  // namespace ironward::docker
