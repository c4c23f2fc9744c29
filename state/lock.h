// The single-writer lock: flock(LOCK_EX) on <state-dir>/ironward.lock. A one-shot reconcile,
// `apply` and the `run` daemon all take it before changing anything; dry runs do not.
#pragma once

#include <chrono>
#include <string>

#include "state/result.h"
#include "state/state_dir.h"

namespace ironward::state {

class WriterLock {
 public:
  WriterLock(WriterLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;
  WriterLock& operator=(WriterLock&&) = delete;
  ~WriterLock();

  /// Waits up to `wait` for the lock. On timeout the error names the holder's pid.
  static Result<WriterLock> Acquire(StateWriter& writer, std::chrono::milliseconds wait);

 private:
  explicit WriterLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace ironward::state
