// What `ironward run` tells others: its extras in status.json, the /readyz checks and the status
// page (both served from the HTTP thread, hence health_mu_).
#include <unistd.h>

#include "controller/live_status.h"
#include "controller/run/run_daemon.h"
#include "controller/run/status_page.h"
#include "state/lock.h"

namespace ironward::run {
namespace {

/// The status page's "rejected hosts" window and length.
constexpr std::chrono::hours kRejectedWindow{1};
constexpr std::size_t kRejectedHostsShown = 20;

}  // namespace

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

}  // namespace ironward::run
