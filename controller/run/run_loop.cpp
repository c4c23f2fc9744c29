#include "controller/run/run_loop.h"

#include <sys/prctl.h>
#include <unistd.h>

#include <csignal>
#include <cstring>
#include <iostream>

#include <spdlog/spdlog.h>

#include "controller/run/run_daemon.h"
#include "controller/live_status.h"
#include "state/encoding.h"

namespace ironward::run {
Daemon::Daemon(RunOptions options)
    : options_(std::move(options)),
      writer_(options_.state_dir),
      exits_(std::make_shared<daemon::ExitLedger>()),
      engine_(MakeReconcilers(exits_)),
      files_label_(FilesLabel(options_.files)),
      state_watch_(options_.state_dir),
      rng_(std::random_device{}()) {}

bool Daemon::SetUpSources() {
  sigset_t mask;
  sigemptyset(&mask);
  for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGCHLD}) sigaddset(&mask, sig);  // SIGCHLD: see Run (subreaper)
  // Blocked before any helper thread starts, so they inherit the mask and only the loop sees them.
  ::pthread_sigmask(SIG_BLOCK, &mask, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  if (auto s = loop_.AddSignals({SIGTERM, SIGINT, SIGHUP, SIGCHLD}, [this](int sig) { OnSignal(sig); }); !s) {
    std::cerr << "Error: setting up the event loop: " << s.error().message << "\n";
    return false;
  }
  loop_.OnTimer([this] { Step(); });
  bool ok = true;
  for (const auto& f : options_.files) {
    watches_.push_back(std::make_unique<FileWatch>(f));
    FileWatch* w = watches_.back().get();
    ok = ok && w->ok() && loop_.AddInput(w->fd(), [this, w] {
      NoteFileEvent(w->Drain(), &file_check_due_);
      Schedule();
    }) != 0;
  }
  ok = ok && mailbox_.fd() >= 0 && loop_.AddInput(mailbox_.fd(), [this] {
    HandleMailbox();
    Schedule();
  }) != 0;
  if (!ok) {
    std::cerr << "Error: setting up the event loop (inotify on " << files_label_
              << "): " << std::strerror(errno) << "\n";
    return false;
  }
  if (!state_watch_.ok() || loop_.AddInput(state_watch_.fd(), [this] {
        NoteStateChanges(state_watch_.Drain());
        Schedule();
      }) == 0) {
    spdlog::warn("cannot watch {} (inotify: {}); changes there are healed at the drift check", options_.state_dir,
                 std::strerror(errno));
  }
  return true;
}

void Daemon::NoteStateChanges(const std::vector<std::string>& names) {
  state_changes_.insert(names.begin(), names.end());
  if (!names.empty() && !state_check_due_) state_check_due_ = SteadyClock::now() + kStateDebounce;
}

void Daemon::NoteFileEvent(FileWatch::Seen seen, std::optional<SteadyClock::time_point>* due) {
  const auto now = SteadyClock::now();
  if (seen == FileWatch::Seen::kSettled) {
    *due = now;  // closed or renamed into place: whole now, no reason to wait
  } else if (seen == FileWatch::Seen::kChanging && !*due) {
    *due = now + kFileDebounce;
  }
}

void Daemon::WatchEnvFile(const std::string& path) {
  const std::string watched = env_watch_ ? env_watch_->path() : "";
  if (path == watched) return;
  loop_.Remove(env_source_);
  env_source_ = 0;
  env_watch_.reset();
  if (path.empty()) return;
  env_watch_ = std::make_unique<FileWatch>(path);
  if (env_watch_->ok()) {
    env_source_ = loop_.AddInput(env_watch_->fd(), [this] {
      NoteFileEvent(env_watch_->Drain(), &env_check_due_);
      Schedule();
    });
  }
  if (env_source_ == 0) {
    spdlog::warn("cannot watch credentials.envFile {} (inotify: {}); a change there is picked up at the next retry",
                 path, std::strerror(errno));
  }
}

void Daemon::UpdatePidfdWatch() {
  proxy_.Arm(writer_);
  if (proxy_.fd() == armed_pidfd_) return;
  loop_.Remove(pidfd_source_);
  pidfd_source_ = 0;
  armed_pidfd_ = proxy_.fd();
  if (armed_pidfd_ >= 0) pidfd_source_ = loop_.AddInput(armed_pidfd_, [this] { ProxyExited(); });
}

void Daemon::ProxyExited() {
  spdlog::warn("iron-proxy (pid {}) exited; healing", proxy_.pid());
  ReapProxies();
  loop_.Remove(pidfd_source_);  // before Disarm closes the pidfd
  pidfd_source_ = 0;
  proxy_.Disarm();
  armed_pidfd_ = -1;
  queue_.Add("daemon", "proxy exited", SteadyClock::now());
  Schedule();
}

void Daemon::OnSignal(int signo) {
  if (signo == SIGCHLD) {
    for (const pid_t pid : ReapProxies()) {
      if (armed_pidfd_ >= 0 && pid == proxy_.pid()) continue;  // its pidfd reports it (ProxyExited)
      // Died before the pidfd was armed (between the pass that started it and the arming, or
      // while the identity check could no longer see it): nothing else would heal it before
      // the drift check.
      spdlog::warn("iron-proxy (pid {}) exited while unwatched; healing", pid);
      queue_.Add("daemon", "proxy exited", SteadyClock::now());
    }
    Schedule();
  } else if (signo == SIGHUP) {
    spdlog::info("SIGHUP: re-reading {} and forcing a pass", files_label_);
    queue_.ClearHolds();
    file_check_due_ = SteadyClock::now();
    file_check_forced_ = true;
    Schedule();
  } else {
    spdlog::info("{}: stopping (the proxy keeps running)", signo == SIGTERM ? "SIGTERM" : "SIGINT");
    loop_.Exit(0);
  }
}

void Daemon::Step() {
  auto now = SteadyClock::now();
  if (file_check_due_ && *file_check_due_ <= now) {
    const bool forced = file_check_forced_;
    file_check_due_.reset();
    file_check_forced_ = false;
    CheckDesiredFile(forced, now);
    if (forced && desired_) queue_.Add(kAllResources, kSighupReason, now);
  }
  if (state_check_due_ && *state_check_due_ <= now) {
    state_check_due_.reset();
    const std::string names = Join(state_changes_);
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
  Schedule();
}

void Daemon::Schedule() {
  // Without a good desired state queued work cannot run: do not wake up for it.
  std::optional<SteadyClock::time_point> next = desired_ ? queue_.NextDue() : std::nullopt;
  for (const auto& t : {file_check_due_, state_check_due_, env_check_due_}) {
    if (t && (!next || *t < *next)) next = t;
  }
  if (auto s = loop_.SetTimer(next); !s) spdlog::error("{}", s.error().message);
}

int Daemon::Run() {
  // The proxies this process starts (double fork, detached) are re-parented to it instead of
  // init, so it can reap them and tell "killed by SIGKILL" from "exited with code 1". They still
  // outlive it: when it exits they go to init as before.
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
    spdlog::warn("prctl(PR_SET_CHILD_SUBREAPER): {}; proxy crashes are counted without their cause",
                 std::strerror(errno));
  }
  if (!SetUpSources()) return 1;
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
  loop_.EnableWatchdog();
  StartHelpers();
  spdlog::info("ironward run: watching {} (state {})", files_label_, options_.state_dir);
  CheckDesiredFile(true, SteadyClock::now());
  Schedule();
  const int r = loop_.Loop();
  if (r < 0) spdlog::error("event loop: {}", std::strerror(-r));
  notifier_.Stopping();
  docker_watch_.reset();
  policed_watch_.reset();
  if (harden_thread_.joinable()) harden_thread_.request_stop();
  if (http_) http_->Stop();
  spdlog::info("stopped");
  return r < 0 ? 1 : 0;
}

int RunDaemon(const RunOptions& options) {
  Daemon d(options);
  return d.Run();
}

}  // namespace ironward::run
