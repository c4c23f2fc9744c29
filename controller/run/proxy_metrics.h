// Prometheus counters of iron-proxy's request records under `ironward run`:
//   ironward_proxy_requests_total{host, action}   one per record (action: allow | reject | error |
//                                                 stub | client_cancel | unknown)
//   ironward_proxy_hosts_seen_total               hosts never seen before (not in the retained
//                                                 logs at start-up, nor since)
// read incrementally from iron-proxy.log with the same parser and rotation-aware reader as
// `ironward audit` (controller/audit/): each Poll reads only what was appended since the last.
//
// Host cardinality is capped at `host_limit` label values plus "other". The first Poll reads the
// retained logs (rotated copies included) without counting them: the hosts there are known (not
// "new"), and the `host_limit` busiest of them get their label value first. Later hosts get one
// while any is left; every other host counts under host="other". A host keeps its label value
// for the life of the process, so every series is a true counter (never moves, never drops).
// The same records feed the status page's "rejected in the last hour": the latest
// kMaxRecentRejects reject records (retained logs included) are kept, and TopRejected summarises
// a window of them with `ironward audit`'s Filter and Summary.
// Thread-safe: the run loop polls before each pass, the HTTP thread on every scrape.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "controller/audit/log_tail.h"
#include "controller/audit/audit_record.h"
#include "controller/audit/summary.h"

namespace ironward::run {

inline constexpr std::size_t kDefaultProxyHostLimit = 50;
/// Reject records kept for TopRejected; an agent looping on a refused host must not grow the
/// daemon without bound (then the window is shorter than asked, and says so).
inline constexpr std::size_t kMaxRecentRejects = 20000;

/// The hosts iron-proxy rejected in a window, as `ironward audit --denied --since` counts them.
struct RejectedHosts {
  std::vector<audit::HostStats> hosts;  ///< most rejected first, at most the limit asked for
  std::size_t host_count = 0;           ///< distinct hosts in the window (before the limit)
  std::uint64_t records = 0;            ///< reject records in the window
  /// Set when older rejects of the window were dropped (kMaxRecentRejects): counts start here.
  std::optional<SystemTime> complete_since;
};

class ProxyRequestMetrics {
 public:
  ProxyRequestMetrics(std::string state_dir, std::size_t host_limit);

  /// Reads the records appended since the last call (the first call primes from the retained logs).
  void Poll();
  /// Poll, then the exposition text of both metrics.
  std::string Render();
  /// Poll, then the hosts rejected in [now - window, now], at most `limit` of them.
  RejectedHosts TopRejected(SystemTime now, std::chrono::seconds window, std::size_t limit);

 private:
  void Count(const audit::Record& r);
  void KeepIfRejected(const audit::Record& r);
  void PollLocked();

  std::mutex mu_;
  std::string state_dir_;
  std::size_t host_limit_;
  audit::LogTail tail_;
  bool started_ = false;
  bool primed_ = false;
  std::string last_error_;                  ///< logged once per distinct message
  std::map<std::string, std::uint64_t> seed_;  ///< host → records in the retained logs (priming only)
  std::set<std::string> known_;             ///< every host seen
  std::set<std::string> labelled_;          ///< hosts with their own label value
  std::map<std::pair<std::string, std::string>, std::uint64_t> requests_;  ///< (host label, action)
  std::uint64_t hosts_seen_ = 0;
  std::deque<audit::Record> recent_rejects_;  ///< oldest first, at most kMaxRecentRejects
  std::optional<SystemTime> dropped_until_;   ///< time of the newest reject dropped for the cap
};

}  // namespace ironward::run
