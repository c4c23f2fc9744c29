// GatedDocker: a DockerApi that forwards to another (usually FakeDocker) and lets a test see and
// steer concurrency: creates and inspects count how many are in flight (and the most at once),
// wait at a gate the test opens when it has seen what it wanted, and creates of chosen names fail.
// Waits use a condition variable with a deadline, never a sleep.
//
//   GatedDocker gated(fake);
//   gated.HoldCreates();                    // every create waits at the gate
//   std::thread t([&] { apply(gated); });
//   ASSERT_TRUE(gated.WaitForCreatesInFlight(4));
//   gated.OpenGate();  t.join();  EXPECT_EQ(gated.max_creates_in_flight(), 4);
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>

#include "reconcilers/docker/docker_api.h"

namespace ironward::docker {

class GatedDocker final : public DockerApi {
 public:
  explicit GatedDocker(DockerApi& inner) : inner_(inner) {}

  /// From now on creates (HoldCreates) / inspects (HoldInspects) wait until OpenGate().
  void HoldCreates() { Set(hold_creates_, true); }
  void HoldInspects() { Set(hold_inspects_, true); }
  /// Only the create of container `name` waits at the gate (the others go through).
  void HoldCreateOf(const std::string& name) {
    std::lock_guard lock(mu_);
    held_names_.insert(name);
  }
  void OpenGate() {
    std::lock_guard lock(mu_);
    hold_creates_ = hold_inspects_ = false;
    held_names_.clear();
    cv_.notify_all();
  }
  /// The create of container `name` fails with a terminal "(HTTP 400)" error, as a refused body would.
  void FailCreateOf(const std::string& name) {
    std::lock_guard lock(mu_);
    failing_.insert(name);
  }

  bool WaitForCreatesInFlight(int n, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return creates_in_flight_ >= n; });
  }
  bool WaitForInspectsInFlight(int n, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return inspects_in_flight_ >= n; });
  }
  /// Creates that returned (succeeded or failed).
  bool WaitForCreatesDone(int n, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return creates_done_ >= n; });
  }
  int max_creates_in_flight() const {
    std::lock_guard lock(mu_);
    return max_creates_;
  }
  int max_inspects_in_flight() const {
    std::lock_guard lock(mu_);
    return max_inspects_;
  }

  Result<PingInfo> Ping() override { return inner_.Ping(); }
  Result<EngineInfo> Info() override { return inner_.Info(); }
  Result<std::vector<ContainerSummary>> ListContainers(const Filters& f, bool all) override {
    return inner_.ListContainers(f, all);
  }
  Result<std::optional<ContainerInfo>> InspectContainer(const std::string& id) override {
    Enter(inspects_in_flight_, max_inspects_, [this](const std::string&) { return hold_inspects_; }, id);
    auto r = inner_.InspectContainer(id);
    Leave(inspects_in_flight_, nullptr);
    return r;
  }
  Result<LogOutput> Logs(const std::string& id, const LogsOptions& o) override { return inner_.Logs(id, o); }
  Result<std::vector<NetworkInfo>> ListNetworks(const Filters& f) override { return inner_.ListNetworks(f); }
  Result<std::optional<NetworkInfo>> InspectNetwork(const std::string& id) override {
    return inner_.InspectNetwork(id);
  }
  Status Events(const EventsQuery& q, const EventCallback& cb, std::stop_token stop) override {
    return inner_.Events(q, cb, stop);
  }
  Result<CreateResult> CreateContainer(const std::string& name, const ContainerCreateSpec& spec) override {
    Enter(creates_in_flight_, max_creates_,
          [this](const std::string& n) { return hold_creates_ || held_names_.count(n) != 0; }, name);
    bool fail = false;
    {
      std::lock_guard lock(mu_);
      fail = failing_.count(name) != 0;
    }
    Result<CreateResult> r = fail ? Result<CreateResult>(ApiError("create container " + name, 400, "refused by the test"))
                                  : inner_.CreateContainer(name, spec);
    Leave(creates_in_flight_, &creates_done_);
    return r;
  }
  Result<Outcome> StartContainer(const std::string& id) override { return inner_.StartContainer(id); }
  Result<Outcome> StopContainer(const std::string& id, std::chrono::seconds t) override {
    return inner_.StopContainer(id, t);
  }
  Result<Outcome> RemoveContainer(const std::string& id, bool force) override {
    return inner_.RemoveContainer(id, force);
  }
  Result<WaitResult> WaitContainer(const std::string& id, std::chrono::milliseconds t) override {
    return inner_.WaitContainer(id, t);
  }
  Result<std::string> CreateNetwork(const NetworkCreateSpec& spec) override { return inner_.CreateNetwork(spec); }
  Result<Outcome> ConnectNetwork(const std::string& n, const std::string& c) override {
    return inner_.ConnectNetwork(n, c);
  }
  Result<Outcome> DisconnectNetwork(const std::string& n, const std::string& c, bool force) override {
    return inner_.DisconnectNetwork(n, c, force);
  }
  Result<Outcome> RemoveNetwork(const std::string& id) override { return inner_.RemoveNetwork(id); }

 private:
  void Set(bool& flag, bool value) {
    std::lock_guard lock(mu_);
    flag = value;
  }
  template <class Held>
  void Enter(int& in_flight, int& max, Held held, const std::string& what) {
    std::unique_lock lock(mu_);
    ++in_flight;
    max = std::max(max, in_flight);
    cv_.notify_all();
    cv_.wait(lock, [&] { return !held(what); });
  }
  void Leave(int& in_flight, int* done) {
    std::lock_guard lock(mu_);
    --in_flight;
    if (done != nullptr) ++*done;
    cv_.notify_all();
  }

  DockerApi& inner_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool hold_creates_ = false;
  bool hold_inspects_ = false;
  std::set<std::string> held_names_;
  std::set<std::string> failing_;
  int creates_in_flight_ = 0;
  int inspects_in_flight_ = 0;
  int max_creates_ = 0;
  int max_inspects_ = 0;
  int creates_done_ = 0;
};

}  // namespace ironward::docker
