#include "reconcilers/bitwarden/refresh_schedule.h"

#include <algorithm>
#include <memory>
#include <random>

namespace ironward::bw {
namespace {

using std::chrono::nanoseconds;
using std::chrono::seconds;

RefreshPolicy Sanitize(RefreshPolicy p) {
  p.refresh_interval = std::max(p.refresh_interval, seconds(1));
  p.retry_interval = std::clamp(p.retry_interval, seconds(1), p.refresh_interval);
  p.jitter = std::clamp(p.jitter, 0.0, 0.5);
  p.max_retry_after = std::max(p.max_retry_after, seconds(0));
  return p;
}

RefreshSchedule::Random DefaultRandom() {
  auto engine = std::make_shared<std::mt19937_64>(std::random_device{}());
  return [engine] { return std::uniform_real_distribution<double>(0.0, 1.0)(*engine); };
}

}  // namespace

RefreshSchedule::RefreshSchedule(const Clock& clock, RefreshPolicy policy, Random random)
    : clock_(clock),
      policy_(Sanitize(policy)),
      random_(random ? std::move(random) : DefaultRandom()),
      next_(clock.Monotonic()) {}

bool RefreshSchedule::Due() const { return !stopped_ && clock_.Monotonic() >= next_; }

std::optional<SteadyTime> RefreshSchedule::next_attempt() const {
  if (stopped_) return std::nullopt;
  return next_;
}

std::optional<nanoseconds> RefreshSchedule::TimeUntilNext() const {
  if (stopped_) return std::nullopt;
  return std::max(nanoseconds(0), std::chrono::duration_cast<nanoseconds>(next_ - clock_.Monotonic()));
}

void RefreshSchedule::OnSuccess() {
  failures_ = 0;
  const double r = std::clamp(random_(), 0.0, 1.0);
  const double factor = 1.0 + policy_.jitter * (2.0 * r - 1.0);
  const auto base = std::chrono::duration_cast<nanoseconds>(policy_.refresh_interval);
  next_ = clock_.Monotonic() + nanoseconds(static_cast<nanoseconds::rep>(static_cast<double>(base.count()) * factor));
}

nanoseconds RefreshSchedule::Backoff() const {
  const nanoseconds cap = policy_.refresh_interval;
  nanoseconds delay = policy_.retry_interval;
  for (int i = 1; i < failures_ && delay < cap; ++i) delay *= 2;
  return std::min(delay, cap);
}

void RefreshSchedule::OnFailure(const Error& error, std::optional<seconds> retry_after) {
  if (error.terminal()) {
    stopped_ = true;
    stop_reason_ = error.message;
    return;
  }
  ++failures_;
  nanoseconds delay = Backoff();
  if (retry_after) delay = std::max<nanoseconds>(delay, std::clamp(*retry_after, seconds(0), policy_.max_retry_after));
  next_ = clock_.Monotonic() + delay;
}

void RefreshSchedule::Reset() {
  stopped_ = false;
  stop_reason_.clear();
  failures_ = 0;
  next_ = clock_.Monotonic();
}

}  // namespace ironward::bw
