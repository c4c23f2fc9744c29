// A state directory prepared for the daemon reconciler: the iron-proxy double as
// <state>/bin/iron-proxy, a CA from its generate-ca, proxy.yaml from the project's renderer on
// free loopback ports, and the facts the upstream reconcilers would publish.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "double_harness.h"
#include "reconcilers/daemon/daemon_reconciler.h"
#include "reconcilers/io/file_reader.h"
#include "tests/fakes/fake_clock.h"
#include "tests/support/eventually.h"
#include "tests/support/process.h"

namespace ironward::daemon::test {

inline constexpr const char* kRealSecret = "sk-real-upstream-secret-9f8e7d6c5b4a";
inline constexpr const char* kSecretName = "OPENROUTER_API_KEY";

class DaemonHarness {
 public:
  DaemonHarness();
  ~DaemonHarness();  // stops every proxy this state dir started

  std::string root() const { return dir_.path(); }
  spec::DesiredState& desired() { return desired_; }
  Facts& facts() { return facts_; }
  FakeClock& clock() { return clock_; }
  state::StateWriter& state() { return *state_; }
  DaemonOptions& options() { return options_; }
  /// What Plan/Apply read files outside the state dir with (proxy.upstreamCaFile); the real
  /// file system unless a test sets a fake.
  const FileReader*& files() { return files_; }
  const std::string& token() const { return token_; }

  /// Renders proxy.yaml from desired() and publishes ConfigFacts.
  void Render();
  /// A provider "openrouter" (secret OPENROUTER_API_KEY, hosts) and its SecretFacts.
  void AddProvider(const std::vector<std::string>& hosts);

  ResourcePlan Plan();
  Outcome Apply(const ResourcePlan& plan);
  /// Plan, then Apply when there are changes.
  Outcome Pass(ResourcePlan* plan_out = nullptr);

  std::optional<PidRecord> Record();
  int Port(const std::string& which) const;  // tunnel | http | https | dns | metrics | management

 private:
  doubletest::TempDir dir_;
  spec::DesiredState desired_;
  Facts facts_;
  FakeClock clock_;
  std::unique_ptr<state::StateWriter> state_;
  DaemonOptions options_;
  RealFileReader real_files_;
  const FileReader* files_ = &real_files_;
  std::string token_;
};

/// A listening TCP socket (or a bound UDP one) on 127.0.0.1:port, to make a port "already in use".
class PortBlocker {
 public:
  explicit PortBlocker(int port, bool udp = false);
  ~PortBlocker();

 private:
  int fd_ = -1;
};

}  // namespace ironward::daemon::test
