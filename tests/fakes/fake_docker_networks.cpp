// FakeDocker: networks, events, controls and observation (see fake_docker.h).
#include <algorithm>
#include <utility>

#include "tests/fakes/fake_docker.h"

namespace ironward::docker {

using fake_docker_detail::AnyOf;
using fake_docker_detail::CheckFilterKeys;

// ---- DockerApi: networks

Result<std::vector<NetworkInfo>> FakeDocker::ListNetworks(const Filters& filters) {
  if (Status s = Enter("ListNetworks", ""); !s) return s.error();
  if (Status s = CheckFilterKeys(filters, {"label", "name", "id"}, "GET /networks"); !s) return s.error();
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<NetworkInfo> out;
  for (const auto& n : networks_) {
    bool ok = true;
    for (const auto& [key, values] : filters) {
      if (key == "label") ok = ok && MatchesLabelFilters(n.info.labels, values);
      if (key == "name")
        ok = ok && AnyOf(values, [&n](const std::string& v) { return n.info.name.find(v) != std::string::npos; });
      if (key == "id") ok = ok && AnyOf(values, [&n](const std::string& v) { return n.info.id.rfind(v, 0) == 0; });
    }
    if (!ok) continue;
    NetworkInfo listed = n.info;
    listed.containers.clear();  // like the engine: only inspect reports containers
    out.push_back(std::move(listed));
  }
  return out;
}

Result<std::optional<NetworkInfo>> FakeDocker::InspectNetwork(const std::string& id) {
  if (Status s = Enter("InspectNetwork", id); !s) return s.error();
  std::lock_guard<std::mutex> lock(mu_);
  Network* n = FindNetwork(id);
  if (n == nullptr) return std::optional<NetworkInfo>();
  NetworkInfo info = n->info;
  for (const auto& c : containers_) {
    auto ip = n->ips.find(c.id);
    const bool attached = std::find(c.networks.begin(), c.networks.end(), info.name) != c.networks.end();
    if (attached && c.status == "running") {
      info.containers[c.id] = {c.name, ip == n->ips.end() ? "" : ip->second + "/24"};
    }
  }
  return std::optional<NetworkInfo>(std::move(info));
}

Result<std::string> FakeDocker::CreateNetwork(const NetworkCreateSpec& spec) {
  if (Status s = Enter("CreateNetwork", spec.name); !s) return s.error();
  std::lock_guard<std::mutex> lock(mu_);
  if (FindNetwork(spec.name) != nullptr) {
    return ApiError("create network " + spec.name, 409, "network with name " + spec.name + " already exists");
  }
  Network n;
  n.info =
      NetworkInfo{NewId(), spec.name, "bridge", "local", spec.internal, spec.labels, {}, spec.subnet, spec.gateway, {}};
  if (!spec.bridge_name.empty()) n.info.options["com.docker.network.bridge.name"] = spec.bridge_name;
  if (n.info.subnet.empty()) {
    n.info.subnet = "172.18." + std::to_string(networks_.size()) + ".0/24";
    n.info.gateway = "172.18." + std::to_string(networks_.size()) + ".1";
  }
  networks_.push_back(std::move(n));
  Emit("network", "create", networks_.back().info.id, {{"name", spec.name}, {"type", "bridge"}});
  return networks_.back().info.id;
}

Result<Outcome> FakeDocker::ConnectNetwork(const std::string& network, const std::string& container) {
  if (Status s = Enter("ConnectNetwork", network); !s) return s.error();
  std::lock_guard<std::mutex> lock(mu_);
  Network* n = FindNetwork(network);
  Container* c = Find(container);
  if (n == nullptr || c == nullptr) return Outcome::kNotFound;
  if (std::find(c->networks.begin(), c->networks.end(), n->info.name) != c->networks.end()) {
    return Outcome::kUnchanged;
  }
  Attach(*c, *n);
  Emit("network", "connect", n->info.id, {{"container", c->id}, {"name", n->info.name}, {"type", "bridge"}});
  return Outcome::kChanged;
}

Result<Outcome> FakeDocker::DisconnectNetwork(const std::string& network, const std::string& container,
                                              bool /*force*/) {
  if (Status s = Enter("DisconnectNetwork", network); !s) return s.error();
  std::lock_guard<std::mutex> lock(mu_);
  Network* n = FindNetwork(network);
  Container* c = Find(container);
  if (n == nullptr || c == nullptr) return Outcome::kNotFound;
  const auto erased = std::erase(c->networks, n->info.name);
  if (erased == 0) return Outcome::kUnchanged;
  n->ips.erase(c->id);
  Emit("network", "disconnect", n->info.id, {{"container", c->id}, {"name", n->info.name}, {"type", "bridge"}});
  return Outcome::kChanged;
}

Result<Outcome> FakeDocker::RemoveNetwork(const std::string& id) {
  if (Status s = Enter("RemoveNetwork", id); !s) return s.error();
  std::lock_guard<std::mutex> lock(mu_);
  Network* n = FindNetwork(id);
  if (n == nullptr) return Outcome::kNotFound;
  const std::string name = n->info.name;
  if (name == "bridge" || name == "host" || name == "none") {
    return ApiError("DELETE /networks/{id}", 403, name + " is a pre-defined network and cannot be removed");
  }
  for (const auto& c : containers_) {
    if (std::find(c.networks.begin(), c.networks.end(), name) != c.networks.end()) {
      return ApiError("DELETE /networks/{id}", 403,
                      "error while removing network: network " + name + " id " + n->info.id + " has active endpoints");
    }
  }
  Emit("network", "destroy", n->info.id, {{"name", name}, {"type", "bridge"}});
  std::erase_if(networks_, [&name](const Network& x) { return x.info.name == name; });
  return Outcome::kChanged;
}

// ---- DockerApi: events

Status FakeDocker::Events(const EventsQuery& query, const EventCallback& on_event, std::stop_token stop) {
  std::unique_lock<std::mutex> lock(mu_);  // subscribe atomically with recording the call
  if (Status s = EnterLocked("Events", ""); !s) return s;
  if (Status s = CheckFilterKeys(query.filters, {"type", "label", "container", "event", "network"}, "GET /events");
      !s) {
    return s;
  }
  auto matches = [&query](const Event& e) {
    for (const auto& [key, values] : query.filters) {
      bool ok = true;
      if (key == "type") ok = AnyOf(values, [&e](const std::string& v) { return v == e.type; });
      if (key == "label") ok = MatchesLabelFilters(Labels(e.attributes.begin(), e.attributes.end()), values);
      if (key == "event") {
        ok = AnyOf(values, [&e](const std::string& v) { return e.action == v || e.action.rfind(v + ":", 0) == 0; });
      }
      if (key == "container" || key == "network") {
        ok = AnyOf(values, [&e](const std::string& v) {
          auto name = e.attributes.find("name");
          return e.actor_id.rfind(v, 0) == 0 || (name != e.attributes.end() && name->second == v);
        });
      }
      if (!ok) return false;
    }
    return true;
  };
  std::size_t next = events_.size();
  // Subscribed from here (under the lock taken above) until it returns (OpenEventStreams()).
  ++open_event_streams_;
  struct Unsubscribe {
    std::unique_lock<std::mutex>& lock;
    int& open;
    ~Unsubscribe() {
      if (!lock.owns_lock()) lock.lock();  // a callback that threw left it unlocked
      --open;
    }
  } unsubscribe{lock, open_event_streams_};
  if (query.since) {
    const auto since_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(query.since->time_since_epoch()).count();
    next = 0;
    while (next < events_.size() && events_[next].time_nano < since_ns) ++next;
  }
  while (true) {
    while (next < events_.size()) {
      const Event e = events_[next++];
      if (!matches(e)) continue;
      lock.unlock();
      const bool more = on_event(e);
      lock.lock();
      if (!more) return Status::Ok();
    }
    if (engine_down_) return EngineDownError();
    if (stop.stop_requested()) return Status::Ok();
    events_cv_.wait(lock, stop, [&] { return next < events_.size() || engine_down_; });
  }
}

// ---- controls and observation

int FakeDocker::OpenEventStreams() const {
  std::lock_guard<std::mutex> lock(mu_);
  return open_event_streams_;
}

void FakeDocker::SetEngineDown(bool down) {
  std::lock_guard<std::mutex> lock(mu_);
  engine_down_ = down;
  events_cv_.notify_all();
}

void FakeDocker::InjectError(const std::string& method, Error error, int times) {
  std::lock_guard<std::mutex> lock(mu_);
  injected_.insert_or_assign(method, std::make_pair(std::move(error), times));
}

void FakeDocker::AddImage(const std::string& ref, std::vector<std::string> image_env) {
  std::lock_guard<std::mutex> lock(mu_);
  images_[ref] = std::move(image_env);
}

void FakeDocker::SetServerApiVersion(std::string version) {
  std::lock_guard<std::mutex> lock(mu_);
  server_api_version_ = std::move(version);
}

void FakeDocker::SetSecurityOptions(std::vector<std::string> options) {
  std::lock_guard<std::mutex> lock(mu_);
  security_options_ = std::move(options);
}

void FakeDocker::SetLogs(const std::string& id, LogOutput logs) {
  std::lock_guard<std::mutex> lock(mu_);
  if (const Container* c = Find(id)) logs_[c->id] = std::move(logs);
}

void FakeDocker::ExitContainer(const std::string& id, std::int64_t exit_code) {
  std::lock_guard<std::mutex> lock(mu_);
  Container* c = Find(id);
  if (c == nullptr || c->status != "running") return;
  c->status = "exited";
  c->exit_code = exit_code;
  c->finished_at = Now();
  EmitContainer(*c, "die", {{"exitCode", std::to_string(exit_code)}});
}

std::string FakeDocker::AddContainer(const std::string& name, const ContainerCreateSpec& spec, bool running) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string id = CreateLocked(name, spec);
  if (running) StartLocked(*Find(id));
  return id;
}

std::vector<FakeDockerCall> FakeDocker::calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_;
}

std::size_t FakeDocker::CallCount(const std::string& method) const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<std::size_t>(
      std::count_if(calls_.begin(), calls_.end(), [&method](const FakeDockerCall& c) { return c.method == method; }));
}

void FakeDocker::ClearCalls() {
  std::lock_guard<std::mutex> lock(mu_);
  calls_.clear();
}

std::vector<Event> FakeDocker::events() const {
  std::lock_guard<std::mutex> lock(mu_);
  return events_;
}

std::optional<ContainerCreateSpec> FakeDocker::CreateSpecOf(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  const Container* c = Find(id);
  return c == nullptr ? std::nullopt : std::optional<ContainerCreateSpec>(c->spec);
}

std::size_t FakeDocker::ContainerCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return containers_.size();
}

}  // namespace ironward::docker
