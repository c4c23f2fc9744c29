#include "controller/run/work_queue.h"

#include <unistd.h>

#include <algorithm>

namespace ironward::run {

WorkQueue::WorkQueue(std::chrono::milliseconds base_backoff, std::chrono::milliseconds max_backoff)
    : base_(base_backoff), max_(max_backoff) {}

void WorkQueue::Add(const std::string& resource, const std::string& reason, SteadyPoint due) {
  auto [it, inserted] = items_.try_emplace(resource, WorkItem{resource, due, {}});
  if (!inserted) it->second.due = std::min(it->second.due, due);
  it->second.reasons.insert(reason);
}

std::optional<SteadyPoint> WorkQueue::NextDue() const {
  std::optional<SteadyPoint> next;
  for (const auto& [name, item] : items_) {
    if (!next || item.due < *next) next = item.due;
  }
  return next;
}

std::vector<WorkItem> WorkQueue::TakeDue(SteadyPoint now) {
  std::vector<WorkItem> out;
  for (auto it = items_.begin(); it != items_.end();) {
    if (it->second.due <= now) {
      out.push_back(std::move(it->second));
      it = items_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

std::chrono::milliseconds WorkQueue::BackoffAfter(int failures) const {
  std::chrono::milliseconds d = base_;
  for (int i = 1; i < failures && d < max_; ++i) d *= 2;
  return std::min(d, max_);
}

int WorkQueue::Failures(const std::string& resource) const {
  auto it = holds_.find(resource);
  return it == holds_.end() ? 0 : it->second.failures;
}

void WorkQueue::Record(const std::string& resource, ResultKind kind, std::chrono::milliseconds after,
                       const std::string& desired_digest, SteadyPoint now) {
  switch (kind) {
    case ResultKind::kSuccess:
      holds_.erase(resource);
      // A successful resource may still ask to be looked at later (e.g. a secret refresh schedule).
      if (after.count() > 0) Add(resource, "scheduled refresh", now + after);
      break;
    case ResultKind::kNotApplied: {
      // Skipped (dependency, suspend, held): nothing learnt. A resource still inside its back-off
      // window (an earlier pass merged its retry entry) is queued again for the window's end.
      auto it = holds_.find(resource);
      if (it != holds_.end() && it->second.until && *it->second.until > now) {
        Add(resource, "retry after failure", *it->second.until);
      }
      break;
    }
    case ResultKind::kRequeueAfter: {
      // Not a failure: the resource asked to be looked at again later. Its back-off (if any) stays.
      Add(resource, "requeue requested", now + std::max(after, std::chrono::milliseconds(0)));
      break;
    }
    case ResultKind::kRetry: {
      Hold& h = holds_[resource];
      h.terminal_digest.reset();
      ++h.failures;
      // A resource that knows when its next attempt is due (a Retry with `after`: the Bitwarden
      // retry schedule and its Retry-After, the proxy's crash back-off) is retried then, not on
      // the loop's own doubling, which would come later than the resource's schedule.
      h.until = now + (after.count() > 0 ? after : BackoffAfter(h.failures));
      Add(resource, "retry after failure", *h.until);
      break;
    }
    case ResultKind::kTerminal: {
      Hold& h = holds_[resource];
      ++h.failures;
      h.until.reset();
      h.terminal_digest = desired_digest;
      break;
    }
  }
}

std::map<std::string, std::string, std::less<>> WorkQueue::Holds(SteadyPoint now,
                                                                  const std::string& desired_digest) const {
  std::map<std::string, std::string, std::less<>> out;
  for (const auto& [name, h] : holds_) {
    if (h.terminal_digest && *h.terminal_digest == desired_digest) {
      // Names the command that releases it: nothing is retried until one of these.
      out[name] = "Held: terminal error; fix the cause, then edit the desired-state file or release it with "
                  "`systemctl reload ironward` (or `kill -HUP " + std::to_string(::getpid()) + "`)";
    } else if (h.until && *h.until > now) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*h.until - now);
      out[name] = "Held: backing off after " + std::to_string(h.failures) + " failure(s); next attempt in " +
                  std::to_string((left.count() + 999) / 1000) + "s";
    }
  }
  return out;
}

void WorkQueue::ClearHolds() {
  for (auto& [name, h] : holds_) {
    h.until.reset();
    h.terminal_digest.reset();
  }
}

void WorkQueue::ClearBackoff(const std::string& resource) {
  if (auto it = holds_.find(resource); it != holds_.end()) it->second.until.reset();
}

std::chrono::milliseconds RepeatedChangeDelay(std::chrono::milliseconds previous,
                                              std::chrono::steady_clock::duration since_last,
                                              std::chrono::milliseconds max) {
  if (since_last >= std::chrono::minutes(1)) return std::chrono::milliseconds(0);
  return std::min(std::max(previous * 2, std::chrono::milliseconds(1000)), max);
}

bool NeedsFullDriftCheck(const std::set<std::string>& reasons, bool first_pass) {
  if (first_pass) return true;
  const std::string update = std::string(kDockerEventReason) + "container update ";
  const std::string create = std::string(kDockerEventReason) + "container create ";
  for (const std::string& r : reasons) {
    if (r == kDriftCheckReason || r == kSighupReason || r == kEngineBackReason) return true;
    if (r.rfind(update, 0) == 0 || r.rfind(create, 0) == 0) return true;
  }
  return false;
}

std::chrono::milliseconds Jittered(std::chrono::milliseconds interval, double unit) {
  unit = std::clamp(unit, 0.0, 1.0);
  const double factor = 0.9 + 0.2 * unit;
  return std::chrono::milliseconds(static_cast<std::int64_t>(static_cast<double>(interval.count()) * factor));
}

}  // namespace ironward::run
