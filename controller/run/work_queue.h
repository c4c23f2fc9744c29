// The run loop's work queue: which resources want a pass, when, and which are held back.
//
//  * Add() dedups by resource: one entry per resource keeps the earliest due time and the union
//    of the reasons, so a burst of events (an editor's three writes, ten Docker events) is one pass.
//  * Per-resource back-off after a Retry outcome: 1 s doubling, capped (default 5 min), reset on
//    the first success; a Retry that sets Outcome::after (the resource's own schedule, e.g.
//    Bitwarden's retry back-off with Retry-After) is held exactly that long instead. While backing
//    off the resource is planned but not applied (held).
//  * A Terminal outcome holds the resource until the desired-state digest changes.
//  * RequeueAfter schedules the resource again without counting a failure (e.g. CA rotation
//    phases, the proxy's crash back-off window); so does a success that sets Outcome::after
//    (a refresh schedule).
// Pure logic over steady-clock time points; no threads, no I/O.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace ironward::run {

using SteadyPoint = std::chrono::steady_clock::time_point;

/// Queue key meaning "every resource" (desired-state change, drift check, SIGHUP).
inline constexpr const char* kAllResources = "*";

/// Reasons a pass is queued for, where one decides what the pass checks (NeedsFullDriftCheck).
inline constexpr const char* kDriftCheckReason = "drift check";
inline constexpr const char* kSighupReason = "SIGHUP";
inline constexpr const char* kEngineBackReason = "the Docker engine answers again";
inline constexpr const char* kDockerEventReason = "docker event: ";  ///< + "container update NAME", ...

struct WorkItem {
  std::string resource;
  SteadyPoint due;
  std::set<std::string> reasons;  ///< "desired-state changed", "proxy exited", ...
};

/// What the last apply of a resource said, in the queue's terms.
enum class ResultKind { kSuccess, kRequeueAfter, kRetry, kTerminal, kNotApplied };

class WorkQueue {
 public:
  explicit WorkQueue(std::chrono::milliseconds base_backoff = std::chrono::seconds(1),
                     std::chrono::milliseconds max_backoff = std::chrono::minutes(5));

  /// Adds (or merges into) the resource's entry; an earlier `due` wins.
  void Add(const std::string& resource, const std::string& reason, SteadyPoint due);
  /// Earliest due time of any entry.
  std::optional<SteadyPoint> NextDue() const;
  /// Removes and returns every entry due at `now` (empty when none).
  std::vector<WorkItem> TakeDue(SteadyPoint now);
  std::size_t size() const { return items_.size(); }

  /// Feeds one resource's result back. `after` is the RequeueAfter delay (for a Retry, when > 0,
  /// the back-off window instead of BackoffAfter); `desired_digest` is
  /// the digest of the desired state the pass ran with (terminal holds wait for another one).
  void Record(const std::string& resource, ResultKind kind, std::chrono::milliseconds after,
              const std::string& desired_digest, SteadyPoint now);

  /// Resources to hold this pass, with a "Held: ..." reason for each: back-off windows not yet
  /// over, terminal errors whose desired digest has not changed.
  std::map<std::string, std::string, std::less<>> Holds(SteadyPoint now, const std::string& desired_digest) const;
  /// A forced run (SIGHUP): forget every back-off window and terminal hold.
  void ClearHolds();
  /// An outside cause of failure is gone (the Docker engine answers again): end the back-off
  /// window of `resource` now. Terminal holds stay.
  void ClearBackoff(const std::string& resource);

  /// Back-off after the n-th consecutive failure (n >= 1).
  std::chrono::milliseconds BackoffAfter(int failures) const;
  int Failures(const std::string& resource) const;

 private:
  struct Hold {
    int failures = 0;
    std::optional<SteadyPoint> until;           ///< back-off window end
    std::optional<std::string> terminal_digest;  ///< held until the desired digest differs
  };
  std::chrono::milliseconds base_;
  std::chrono::milliseconds max_;
  std::map<std::string, WorkItem> items_;
  std::map<std::string, Hold> holds_;
};

/// Whether a pass queued for `reasons` checks everything (DriftCheck::kFull: every sandbox
/// inspected) rather than trusting what container list entries prove (kListed): the first pass,
/// the periodic drift check, SIGHUP, the engine answering again, and a container event whose
/// effect a list entry cannot show: `update` (limits, restart policy changed with docker update)
/// and `create` (a container made outside ironward, possibly with copied labels).
bool NeedsFullDriftCheck(const std::set<std::string>& reasons, bool first_pass);

/// How long to wait before acting on a change another writer made, when such changes keep coming
/// (two controllers taking turns must not loop): none after a quiet minute, else 1 s, doubling
/// from `previous` up to `max`.
std::chrono::milliseconds RepeatedChangeDelay(std::chrono::milliseconds previous,
                                              std::chrono::steady_clock::duration since_last,
                                              std::chrono::milliseconds max);

/// `interval` +/- up to 10 % (a fleet's drift checks do not line up); `unit` in [0,1).
std::chrono::milliseconds Jittered(std::chrono::milliseconds interval, double unit);

}  // namespace ironward::run
