// Waiting for an outcome in tests: poll a condition until it holds or a deadline passes. Tests wait
// for the state or the event they need this way, never with a fixed sleep (docs/development.md).
#pragma once

#include <chrono>
#include <thread>

namespace ironward::testing {

/// Polls `pred` every `every` until it holds or `timeout` passes; the last evaluation's answer.
/// The timeout only bounds a failing test: a passing one returns as soon as `pred` holds.
template <class Pred>
bool Eventually(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(20),
                std::chrono::milliseconds every = std::chrono::milliseconds(25)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(every);
  }
  return pred();
}

}  // namespace ironward::testing
