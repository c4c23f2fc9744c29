#include "controller/run/docker_events.h"

#include <algorithm>
#include <array>
#include <string_view>
#include <vector>

namespace ironward::run {

namespace {

/// Lifecycle changes and network (dis)connects: what is worth a pass.
constexpr std::array<std::string_view, 13> kRelevantActions = {
    "create", "start",  "die",    "stop",    "kill",      "destroy", "oom",
    "pause",  "unpause", "rename", "update", "connect", "disconnect"};

}  // namespace

bool IsRelevantEvent(const docker::Event& e) {
  if (e.type != "container" && e.type != "network") return false;
  const std::string_view action = std::string_view(e.action).substr(0, e.action.find(':'));
  return std::find(kRelevantActions.begin(), kRelevantActions.end(), action) != kRelevantActions.end();
}

std::string DescribeEvent(const docker::Event& e) {
  std::string name;
  if (auto it = e.attributes.find("name"); it != e.attributes.end()) name = it->second;
  if (name.empty()) name = e.actor_id.substr(0, 12);
  return e.type + " " + e.action.substr(0, e.action.find(':')) + " " + name;
}

DockerEventWatcher::DockerEventWatcher(docker::DockerApi& api, std::string owner, OnEvent on_event, OnError on_error,
                                       DockerEventsOptions options)
    : DockerEventWatcher(LabelTag{}, api, std::string(kOwnerLabel) + "=" + owner, std::move(on_event),
                         std::move(on_error), options) {}

std::unique_ptr<DockerEventWatcher> DockerEventWatcher::ForLabel(docker::DockerApi& api, const std::string& label_filter,
                                                                 OnEvent on_event, OnError on_error,
                                                                 DockerEventsOptions options) {
  return std::unique_ptr<DockerEventWatcher>(
      new DockerEventWatcher(LabelTag{}, api, label_filter, std::move(on_event), std::move(on_error), options));
}

DockerEventWatcher::DockerEventWatcher(LabelTag, docker::DockerApi& api, std::string label, OnEvent on_event,
                                       OnError on_error, DockerEventsOptions options)
    : api_(api),
      label_(std::move(label)),
      on_event_(std::move(on_event)),
      on_error_(std::move(on_error)),
      options_(options),
      thread_([this](std::stop_token stop) { Loop(stop); }) {}

void DockerEventWatcher::Stop() {
  if (thread_.joinable()) {
    thread_.request_stop();
    cv_.notify_all();
    thread_.join();
  }
}

void DockerEventWatcher::Deliver(const docker::Event& e) {
  if (!IsRelevantEvent(e)) return;
  if (e.type == "container") {  // its attributes carry the container's labels
    if (docker::MatchesLabelFilters(docker::Labels(e.attributes.begin(), e.attributes.end()), {label_})) on_event_(e);
    return;
  }
  OnNetworkEvent(e);
}

void DockerEventWatcher::OnNetworkEvent(const docker::Event& e) {
  const auto container = e.attributes.find("container");
  if (container == e.attributes.end() || container->second.empty()) return;
  // A container that is gone (its destroy event says so) or an engine that stopped answering
  // (the stream reports that) is simply not passed on.
  auto info = api_.InspectContainer(container->second);
  if (!info.ok() || !info->has_value() || !docker::MatchesLabelFilters((*info)->config.labels, {label_})) return;
  docker::Event named = e;
  const auto network = e.attributes.find("name");
  named.attributes["name"] =
      (*info)->name + " (" + (network == e.attributes.end() ? e.actor_id.substr(0, 12) : network->second) + ")";
  on_event_(named);
}

int DockerEventWatcher::attempts() const {
  std::lock_guard lock(mu_);
  return attempts_;
}

void DockerEventWatcher::Loop(std::stop_token stop) {
  // No label filter on the engine's side: it would drop the network (dis)connects, whose
  // attributes are the network's. Only the relevant actions come; labels are checked here.
  docker::EventsQuery query;
  query.filters = {{"type", {"container", "network"}},
                   {"event", std::vector<std::string>(kRelevantActions.begin(), kRelevantActions.end())}};
  query.window = options_.window;
  std::chrono::milliseconds backoff = options_.base_backoff;
  bool failing = false;  // the last attempt failed
  bool first = true;
  while (!stop.stop_requested()) {
    {
      std::lock_guard lock(mu_);
      ++attempts_;
    }
    bool delivered = false;
    const auto started = std::chrono::steady_clock::now();
    Status s = Status::Ok();
    bool reached = !failing && !first;  // the engine answered before this stream was opened
    try {
      // After a failure, a ping tells when the engine answers again (a working event stream
      // only returns on the next failure, so it cannot say so itself). The first ping tells an
      // engine that goes away (a loss) from one that was never there.
      if (failing || first) {
        if (auto ping = api_.Ping(); !ping) {
          s = ping.error();
        } else {
          reached = true;
          if (failing && options_.on_reconnected) options_.on_reconnected();
          failing = false;
        }
      }
      first = false;
      if (s.ok()) s = api_.Events(
          query,
          [&](const docker::Event& e) {
            delivered = true;
            Deliver(e);
            return !stop.stop_requested();
          },
          stop);
    } catch (const std::exception& e) {
      s = Error::Transient(std::string("docker events: ") + e.what());
    }
    if (stop.stop_requested()) break;
    if (!s.ok()) failing = true;
    // A stream that lived a while or delivered something was a working connection.
    if (delivered || std::chrono::steady_clock::now() - started > std::chrono::seconds(10)) {
      backoff = options_.base_backoff;
    }
    if (!s.ok() && on_error_) on_error_(s.error().message, backoff);
    if (!s.ok() && reached && options_.on_lost) options_.on_lost(s.error().message);
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, stop, backoff, [] { return false; });
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

}  // namespace ironward::run
