// The `ironward run` daemon, in four parts (the class is private to controller/run):
//   run_loop.cpp     the event sources on sd-event and the step that starts due work
//   run_pass.cpp     one pass (RunOnePass, shared with reconcile/apply) and what follows it:
//                    the work queue's record, health, metrics, the recap, the next drift check
//   run_inputs.cpp   the desired-state files (load, refuse, accept), the env file, Docker events,
//                    the harden survey, the mailbox those helper threads post to
//   run_status.cpp   status.json extras, /readyz checks, the status page
// The work queue (work_queue.h) holds what is due when, with back-off and holds.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "controller/command_support.h"
#include "controller/engine.h"
#include "controller/run/docker_events.h"
#include "controller/run/event_loop.h"
#include "controller/run/file_watch.h"
#include "controller/run/http_endpoint.h"
#include "controller/run/mailbox.h"
#include "controller/run/metrics.h"
#include "controller/run/nft_watch.h"
#include "controller/run/proxy_metrics.h"
#include "controller/run/proxy_watch.h"
#include "controller/run/run_loop.h"
#include "controller/run/state_watch.h"
#include "controller/run/systemd_notify.h"
#include "controller/run/work_queue.h"
#include "reconcilers/daemon/exit_ledger.h"
#include "state/spec/loader.h"
#include "state/status.h"

namespace ironward::run {

using SteadyClock = std::chrono::steady_clock;

/// A file still being written (no close or rename seen yet): look at it once it has been quiet
/// this long. A closed write or a rename into place is looked at immediately.
inline constexpr std::chrono::milliseconds kFileDebounce{100};
/// Docker emits bursts (kill, die, stop, destroy); one pass for a burst.
inline constexpr std::chrono::milliseconds kDockerDebounce{200};
/// A ruleset reload deletes and re-adds in one batch, a hand edit may come as several: one pass.
inline constexpr std::chrono::milliseconds kNftDebounce{200};
/// The longest a table changed again and again by another writer waits for its reload.
inline constexpr std::chrono::milliseconds kNftMaxDelay{300000};
/// A state file changed behind ironward's back: one pass for a burst (rm -rf, a restore).
inline constexpr std::chrono::milliseconds kStateDebounce{200};
/// Busy writer lock (a one-shot `ironward reconcile` is applying): try again this soon.
inline constexpr std::chrono::milliseconds kLockRetry{1000};

class Daemon {
 public:
  explicit Daemon(RunOptions options);
  int Run();

 private:
  // --- run_loop.cpp: event sources and the step
  bool SetUpSources();
  void Step();      ///< runs what is due now, then arms the timer for what is next
  void Schedule();  ///< arms the timer for the earliest due time
  void OnSignal(int signo);
  void UpdatePidfdWatch();
  void ProxyExited();
  void WatchEnvFile(const std::string& path);
  /// State files changed behind ironward's back: one pass for them after kStateDebounce.
  void NoteStateChanges(const std::vector<std::string>& names);
  /// When to look at a watched file after `seen`: at once when its new content is whole, else
  /// once it has been quiet for kFileDebounce.
  static void NoteFileEvent(FileWatch::Seen seen, std::optional<SteadyClock::time_point>* due);
  // --- run_pass.cpp
  void RunPass(const std::vector<WorkItem>& items, SteadyClock::time_point now);
  void AfterPass(const RunResult& run, const state::StatusDoc& doc, const std::vector<std::string>& drifted);
  void TrackRecordedProxy();
  /// Waits for the proxies (our children as subreaper) that exited; returns their pids.
  std::vector<pid_t> ReapProxies();
  std::string Summary(const RunResult& run) const;
  // --- run_inputs.cpp
  void CheckDesiredFile(bool force, SteadyClock::time_point now);
  void Refuse(const std::vector<spec::Diagnostic>& diagnostics, const std::string& digest);
  void StartHelpers();
  void EnsureDockerWatcher();
  /// With enforcement.network internal: follow nftables changes to `inet ironward` (nft_watch.h).
  void EnsureNftWatch();
  void HandleMailbox();
  // --- run_status.cpp
  Status MutateStatus(const std::function<void(state::StatusDoc&)>& change);
  void ApplyExtras(state::StatusDoc& doc) const;
  std::vector<ReadyCheck> ReadyChecks() const;
  std::string StatusPage() const;

  RunOptions options_;
  Runtime rt_;
  state::StateWriter writer_;
  std::shared_ptr<daemon::ExitLedger> exits_;  ///< before engine_: the daemon reconciler reads it
  Engine engine_;
  std::string files_label_;  ///< "base.yaml + hosts/web1.yaml", for logs
  EventLoop loop_;
  /// One per desired-state file: a change to any of them re-reads them all.
  std::vector<std::unique_ptr<FileWatch>> watches_;
  StateWatch state_watch_;
  /// spec.credentials.envFile: a fixed or added secret there is picked up at once.
  std::unique_ptr<FileWatch> env_watch_;
  EventLoop::SourceId env_source_ = 0;
  ProxyWatch proxy_{rt_.processes};
  EventLoop::SourceId pidfd_source_ = 0;
  int armed_pidfd_ = -1;
  Mailbox mailbox_;
  Metrics metrics_;
  WorkQueue queue_;
  SystemdNotifier notifier_;
  std::unique_ptr<ProxyRequestMetrics> proxy_requests_;  ///< iron-proxy.log records (with the endpoint only)
  std::unique_ptr<HttpEndpoint> http_;
  std::unique_ptr<DockerEventWatcher> docker_watch_;   ///< ironward.dev/owner=<name>
  std::unique_ptr<DockerEventWatcher> policed_watch_;  ///< spec.enforcement.selector
  std::unique_ptr<NftTableWatch> nft_watch_;
  EventLoop::SourceId nft_source_ = 0;
  bool nft_watch_failed_ = false;  ///< could not subscribe (logged once)
  SteadyClock::time_point nft_last_{};          ///< the last change another process made
  std::chrono::milliseconds nft_delay_{0};      ///< before the pass it triggers (repeated changes)
  std::jthread harden_thread_;
  std::mt19937_64 rng_;
  std::set<pid_t> proxy_pids_;  ///< proxies seen in iron-proxy.pid, reaped once they exit

  std::optional<spec::DesiredState> desired_;  ///< the last good desired state (what runs)
  std::string file_digest_;                     ///< DesiredFilesDigest last looked at
  std::optional<SteadyClock::time_point> file_check_due_;
  bool file_check_forced_ = false;
  std::optional<SteadyClock::time_point> state_check_due_;  ///< a state file changed: pass then
  std::optional<SteadyClock::time_point> env_check_due_;    ///< the env file changed: pass then
  std::set<std::string> state_changes_;                     ///< which ones (for the trigger)
  nlohmann::json refusal_;  ///< non-null while the file on disk is refused
  nlohmann::json harden_;   ///< latest survey

  // Read by the HTTP thread.
  mutable std::mutex health_mu_;
  bool first_pass_done_ = false;
  bool have_desired_ = false;
  std::string refused_reason_;
  int last_failed_ = 0;
  std::string last_failed_names_;
  std::optional<bool> proxy_up_;
  bool ready_announced_ = false;
};

}  // namespace ironward::run
