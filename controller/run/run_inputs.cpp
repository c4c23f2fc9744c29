// What `ironward run` reacts to besides its own timer: the desired-state files (accepted, or
// refused while the last good state keeps running), the credentials env file, Docker events and
// the harden survey (helper threads post those to the mailbox).
#include <array>
#include <atomic>
#include <condition_variable>
#include <filesystem>

#include <linux/netfilter.h>

#include <spdlog/spdlog.h>

#include "controller/harden/survey.h"
#include "controller/run/run_daemon.h"
#include "reconcilers/io/clock.h"
#include "reconcilers/network/firewall.h"
#include "state/encoding.h"
#include "state/spec/loader.h"

namespace ironward::run {
namespace {

using std::chrono::milliseconds;

/// The resources whose work goes through the Docker engine (their back-off ends when it is back).
constexpr std::array<const char*, 3> kDockerResources = {"network", "sandboxes", "enforcement"};
/// status.json "desired_refused" keeps at most this many diagnostics.
constexpr std::size_t kMaxRefusalErrors = 20;

}  // namespace

void Daemon::Refuse(const std::vector<spec::Diagnostic>& diagnostics, const std::string& digest) {
  nlohmann::json errors = nlohmann::json::array();
  for (const auto& e : diagnostics) {
    if (errors.size() < kMaxRefusalErrors) errors.push_back(e.ToString());
  }
  if (errors.empty()) errors.push_back(files_label_ + ": cannot be read");
  refusal_ = {{"time", FormatRfc3339(rt_.clock.Now())},
              {"path", options_.files.front()},
              {"paths", options_.files},
              {"file_sha256", digest},
              {"reason", "InvalidDesiredState"},
              {"message", desired_ ? "the file on disk is invalid; still running the last good desired state (sha256:" +
                                         ShortDigest(desired_->digest) + ")"
                                   : "the file on disk is invalid and there is no good desired state yet; nothing is "
                                     "being changed"},
              {"errors", errors}};
  spdlog::error("refusing {}: {} error(s); {}", files_label_, diagnostics.size(), refusal_["message"].get<std::string>());
  for (const auto& e : diagnostics) spdlog::error("  {}", e.ToString());
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
}

void Daemon::CheckDesiredFile(bool force, SteadyClock::time_point now) {
  const std::string digest = DesiredFilesDigest(options_.files);
  if (!force && digest == file_digest_) return;  // same bytes (touch, chmod, our own rewrite): nothing to do
  file_digest_ = digest;

  auto loaded = spec::LoadFiles(options_.files);
  if (!loaded.ok()) {
    Refuse(loaded.errors, digest);
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
  if (desired_ && changed) {
    spdlog::info("desired state changed: sha256:{} -> sha256:{}", ShortDigest(desired_->digest),
                 ShortDigest(next.digest));
  }
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
  EnsureNftWatch();
  WatchEnvFile(desired_->spec.credentials.env_file);
}

void Daemon::StartHelpers() {
  if (options_.harden_interval.count() <= 0) return;
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
  options.on_reconnected = [this] { mailbox_.Post({"docker-back", kEngineBackReason, nullptr}); };
  options.on_lost = [this](const std::string&) {
    mailbox_.Post({"docker", "the event stream broke (the Docker engine went away?)", nullptr});
  };
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

void Daemon::EnsureNftWatch() {
  const bool wanted = desired_ && desired_->spec.enforcement.network == spec::NetworkMode::kInternal;
  if (!wanted) {
    loop_.Remove(nft_source_);  // before the watch closes its socket
    nft_source_ = 0;
    nft_watch_.reset();
    return;
  }
  if (nft_watch_ || nft_watch_failed_) return;
  auto watch = NftTableWatch::Open(NFPROTO_INET, netfilter::kTableName);
  if (!watch) {
    nft_watch_failed_ = true;  // said once: the drift check still finds what it would have
    spdlog::warn("cannot follow nftables changes ({}); a table {} {} changed behind ironward's back is found by the "
                 "drift check (reconcile.interval)",
                 watch.error().message, netfilter::kTableFamily, netfilter::kTableName);
    return;
  }
  nft_watch_ = std::move(*watch);
  nft_source_ = loop_.AddInput(nft_watch_->fd(), [this] {
    if (!nft_watch_->Drain()) return;
    const auto now = SteadyClock::now();
    // A writer that keeps changing the table (a second ironward with network: internal on this
    // host, a firewall manager reloading in a loop) must not turn each change into a pass at once,
    // or the two would take turns for ever.
    nft_delay_ = RepeatedChangeDelay(nft_delay_, now - nft_last_, kNftMaxDelay);
    nft_last_ = now;
    const std::string what = std::string("nftables: table ") + netfilter::kTableFamily + " " + netfilter::kTableName +
                             " changed by another process";
    if (nft_delay_ >= std::chrono::seconds(8)) {
      spdlog::warn("{} again (another ironward with enforcement.network: internal on this host?); reloading it in {}s",
                   what, nft_delay_.count() / 1000);
    } else {
      spdlog::info("{}", what);
    }
    queue_.Add(kAllResources, what, now + kNftDebounce + nft_delay_);
    Schedule();
  });
}

void Daemon::HandleMailbox() {
  const auto now = SteadyClock::now();
  for (auto& m : mailbox_.Drain()) {
    if (m.kind == "docker") {
      spdlog::info("docker event: {}", m.text);
      queue_.Add(kAllResources, std::string(kDockerEventReason) + m.text, now + kDockerDebounce);
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

}  // namespace ironward::run
