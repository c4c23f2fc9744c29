// Clock seam: every reconciler and queue takes time from here, so tests can step it.
#pragma once

#include <chrono>
#include <string>

namespace ironward {

using SystemTime = std::chrono::system_clock::time_point;
using SteadyTime = std::chrono::steady_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual SystemTime Now() const = 0;          ///< wall clock (certificates, status times)
  virtual SteadyTime Monotonic() const = 0;    ///< for timeouts and back-off
};

class RealClock final : public Clock {
 public:
  SystemTime Now() const override { return std::chrono::system_clock::now(); }
  SteadyTime Monotonic() const override { return std::chrono::steady_clock::now(); }
};

/// RFC 3339 UTC with second precision: "2026-11-23T04:45:14Z".
std::string FormatRfc3339(SystemTime t);
/// Parses the format above (and fractional seconds / "+00:00"); false on failure.
bool ParseRfc3339(const std::string& text, SystemTime* out);

}  // namespace ironward
