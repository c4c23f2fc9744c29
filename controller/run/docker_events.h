// Follows the Docker engine's event stream for objects carrying our owner label
// (ironward.dev/owner=<metadata.name>) on a helper thread and hands each relevant event to a
// callback (the run loop posts it to its mailbox). Works for any labelled container, so a
// sandbox removed out of band triggers a pass whichever reconciler owns it.
//
// A container joining or leaving a network is a *network* event: it carries the network's
// attributes, not the container's labels, so an engine-side label filter would drop it. So the
// stream asks the engine for the relevant actions of containers and networks, checks a container
// event's labels itself, and inspects the container a network (dis)connect names (one inspect per
// such event): a sandbox attached to the default bridge (a way around the proxy) or detached
// behind ironward's back is seen at once, not at the drift check.
//
// The engine may be down or not installed: the watcher backs off (1 s doubling, capped at 5 s)
// and retries, forever, and never throws; options.on_reconnected tells when it works again.
// Stop() (or the destructor) returns within about one event window (1 s).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>

#include "reconcilers/docker/docker_api.h"

namespace ironward::run {

inline constexpr const char* kOwnerLabel = "ironward.dev/owner";

/// Whether an event is worth a pass: lifecycle changes and network (dis)connects, not
/// exec/health/attach chatter.
bool IsRelevantEvent(const docker::Event& e);
/// "container die agent-1" style one-liner (no attribute values beyond the name).
std::string DescribeEvent(const docker::Event& e);

struct DockerEventsOptions {
  std::chrono::milliseconds base_backoff{1000};
  /// Short: while the engine is down each attempt is one failed connect to its socket, and the
  /// next one succeeding is what ends the Docker resources' (much longer) back-off.
  std::chrono::milliseconds max_backoff{5000};
  std::chrono::milliseconds window{1000};
  /// Called (on the watcher's thread) when a stream works again after failed attempts: the engine
  /// is back, so work held back while it was down can be retried at once.
  std::function<void()> on_reconnected;
  /// Called (on the watcher's thread) when a stream that worked fails: the engine went away (or
  /// restarts), which is worth a pass at once: the events of its going may never arrive.
  std::function<void(const std::string& why)> on_lost;
};

class DockerEventWatcher {
 public:
  using OnEvent = std::function<void(const docker::Event&)>;
  /// `on_error` is told about each failed connection (for logging); may be empty.
  using OnError = std::function<void(const std::string&, std::chrono::milliseconds retry_in)>;

  /// Watches objects labelled ironward.dev/owner=`owner`.
  DockerEventWatcher(docker::DockerApi& api, std::string owner, OnEvent on_event, OnError on_error = {},
                     DockerEventsOptions options = {});
  /// Watches objects matching one Engine label filter ("key" or "key=value"), e.g. the
  /// enforcement selector of unmanaged containers to police.
  static std::unique_ptr<DockerEventWatcher> ForLabel(docker::DockerApi& api, const std::string& label_filter,
                                                      OnEvent on_event, OnError on_error = {},
                                                      DockerEventsOptions options = {});
  ~DockerEventWatcher() { Stop(); }
  DockerEventWatcher(const DockerEventWatcher&) = delete;
  DockerEventWatcher& operator=(const DockerEventWatcher&) = delete;

  /// The label filter this watcher follows ("ironward.dev/owner=prod").
  const std::string& label() const { return label_; }
  void Stop();
  /// Connection attempts so far (tests).
  int attempts() const;

 private:
  void Loop(std::stop_token stop);
  /// Passes on a relevant event of a container carrying the label.
  void Deliver(const docker::Event& e);
  /// A network (dis)connect: passed on, named after its container, when that container carries the label.
  void OnNetworkEvent(const docker::Event& e);

  struct LabelTag {};
  DockerEventWatcher(LabelTag, docker::DockerApi& api, std::string label, OnEvent on_event, OnError on_error,
                     DockerEventsOptions options);

  docker::DockerApi& api_;
  std::string label_;
  OnEvent on_event_;
  OnError on_error_;
  DockerEventsOptions options_;
  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  int attempts_ = 0;
  std::jthread thread_;
};

}  // namespace ironward::run
