// A settable Clock for tests: time only moves when the test says so.
#pragma once

#include <chrono>

#include "reconcilers/io/clock.h"

namespace ironward {

class FakeClock final : public Clock {
 public:
  /// Starts at 2026-01-01T00:00:00Z unless told otherwise.
  explicit FakeClock(SystemTime now = std::chrono::sys_days{std::chrono::year{2026} / 1 / 1})
      : now_(now), monotonic_() {}

  SystemTime Now() const override { return now_; }
  SteadyTime Monotonic() const override { return monotonic_; }

  /// Sets the wall clock (the monotonic clock is left alone; it never goes back).
  void Set(SystemTime now) { now_ = now; }
  /// Moves both clocks forward.
  template <class Rep, class Period>
  void Advance(std::chrono::duration<Rep, Period> d) {
    now_ += std::chrono::duration_cast<SystemTime::duration>(d);
    monotonic_ += std::chrono::duration_cast<SteadyTime::duration>(d);
  }

 private:
  SystemTime now_;
  SteadyTime monotonic_;
};

}  // namespace ironward
