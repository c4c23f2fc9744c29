#include "controller/run/proxy_metrics.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <sstream>
#include <vector>

#include "controller/audit/summary.h"
#include "controller/run/metrics.h"

namespace ironward::run {
namespace {

constexpr const char* kOtherHost = "other";
/// Label values of `action` iron-proxy 0.39 writes; anything else counts as "unknown".
constexpr std::array<const char*, 5> kActions = {"allow", "reject", "error", "stub", "client_cancel"};
/// Always exposed for host="other" (0 until something counts there), so rules over
/// ironward_proxy_requests_total{action="reject"} have a series from the first scrape.
constexpr std::array<const char*, 3> kBaseActions = {"allow", "reject", "error"};
/// Hosts remembered for "first seen"; beyond this many, an unknown host always counts as new
/// (a flood of random names must not grow the daemon without bound).
constexpr std::size_t kMaxKnownHosts = 100000;

std::string ActionLabel(const std::string& action) {
  for (const char* a : kActions) {
    if (action == a) return action;
  }
  return "unknown";
}

}  // namespace

ProxyRequestMetrics::ProxyRequestMetrics(std::string state_dir, std::size_t host_limit)
    : state_dir_(std::move(state_dir)), host_limit_(host_limit), tail_(state_dir_) {}

void ProxyRequestMetrics::Count(const audit::Record& r) {
  const std::string host = audit::HostName(r);
  if (!host.empty() && known_.count(host) == 0) {
    ++hosts_seen_;
    if (known_.size() < kMaxKnownHosts) known_.insert(host);
  }
  std::string label = kOtherHost;
  if (!host.empty() && (labelled_.count(host) != 0 || labelled_.size() < host_limit_)) {
    labelled_.insert(host);
    label = host;
  }
  ++requests_[{label, ActionLabel(r.action)}];
}

void ProxyRequestMetrics::KeepIfRejected(const audit::Record& r) {
  if (r.action != "reject" || !r.time) return;  // a record without a time is in no window
  recent_rejects_.push_back(r);
  if (recent_rejects_.size() > kMaxRecentRejects) {
    dropped_until_ = recent_rejects_.front().time;
    recent_rejects_.pop_front();
  }
}

RejectedHosts ProxyRequestMetrics::TopRejected(SystemTime now, std::chrono::seconds window, std::size_t limit) {
  std::lock_guard lock(mu_);
  PollLocked();
  audit::Filter filter;
  filter.since = now - window;
  filter.denied_only = true;
  // Older than any window asked for: no longer needed (the log is in time order).
  while (!recent_rejects_.empty() && !filter.Matches(recent_rejects_.front())) recent_rejects_.pop_front();
  audit::Summary summary;
  RejectedHosts out;
  for (const auto& r : recent_rejects_) {
    if (!filter.Matches(r) || *r.time > now) continue;
    summary.Add(r);
    ++out.records;
  }
  out.hosts = summary.Hosts();
  out.host_count = out.hosts.size();
  if (out.hosts.size() > limit) out.hosts.resize(limit);
  if (dropped_until_ && *dropped_until_ >= *filter.since && !recent_rejects_.empty()) {
    out.complete_since = recent_rejects_.front().time;
  }
  return out;
}

void ProxyRequestMetrics::PollLocked() {
  auto report = [this](const Error& e) {
    if (e.message != last_error_) spdlog::warn("proxy request metrics: {}", e.message);
    last_error_ = e.message;
  };
  if (!started_) {
    if (auto s = tail_.Start(audit::LogTail::From::kOldest); !s) return report(s.error());
    started_ = true;
  }
  audit::ReadStats stats;
  auto polled = tail_.Poll([&](std::string_view line) {
    audit::ReadLine(line, &stats, [&](const audit::Record& r) {
      KeepIfRejected(r);
      if (primed_) {
        Count(r);
      } else {
        ++seed_[audit::HostName(r)];
      }
    });
  });
  if (!polled) return report(polled.error());
  last_error_.clear();
  if (primed_) return;
  // What the retained logs hold is history: known hosts, and the busiest get label values first.
  primed_ = true;
  std::vector<std::pair<std::string, std::uint64_t>> ranked(seed_.begin(), seed_.end());
  std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  for (const auto& [host, n] : ranked) {
    if (host.empty()) continue;
    if (known_.size() < kMaxKnownHosts) known_.insert(host);
    if (labelled_.size() < host_limit_) labelled_.insert(host);
  }
  seed_.clear();
}

void ProxyRequestMetrics::Poll() {
  std::lock_guard lock(mu_);
  PollLocked();
}

std::string ProxyRequestMetrics::Render() {
  std::lock_guard lock(mu_);
  PollLocked();
  auto counts = requests_;
  for (const char* a : kBaseActions) counts.try_emplace({kOtherHost, a}, 0);
  std::ostringstream o;
  o << "# HELP ironward_proxy_requests_total Requests iron-proxy decided on (its request records in "
       "iron-proxy.log) by host and action, since ironward run started; hosts beyond the label limit count "
       "as host=\"other\".\n"
       "# TYPE ironward_proxy_requests_total counter\n";
  for (const auto& [key, n] : counts) {
    o << "ironward_proxy_requests_total{host=\"" << EscapeLabel(key.first) << "\",action=\"" << EscapeLabel(key.second)
      << "\"} " << n << "\n";
  }
  o << "# HELP ironward_proxy_hosts_seen_total Hosts requested for the first time: in no retained proxy log "
       "when ironward run started, nor since.\n"
       "# TYPE ironward_proxy_hosts_seen_total counter\n"
       "ironward_proxy_hosts_seen_total "
    << hosts_seen_ << "\n";
  return o.str();
}

}  // namespace ironward::run
