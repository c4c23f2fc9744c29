#include "controller/run/run_loop.h"

#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <set>
#include <thread>
#include <fstream>
#include <iostream>
#include <optional>
#include <random>
#include <sstream>

#include <spdlog/spdlog.h>

#include "controller/command_support.h"
#include "controller/engine.h"
#include "controller/harden/survey.h"
#include "controller/plan_output.h"
#include "controller/run/docker_events.h"
#include "controller/run/file_watch.h"
#include "controller/run/state_watch.h"
#include "controller/run/http_endpoint.h"
#include "controller/run/mailbox.h"
#include "controller/run/metrics.h"
#include "controller/run/proxy_metrics.h"
#include "controller/run/proxy_watch.h"
#include "controller/run/status_page.h"
#include "controller/live_status.h"
#include "controller/run/systemd_notify.h"
#include "controller/run/work_queue.h"
#include "state/spec/loader.h"
#include "reconcilers/daemon/exit_ledger.h"
#include "reconcilers/daemon/pid_record.h"
#include "state/encoding.h"
#include "state/lock.h"
#include "state/status.h"

namespace ironward::run {
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

/// Editors write in several steps; look at the file once it has been quiet this long.
constexpr milliseconds kFileDebounce{100};
/// Docker emits bursts (kill, die, stop, destroy); one pass for a burst.
constexpr milliseconds kDockerDebounce{200};
/// A state file changed behind ironward's back: one pass for a burst (rm -rf, a restore).
constexpr milliseconds kStateDebounce{200};
/// The resources whose work goes through the Docker engine (their back-off ends when it is back).
constexpr std::array<const char*, 3> kDockerResources = {"network", "sandboxes", "enforcement"};
/// Busy writer lock (a one-shot `ironward reconcile` is applying): try again this soon.
constexpr milliseconds kLockRetry{1000};
/// The status page's "rejected hosts" window and length.
constexpr std::chrono::hours kRejectedWindow{1};
constexpr std::size_t kRejectedHostsShown = 20;
/// status.json "desired_refused" keeps at most this many diagnostics.
constexpr std::size_t kMaxRefusalErrors = 20;

ResultKind KindOf(const ResourceResult& r) {
  if (r.skipped) return ResultKind::kNotApplied;
  if (r.plan.error && !r.outcome) return r.plan.error->terminal() ? ResultKind::kTerminal : ResultKind::kRetry;
  if (!r.outcome) return ResultKind::kSuccess;
  switch (r.outcome->kind) {
    case Outcome::Kind::kDone:
      return ResultKind::kSuccess;
    case Outcome::Kind::kRequeueAfter:
      return ResultKind::kRequeueAfter;
    case Outcome::Kind::kRetry:
      return ResultKind::kRetry;
    case Outcome::Kind::kTerminal:
      return ResultKind::kTerminal;
  }
  return ResultKind::kRetry;
}

std::string Join(const std::set<std::string>& s) {
  std::string out;
  for (const auto& x : s) out += (out.empty() ? "" : ", ") + x;
  return out;
}

class Daemon {
 public:
  explicit Daemon(RunOptions options)
      : options_(std::move(options)),
        writer_(options_.state_dir),
        exits_(std::make_shared<daemon::ExitLedger>()),
        engine_(MakeReconcilers(exits_)),
        files_label_(FilesLabel(options_.files)),
        state_watch_(options_.state_dir),
        rng_(std::random_device{}()) {}

  int Run();

 private:
  // --- setup / teardown
  bool SetUpFds();
  void StartHelpers();
  void EnsureDockerWatcher();
  void EnsureEnvFileWatch();
  // --- events
  void HandleSignal();
  void HandleMailbox(SteadyClock::time_point now);
  void CheckDesiredFile(bool force, SteadyClock::time_point now);
  void RunPass(const std::vector<WorkItem>& items, SteadyClock::time_point now);
  void ArmTimer(SteadyClock::time_point now);
  void UpdatePidfdWatch();
  void TrackRecordedProxy();
  void ReapProxies();
  // --- status
  Status MutateStatus(const std::function<void(state::StatusDoc&)>& change);
  void ApplyExtras(state::StatusDoc& doc) const;
  std::vector<ReadyCheck> ReadyChecks() const;
  std::string StatusPage() const;
  std::string Summary(const RunResult& run) const;

  RunOptions options_;
  Runtime rt_;
  state::StateWriter writer_;
  std::shared_ptr<daemon::ExitLedger> exits_;  ///< before engine_: the daemon reconciler reads it
  Engine engine_;
  std::string files_label_;  ///< "base.yaml + hosts/web1.yaml", for logs
  /// One per desired-state file: a change to any of them re-reads them all.
  std::vector<std::unique_ptr<FileWatch>> watches_;
  StateWatch state_watch_;
  /// spec.credentials.envFile: a fixed or added secret there is picked up at once.
  std::unique_ptr<FileWatch> env_watch_;
  ProxyWatch proxy_{rt_.processes};
  Mailbox mailbox_;
  Metrics metrics_;
  WorkQueue queue_;
  SystemdNotifier notifier_;
  std::unique_ptr<ProxyRequestMetrics> proxy_requests_;  ///< iron-proxy.log records (with the endpoint only)
  std::unique_ptr<HttpEndpoint> http_;
  std::unique_ptr<DockerEventWatcher> docker_watch_;   ///< ironward.dev/owner=<name>
  std::unique_ptr<DockerEventWatcher> policed_watch_;  ///< spec.enforcement.selector
  std::jthread harden_thread_;
  std::mt19937_64 rng_;

  int epoll_ = -1;
  int signal_fd_ = -1;
  int timer_fd_ = -1;
  int armed_pidfd_ = -1;
  bool stop_ = false;
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
  std::optional<SteadyClock::time_point> next_watchdog_;

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

bool Daemon::SetUpFds() {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGHUP);
  sigaddset(&mask, SIGCHLD);  // a proxy we adopted exited: reap it (see Run: subreaper)
  // Blocked before any helper thread starts, so they inherit the mask and only signalfd sees them.
  ::pthread_sigmask(SIG_BLOCK, &mask, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  signal_fd_ = ::signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  timer_fd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
  bool watched = true;
  for (const auto& f : options_.files) {
    watches_.push_back(std::make_unique<FileWatch>(f));
    watched = watched && watches_.back()->ok();
  }
  if (signal_fd_ < 0 || timer_fd_ < 0 || epoll_ < 0 || !watched || mailbox_.fd() < 0) {
    std::cerr << "Error: setting up the event loop (signalfd/timerfd/epoll/inotify on " << files_label_
              << "): " << std::strerror(errno) << "\n";
    return false;
  }
  std::vector<int> fds = {signal_fd_, timer_fd_, mailbox_.fd()};
  for (const auto& w : watches_) fds.push_back(w->fd());
  if (state_watch_.ok()) {
    fds.push_back(state_watch_.fd());
  } else {
    spdlog::warn("cannot watch {} (inotify: {}); changes there are healed at the drift check",
                 options_.state_dir, std::strerror(errno));
  }
  for (int fd : fds) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    ::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
  }
  return true;
}

void Daemon::StartHelpers() {
  if (options_.harden_interval.count() > 0) {
    harden_thread_ = std::jthread([this](std::stop_token stop) {
      std::mutex mu;
      std::condition_variable_any cv;
      while (!stop.stop_requested()) {
        harden::SurveyDeps deps;
        deps.state_dir = options_.state_dir;
        const auto report = harden::RunSurvey(deps);
        nlohmann::json j = harden::ToJson(report);
        j["checked_at"] = FormatRfc3339(std::chrono::system_clock::now());
        mailbox_.Post({"harden", "harden survey refreshed", std::move(j)});
        std::unique_lock lock(mu);
        cv.wait_for(lock, stop, options_.harden_interval, [] { return false; });
      }
    });
  }
}

void Daemon::EnsureEnvFileWatch() {
  const std::string& path = desired_->spec.credentials.env_file;
  const std::string watched = env_watch_ ? env_watch_->path() : "";
  if (path == watched) return;
  if (env_watch_) ::epoll_ctl(epoll_, EPOLL_CTL_DEL, env_watch_->fd(), nullptr);
  env_watch_.reset();
  if (path.empty()) return;
  env_watch_ = std::make_unique<FileWatch>(path);
  if (!env_watch_->ok()) {
    spdlog::warn("cannot watch credentials.envFile {} (inotify: {}); a change there is picked up at the next retry",
                 path, std::strerror(errno));
    return;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = env_watch_->fd();
  ::epoll_ctl(epoll_, EPOLL_CTL_ADD, env_watch_->fd(), &ev);
}

void Daemon::EnsureDockerWatcher() {
  // Only when there is something in Docker to watch, and an engine client at all: our own
  // objects (sandboxes, their network) and, when enforcement is on, the containers it polices.
  auto on_event = [this](const docker::Event& e) { mailbox_.Post({"docker", DescribeEvent(e), nullptr}); };
  // An engine that is down (or not installed) is reported once per 20 failed attempts, not
  // every back-off step.
  auto on_error = [failures = std::make_shared<std::atomic<int>>(0)](const std::string& why, milliseconds retry) {
    if ((*failures)++ % 20 == 0) {
      spdlog::warn("docker events: {}; retrying in {}s (with back-off up to 5s)", why, (retry.count() + 999) / 1000);
    }
  };
  DockerEventsOptions options;
  options.on_reconnected = [this] { mailbox_.Post({"docker-back", "the Docker engine answers again", nullptr}); };
  const bool owned = desired_ && !desired_->spec.sandboxes.empty() && rt_.docker;
  const std::string owner_label = desired_ ? std::string(kOwnerLabel) + "=" + desired_->name : "";
  if (!owned) {
    docker_watch_.reset();
  } else if (!docker_watch_ || docker_watch_->label() != owner_label) {
    docker_watch_.reset();
    docker_watch_ = std::make_unique<DockerEventWatcher>(*rt_.docker, desired_->name, on_event, on_error, options);
  }
  const bool policed = desired_ && rt_.docker && desired_->spec.enforcement.mode != spec::EnforcementMode::kOff &&
                       !desired_->spec.enforcement.selector.empty();
  if (!policed) {
    policed_watch_.reset();
  } else if (!policed_watch_ || policed_watch_->label() != desired_->spec.enforcement.selector) {
    policed_watch_.reset();
    policed_watch_ =
        DockerEventWatcher::ForLabel(*rt_.docker, desired_->spec.enforcement.selector, on_event, on_error, options);
  }
}

Status Daemon::MutateStatus(const std::function<void(state::StatusDoc&)>& change) {
  auto lock = state::WriterLock::Acquire(writer_, options_.lock_timeout);
  if (!lock) return lock.error();
  auto loaded = state::LoadStatus(writer_);
  if (!loaded) return loaded.error();
  change(loaded->doc);
  return state::SaveStatus(writer_, loaded->doc);
}

void Daemon::ApplyExtras(state::StatusDoc& doc) const {
  if (refusal_.is_null()) {
    doc.extra.erase("desired_refused");
  } else {
    doc.extra["desired_refused"] = refusal_;
  }
  if (!harden_.is_null()) doc.extra["harden"] = harden_;
  // Who wrote it: `status` shows a refusal only while this process lives (even before a pass).
  auto& run = doc.extra["run"];
  if (!run.is_object() || run.value("pid", 0L) != static_cast<long>(::getpid())) {
    run = {{"pid", ::getpid()}, {"metrics_addr", options_.metrics_addr}};
  }
}

void Daemon::CheckDesiredFile(bool force, SteadyClock::time_point now) {
  const std::string digest = DesiredFilesDigest(options_.files);
  if (!force && digest == file_digest_) return;  // same bytes (touch, chmod, our own rewrite): nothing to do
  file_digest_ = digest;

  auto loaded = spec::LoadFiles(options_.files);
  if (!loaded.ok()) {
    nlohmann::json errors = nlohmann::json::array();
    for (const auto& e : loaded.errors) {
      if (errors.size() < kMaxRefusalErrors) errors.push_back(e.ToString());
    }
    if (errors.empty()) errors.push_back(files_label_ + ": cannot be read");
    refusal_ = {{"time", FormatRfc3339(rt_.clock.Now())},
                {"path", options_.files.front()},
                {"paths", options_.files},
                {"file_sha256", digest},
                {"reason", "InvalidDesiredState"},
                {"message", desired_ ? "the file on disk is invalid; still running the last good desired state (sha256:" +
                                           desired_->digest.substr(0, 12) + ")"
                                     : "the file on disk is invalid and there is no good desired state yet; nothing is "
                                       "being changed"},
                {"errors", errors}};
    spdlog::error("refusing {}: {} error(s); {}", files_label_, loaded.errors.size(),
                  refusal_["message"].get<std::string>());
    for (const auto& e : loaded.errors) spdlog::error("  {}", e.ToString());
    {
      std::lock_guard lock(health_mu_);
      refused_reason_ = errors.front().get<std::string>();
    }
    metrics_.SetDesiredRefused(true);
    if (auto s = MutateStatus([this](state::StatusDoc& doc) { ApplyExtras(doc); }); !s) {
      spdlog::warn("could not record the refusal in status.json now ({}); it is recorded with the next pass",
                   s.error().message);
    }
    if (!ready_announced_) {
      notifier_.Ready("refusing " + files_label_ + ": " + errors.front().get<std::string>());
      ready_announced_ = true;
    }
    return;
  }
  for (const auto& w : loaded.warnings) spdlog::warn("{}", w.ToString());
  spec::DesiredState next = *loaded.state;
  next.source_paths.clear();
  for (const auto& f : options_.files) {
    std::error_code ec;
    const auto abs = std::filesystem::absolute(f, ec);
    next.source_paths.push_back(ec ? f : abs.lexically_normal().string());
  }
  next.source_path = next.source_paths.front();
  const bool changed = !desired_ || desired_->digest != next.digest;
  if (desired_ && changed) spdlog::info("desired state changed: sha256:{} -> sha256:{}", desired_->digest.substr(0, 12),
                                        next.digest.substr(0, 12));
  desired_ = std::move(next);
  const bool was_refused = !refusal_.is_null();
  refusal_ = nullptr;
  {
    std::lock_guard lock(health_mu_);
    have_desired_ = true;
    refused_reason_.clear();
  }
  metrics_.SetDesiredRefused(false);
  if (changed || force) queue_.ClearHolds();  // a new desired state (or an operator's SIGHUP) gets a fresh try
  // Also on a comment-only edit: the pass records the new git revision and clears a refusal.
  if (changed || force || was_refused) {
    queue_.Add(kAllResources, changed ? "desired state changed" : "desired state re-read", now);
  } else {
    queue_.Add(kAllResources, "desired-state file rewritten", now);
  }
  EnsureDockerWatcher();
  EnsureEnvFileWatch();
}

void Daemon::TrackRecordedProxy() {
  auto text = writer_.Read(daemon::kPidFile);
  if (!text.ok() || !text->has_value()) return;
  if (auto rec = daemon::ParsePidRecord(**text); rec.ok() && rec->pid > 0) proxy_pids_.insert(rec->pid);
}

void Daemon::ReapProxies() {
  // Only the proxies: other children (the spawner's middle process, survey commands) are waited
  // for by the code that started them.
  for (auto it = proxy_pids_.begin(); it != proxy_pids_.end();) {
    if (auto exit = rt_.processes.ReapIfExited(*it)) {
      spdlog::warn("iron-proxy (pid {}) {}", *it, exit->Words());
      exits_->Record(*it, *exit);
      it = proxy_pids_.erase(it);
    } else if (!rt_.processes.Exists(*it)) {
      it = proxy_pids_.erase(it);  // gone, reaped by someone else (a proxy a one-shot command started)
    } else {
      ++it;
    }
  }
}

void Daemon::UpdatePidfdWatch() {
  proxy_.Arm(writer_);
  if (proxy_.fd() == armed_pidfd_) return;
  if (armed_pidfd_ >= 0) ::epoll_ctl(epoll_, EPOLL_CTL_DEL, armed_pidfd_, nullptr);
  armed_pidfd_ = proxy_.fd();
  if (armed_pidfd_ >= 0) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = armed_pidfd_;
    ::epoll_ctl(epoll_, EPOLL_CTL_ADD, armed_pidfd_, &ev);
  }
}

std::string Daemon::Summary(const RunResult& run) const {
  std::string s = "ok=" + std::to_string(run.ok) + " changed=" + std::to_string(run.changed) +
                  " failed=" + std::to_string(run.failed) + " skipped=" + std::to_string(run.skipped);
  if (desired_) s = desired_->name + " sha256:" + desired_->digest.substr(0, 12) + " " + s;
  if (!refusal_.is_null()) s += "; refusing the new desired-state file";
  if (desired_ && desired_->spec.reconcile.suspend) s += "; suspended";
  return s;
}

void Daemon::RunPass(const std::vector<WorkItem>& items, SteadyClock::time_point now) {
  std::set<std::string> reasons;
  for (const auto& i : items) reasons.insert(i.reasons.begin(), i.reasons.end());
  auto lock = state::WriterLock::Acquire(writer_, options_.lock_timeout);
  if (!lock) {
    spdlog::warn("pass postponed: {}", lock.error().message);
    for (const auto& i : items) {
      for (const auto& r : i.reasons) queue_.Add(i.resource, r, now + kLockRetry);
    }
    return;
  }
  auto loaded = state::LoadStatus(writer_);
  if (!loaded) {
    spdlog::error("pass postponed: {}", loaded.error().message);
    for (const auto& i : items) {
      for (const auto& r : i.reasons) queue_.Add(i.resource, r, now + kLockRetry);
    }
    return;
  }
  if (loaded->warning) spdlog::warn("{}", *loaded->warning);
  state::StatusDoc doc = std::move(loaded->doc);

  ApplyOptions apply;
  apply.hold = queue_.Holds(now, desired_->digest);
  apply.inline_requeue_wait = false;  // requeues are scheduled; the loop never sleeps in a pass
  spdlog::info("pass: {}", Join(reasons));
  TrackRecordedProxy();
  ReapProxies();  // so the daemon reconciler can tell how a dead proxy ended
  if (proxy_requests_) proxy_requests_->Poll();  // before the pass may rotate iron-proxy.log
  WriteDeps deps = rt_.Writes(writer_);
  const RunResult run = engine_.Apply(*desired_, deps, apply);
  TrackRecordedProxy();
  ReapProxies();  // proxies the pass stopped
  const std::vector<std::string> drifted = DriftedResources(doc, run);
  const int drift = static_cast<int>(drifted.size());

  RecordRun(doc, *desired_, run, FormatRfc3339(rt_.clock.Now()), GitRevisionOf(desired_->source_paths));
  ApplyExtras(doc);
  doc.extra["run"] = {{"pid", ::getpid()},
                      {"last_pass", FormatRfc3339(rt_.clock.Now())},
                      {"triggers", std::vector<std::string>(reasons.begin(), reasons.end())},
                      {"metrics_addr", options_.metrics_addr}};
  if (auto s = state::SaveStatus(writer_, doc); !s) spdlog::error("saving status: {}", s.error().message);
  const auto after = SteadyClock::now();
  for (const auto& r : run.resources) {
    const auto wait = r.outcome ? std::chrono::duration_cast<milliseconds>(r.outcome->after) : milliseconds(0);
    queue_.Record(r.plan.resource, KindOf(r), wait, desired_->digest, after);
  }
  metrics_.ObservePass(run, drifted);
  metrics_.SetFromStatus(doc);
  // The count is run.failed (skipped resources are not counted), so the names are too; a skipped
  // dependent whose own plan failed as well is named apart.
  std::string failed_names, behind;
  for (const auto& r : run.resources) {
    if (!r.Failed()) continue;
    std::string& list = r.skipped ? behind : failed_names;
    list += (list.empty() ? "" : ", ") + r.plan.resource;
  }
  if (!behind.empty()) failed_names += " (skipped behind it, failing too: " + behind + ")";
  // A resource held after a failure (back-off or a terminal wait) is not ready either, though
  // this pass did not apply it: /readyz must not say "resources ok" over it (the engine soak
  // found a sandbox held while /readyz answered 200).
  int held = 0;
  for (const auto& r : run.resources) {
    if (!r.skipped || r.skip_reason.rfind(kHeldPrefix, 0) != 0 || r.Failed()) continue;
    ++held;
    failed_names += (failed_names.empty() ? "" : ", ") + r.plan.resource + " (held)";
  }
  {
    std::lock_guard guard(health_mu_);
    first_pass_done_ = true;
    last_failed_ = run.failed + held;
    last_failed_names_ = failed_names;
    if (auto it = doc.resources.find("daemon"); it != doc.resources.end() && it->second.details.contains("running") &&
                                                it->second.details["running"].is_boolean()) {
      proxy_up_ = it->second.details["running"].get<bool>();
    }
  }
  // The same recap as the one-shot command, when something happened; a quiet pass logs one line.
  if (run.changed > 0 || run.failed > 0) {
    std::cout << RenderRecapText(run, OutputStyle{false}) << std::flush;
  } else {
    spdlog::info("pass done in {:.3f}s, in sync: Recap: ok={} changed=0 failed=0 skipped={}", run.duration_seconds,
                 run.ok, run.skipped);
  }
  if (drift > 0) {
    // Only what this pass converged is healed; the rest counts in ironward_drift_unhealed_passes.
    std::set<std::string> unhealed;
    for (const auto& name : drifted) {
      const ResourceResult* r = run.Find(name);
      if (r == nullptr || ResultLabel(*r) != "success") unhealed.insert(name);
    }
    const auto healed = drifted.size() - unhealed.size();
    if (healed > 0) spdlog::info("healed {} resource(s) that drifted", healed);
    if (!unhealed.empty()) spdlog::warn("drifted and not healed by this pass: {}", Join(unhealed));
  }
  if (state_watch_.ok()) {
    // The pass's own writes, or a change made meanwhile (a file deleted right after the pass
    // healed another): a file left missing, a symlink or loose gets one more pass.
    const auto changed = state_watch_.Unsettled(state_watch_.Drain());
    state_watch_.Arm();
    state_changes_.insert(changed.begin(), changed.end());
    if (!changed.empty() && !state_check_due_) state_check_due_ = SteadyClock::now() + kStateDebounce;
  }
  const std::string summary = Summary(run);
  if (!ready_announced_) {
    notifier_.Ready(summary);
    ready_announced_ = true;
  } else {
    notifier_.Status(summary);
  }
  // The periodic drift check: Add keeps the earliest due time, so this never postpones one.
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  queue_.Add(kAllResources, "drift check",
             after + Jittered(std::chrono::duration_cast<milliseconds>(desired_->spec.reconcile.interval), unit(rng_)));
  UpdatePidfdWatch();
  EnsureDockerWatcher();
}

void Daemon::HandleSignal() {
  signalfd_siginfo info{};
  while (::read(signal_fd_, &info, sizeof(info)) == static_cast<ssize_t>(sizeof(info))) {
    if (info.ssi_signo == SIGCHLD) {
      ReapProxies();
    } else if (info.ssi_signo == SIGHUP) {
      spdlog::info("SIGHUP: re-reading {} and forcing a pass", files_label_);
      queue_.ClearHolds();
      file_check_due_ = SteadyClock::now();
      file_check_forced_ = true;
    } else {
      spdlog::info("{}: stopping (the proxy keeps running)", info.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
      stop_ = true;
    }
  }
}

void Daemon::HandleMailbox(SteadyClock::time_point now) {
  for (auto& m : mailbox_.Drain()) {
    if (m.kind == "docker") {
      spdlog::info("docker event: {}", m.text);
      queue_.Add(kAllResources, "docker event: " + m.text, now + kDockerDebounce);
    } else if (m.kind == "docker-back") {
      // What failed while the engine was down is retried now, not at the end of its back-off
      // window (up to 5 min after a long outage).
      spdlog::info("{}: retrying the Docker resources now", m.text);
      for (const char* r : kDockerResources) queue_.ClearBackoff(r);
      queue_.Add(kAllResources, m.text, now);
    } else if (m.kind == "harden") {
      harden_ = std::move(m.data);
      if (auto s = MutateStatus([this](state::StatusDoc& doc) {
            doc.extra["harden"] = harden_;
            metrics_.SetFromStatus(doc);
          });
          !s) {
        spdlog::warn("could not record the harden survey now ({}); it is recorded with the next pass",
                     s.error().message);
      }
    }
  }
}

void Daemon::ArmTimer(SteadyClock::time_point now) {
  // Without a good desired state queued work cannot run: do not wake up for it.
  std::optional<SteadyClock::time_point> next = desired_ ? queue_.NextDue() : std::nullopt;
  auto earliest = [&next](std::optional<SteadyClock::time_point> t) {
    if (t && (!next || *t < *next)) next = t;
  };
  earliest(file_check_due_);
  earliest(state_check_due_);
  earliest(env_check_due_);
  earliest(next_watchdog_);
  itimerspec spec{};
  if (next) {
    // timerfd's CLOCK_MONOTONIC is steady_clock's clock on Linux; arm relative to be safe.
    auto delta = std::chrono::duration_cast<std::chrono::nanoseconds>(*next - now);
    if (delta.count() <= 0) delta = std::chrono::nanoseconds(1);
    spec.it_value.tv_sec = static_cast<time_t>(delta.count() / 1000000000);
    spec.it_value.tv_nsec = static_cast<long>(delta.count() % 1000000000);
  }
  ::timerfd_settime(timer_fd_, 0, &spec, nullptr);  // all zero = disarmed
}

std::vector<ReadyCheck> Daemon::ReadyChecks() const {
  std::lock_guard lock(health_mu_);
  std::vector<ReadyCheck> out;
  out.push_back({"desired_state", have_desired_,
                 have_desired_ ? (refused_reason_.empty() ? "" : "running the last good one; newer file refused: " + refused_reason_)
                               : (refused_reason_.empty() ? "not loaded yet" : "refused: " + refused_reason_)});
  out.push_back({"initial_reconcile", first_pass_done_, first_pass_done_ ? "" : "the first pass has not finished"});
  out.push_back({"resources", first_pass_done_ && last_failed_ == 0,
                 last_failed_ == 0 ? "" : std::to_string(last_failed_) + " failed: " + last_failed_names_});
  if (proxy_up_) out.push_back({"proxy", *proxy_up_, *proxy_up_ ? "" : "iron-proxy is not running"});
  return out;
}

// On the HTTP thread: reads status.json like `ironward status` (the writer lock is not needed:
// saves are atomic renames), checks the proxy live, summarises the rejected requests.
std::string Daemon::StatusPage() const {
  StatusPageModel m;
  m.now = std::chrono::system_clock::now();
  const state::StateReader reader(options_.state_dir);
  if (auto loaded = state::LoadStatus(reader); !loaded) {
    m.status_problem = loaded.error().message;
  } else {
    m.doc = std::move(loaded->doc);
    if (loaded->warning) m.status_problem = *loaded->warning;
  }
  m.checks = ReadyChecks();
  // No Docker client here: the sandboxes are watched by the loop (events), the page makes no
  // engine calls. The proxy check is loopback only; the refusal is this process's own record.
  m.live = CheckLive(reader, m.doc, nullptr, rt_.processes);
  m.live.sandboxes.reset();
  m.rejected_window = kRejectedWindow;
  m.rejected = proxy_requests_->TopRejected(m.now, kRejectedWindow, kRejectedHostsShown);
  return RenderStatusPage(m);
}

int Daemon::Run() {
  // The proxies this process starts (double fork, detached) are re-parented to it instead of
  // init, so it can reap them and tell "killed by SIGKILL" from "exited with code 1". They still
  // outlive it: when it exits they go to init as before.
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
    spdlog::warn("prctl(PR_SET_CHILD_SUBREAPER): {}; proxy crashes are counted without their cause",
                 std::strerror(errno));
  }
  if (!SetUpFds()) return 1;
  if (auto s = writer_.EnsureRoot(); !s) {
    std::cerr << "Error: " << s.error().message << "\n";
    return 1;
  }
  if (options_.metrics_addr != "" && options_.metrics_addr != "off") {
    auto addr = ParseLoopbackAddr(options_.metrics_addr);
    if (!addr) {
      std::cerr << "Error: " << addr.error().message << "\n";
      return 1;
    }
    proxy_requests_ = std::make_unique<ProxyRequestMetrics>(options_.state_dir, options_.metrics_host_limit);
    http_ = std::make_unique<HttpEndpoint>([this] { return ReadyChecks(); },
                                           [this] { return metrics_.Render() + proxy_requests_->Render(); },
                                           [this] { return StatusPage(); });
    if (auto s = http_->Start(*addr); !s) {
      std::cerr << "Error: " << s.error().message << "\n";
      return 1;
    }
    spdlog::info("serving the status page, /livez /readyz /metrics on http://{}/", options_.metrics_addr);
  }
  if (auto w = notifier_.watchdog_interval()) next_watchdog_ = SteadyClock::now() + *w;
  StartHelpers();
  spdlog::info("ironward run: watching {} (state {})", files_label_, options_.state_dir);
  CheckDesiredFile(true, SteadyClock::now());

  std::array<epoll_event, 8> events{};
  while (!stop_) {
    auto now = SteadyClock::now();
    if (file_check_due_ && *file_check_due_ <= now) {
      const bool forced = file_check_forced_;
      file_check_due_.reset();
      file_check_forced_ = false;
      CheckDesiredFile(forced, now);
      if (forced && desired_) queue_.Add(kAllResources, "SIGHUP", now);
    }
    if (state_check_due_ && *state_check_due_ <= now) {
      state_check_due_.reset();
      std::string names;
      for (const auto& n : state_changes_) names += (names.empty() ? "" : ", ") + n;
      state_changes_.clear();
      spdlog::info("state directory changed: {}", names);
      queue_.Add(kAllResources, "state dir changed: " + names, now);
    }
    if (env_check_due_ && *env_check_due_ <= now) {
      env_check_due_.reset();
      spdlog::info("credentials.envFile {} changed", desired_ ? desired_->spec.credentials.env_file : "");
      queue_.ClearBackoff("secrets");  // a secret it lacked may be there now: no waiting out the back-off
      queue_.Add(kAllResources, "credentials.envFile changed", now);
    }
    if (desired_) {
      if (auto items = queue_.TakeDue(now); !items.empty()) RunPass(items, now);
    }
    now = SteadyClock::now();
    if (next_watchdog_ && *next_watchdog_ <= now) {
      notifier_.Watchdog();
      next_watchdog_ = now + *notifier_.watchdog_interval();
    }
    ArmTimer(now);
    const int n = ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), -1);
    if (n < 0 && errno != EINTR) {
      spdlog::error("epoll_wait: {}", std::strerror(errno));
      break;
    }
    now = SteadyClock::now();
    for (int i = 0; i < n; ++i) {
      const int fd = events[static_cast<std::size_t>(i)].data.fd;
      if (fd == signal_fd_) {
        HandleSignal();
      } else if (fd == timer_fd_) {
        std::uint64_t expirations = 0;
        [[maybe_unused]] const ssize_t r = ::read(timer_fd_, &expirations, sizeof(expirations));
      } else if (auto w = std::find_if(watches_.begin(), watches_.end(), [fd](const auto& x) { return x->fd() == fd; });
                 w != watches_.end()) {
        if ((*w)->Drain() && !file_check_due_) file_check_due_ = now + kFileDebounce;
      } else if (fd == state_watch_.fd() && state_watch_.ok()) {
        const auto changed = state_watch_.Drain();
        state_changes_.insert(changed.begin(), changed.end());
        if (!changed.empty() && !state_check_due_) state_check_due_ = now + kStateDebounce;
      } else if (env_watch_ && fd == env_watch_->fd()) {
        if (env_watch_->Drain() && !env_check_due_) env_check_due_ = now + kFileDebounce;
      } else if (fd == mailbox_.fd()) {
        HandleMailbox(now);
      } else if (fd == armed_pidfd_ && armed_pidfd_ >= 0) {
        spdlog::warn("iron-proxy (pid {}) exited; healing", proxy_.pid());
        ReapProxies();
        ::epoll_ctl(epoll_, EPOLL_CTL_DEL, armed_pidfd_, nullptr);
        proxy_.Disarm();
        armed_pidfd_ = -1;
        queue_.Add("daemon", "proxy exited", now);
      }
    }
  }
  notifier_.Stopping();
  docker_watch_.reset();
  policed_watch_.reset();
  if (harden_thread_.joinable()) harden_thread_.request_stop();
  if (http_) http_->Stop();
  spdlog::info("stopped");
  return 0;
}

}  // namespace

int RunDaemon(const RunOptions& options) {
  Daemon d(options);
  return d.Run();
}

}  // namespace ironward::run
