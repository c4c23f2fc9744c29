// When to fetch from Bitwarden next. Pure logic over an injected clock (Monotonic()):
//   * after a success: refresh_interval ± jitter (10%), so many controllers do not align;
//   * after a transient failure n (1, 2, ...): retry_interval * 2^(n-1), capped at
//     refresh_interval, and never earlier than the server's Retry-After (capped at
//     max_retry_after);
//   * after a terminal failure: stopped (Due() stays false) until Reset(), which the controller
//     calls when the desired state or the access token changes.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "reconcilers/io/clock.h"
#include "state/result.h"

namespace ironward::bw {

struct RefreshPolicy {
  std::chrono::seconds refresh_interval{3600};
  std::chrono::seconds retry_interval{30};
  double jitter = 0.10;  ///< fraction of refresh_interval, both ways
  std::chrono::seconds max_retry_after{24 * 3600};
};

class RefreshSchedule {
 public:
  /// Uniform in [0, 1); the default draws from a seeded std::mt19937_64.
  using Random = std::function<double()>;

  RefreshSchedule(const Clock& clock, RefreshPolicy policy, Random random = {});

  /// True when a fetch should start now (a new schedule is due at once).
  bool Due() const;
  /// Next attempt time; nullopt while stopped.
  std::optional<SteadyTime> next_attempt() const;
  /// Time left until the next attempt (zero when due); nullopt while stopped.
  std::optional<std::chrono::nanoseconds> TimeUntilNext() const;

  void OnSuccess();
  /// Transient errors back off; kTerminal / kInvalidSpec stop the schedule.
  void OnFailure(const Error& error, std::optional<std::chrono::seconds> retry_after = std::nullopt);
  /// Due now, back-off cleared, no longer stopped.
  void Reset();

  bool stopped() const { return stopped_; }
  int consecutive_failures() const { return failures_; }
  /// The terminal error's message while stopped.
  const std::string& stop_reason() const { return stop_reason_; }
  const RefreshPolicy& policy() const { return policy_; }

 private:
  std::chrono::nanoseconds Backoff() const;

  const Clock& clock_;
  RefreshPolicy policy_;
  Random random_;
  SteadyTime next_;
  bool stopped_ = false;
  int failures_ = 0;
  std::string stop_reason_;
};

}  // namespace ironward::bw
