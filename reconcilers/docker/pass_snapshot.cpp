#include "reconcilers/docker/pass_snapshot.h"

#include <utility>

#include "reconcilers/io/bounded_parallel.h"

namespace ironward::docker {

bool MatchesListFilter(const ContainerSummary& c, const Filters& filters, bool all) {
  // The engine lists a container without all=1 when it is running; paused and restarting
  // containers count as running there.
  if (!all && c.state != "running" && c.state != "paused" && c.state != "restarting") return false;
  auto it = filters.find("label");
  if (it == filters.end()) return true;
  for (const std::string& term : it->second) {
    const auto eq = term.find('=');
    auto label = c.labels.find(term.substr(0, eq));
    if (label == c.labels.end()) return false;
    if (eq != std::string::npos && label->second != term.substr(eq + 1)) return false;
  }
  return true;
}

Result<std::vector<ContainerSummary>> PassSnapshot::ListContainers(const Filters& filters, bool all) {
  for (const auto& [key, values] : filters) {
    if (key != "label") return inner_.ListContainers(filters, all);
  }
  std::vector<ContainerSummary> every;
  {
    // One list per snapshot even when two readers ask at once: the second waits for the first.
    std::lock_guard fetch(fetch_mu_);
    std::uint64_t generation = 0;
    bool have = false;
    {
      std::lock_guard lock(mu_);
      if (list_) {
        every = *list_;
        have = true;
      }
      generation = generation_;
    }
    if (!have) {
      auto listed = inner_.ListContainers({}, true);
      std::lock_guard lock(mu_);
      ++lists_;
      if (!listed) return listed.error();
      if (generation == generation_) list_ = *listed;  // not when a write happened meanwhile
      every = std::move(*listed);
    }
  }
  std::vector<ContainerSummary> out;
  for (auto& c : every) {
    if (MatchesListFilter(c, filters, all)) out.push_back(std::move(c));
  }
  return out;
}

Result<std::optional<ContainerInfo>> PassSnapshot::InspectContainer(const std::string& id) {
  std::uint64_t generation = 0;
  {
    std::lock_guard lock(mu_);
    if (auto it = inspected_.find(id); it != inspected_.end()) return it->second;
    generation = generation_;
  }
  auto info = inner_.InspectContainer(id);
  if (!info) return info.error();
  std::lock_guard lock(mu_);
  if (generation == generation_) inspected_[id] = *info;
  return info;
}

void PassSnapshot::Invalidate() {
  std::lock_guard lock(mu_);
  list_.reset();
  inspected_.clear();
  ++generation_;
}

std::uint64_t PassSnapshot::lists() const {
  std::lock_guard lock(mu_);
  return lists_;
}

Result<CreateResult> PassSnapshotApi::CreateContainer(const std::string& name, const ContainerCreateSpec& spec) {
  return Wrote(inner_.CreateContainer(name, spec));
}
Result<Outcome> PassSnapshotApi::StartContainer(const std::string& id) { return Wrote(inner_.StartContainer(id)); }
Result<Outcome> PassSnapshotApi::StopContainer(const std::string& id, std::chrono::seconds timeout) {
  return Wrote(inner_.StopContainer(id, timeout));
}
Result<Outcome> PassSnapshotApi::RemoveContainer(const std::string& id, bool force) {
  return Wrote(inner_.RemoveContainer(id, force));
}
Result<WaitResult> PassSnapshotApi::WaitContainer(const std::string& id, std::chrono::milliseconds timeout) {
  return Wrote(inner_.WaitContainer(id, timeout));
}
Result<std::string> PassSnapshotApi::CreateNetwork(const NetworkCreateSpec& spec) {
  return Wrote(inner_.CreateNetwork(spec));
}
Result<Outcome> PassSnapshotApi::ConnectNetwork(const std::string& network, const std::string& container) {
  return Wrote(inner_.ConnectNetwork(network, container));
}
Result<Outcome> PassSnapshotApi::DisconnectNetwork(const std::string& network, const std::string& container,
                                                   bool force) {
  return Wrote(inner_.DisconnectNetwork(network, container, force));
}
Result<Outcome> PassSnapshotApi::RemoveNetwork(const std::string& id) { return Wrote(inner_.RemoveNetwork(id)); }

std::vector<Result<std::optional<ContainerInfo>>> InspectContainers(DockerReader& reader,
                                                                    const std::vector<std::string>& ids,
                                                                    std::size_t parallel) {
  std::vector<std::optional<Result<std::optional<ContainerInfo>>>> slots(ids.size());
  ForEachBounded(ids.size(), parallel, [&](std::size_t i) { slots[i].emplace(reader.InspectContainer(ids[i])); });
  std::vector<Result<std::optional<ContainerInfo>>> out;
  out.reserve(ids.size());
  for (auto& s : slots) out.push_back(std::move(*s));
  return out;
}

}  // namespace ironward::docker
