#include "reconcilers/daemon/crash_state.h"

#include <nlohmann/json.hpp>

namespace ironward::daemon {
namespace {

nlohmann::json Time(const std::optional<SystemTime>& t) {
  return t ? nlohmann::json(FormatRfc3339(*t)) : nlohmann::json(nullptr);
}

std::optional<SystemTime> ParseTime(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_string()) return std::nullopt;
  SystemTime t;
  if (!ParseRfc3339(j[key].get<std::string>(), &t)) return std::nullopt;
  return t;
}

}  // namespace

std::chrono::seconds BackoffAfter(int consecutive, std::chrono::seconds max) {
  // The first crash of a series is restarted at once (a one-off kill or OOM should cost no more
  // than a start); from the second on the wait doubles from 1 s.
  if (consecutive <= 1) return std::chrono::seconds(0);
  if (consecutive > 13) return max;  // 2^12 s > 1 h, the largest maximum the loader accepts
  const auto d = std::chrono::seconds(1LL << (consecutive - 2));
  return d > max ? max : d;
}

CrashState RecordCrash(CrashState s, SystemTime now, std::string reason, std::string inputs_digest,
                       const CrashPolicy& policy, CrashCause cause) {
  if (!inputs_digest.empty() && !s.inputs_digest.empty() && inputs_digest != s.inputs_digest) {
    s.consecutive = 0;  // different binary/config/CA/secrets: a new series
    s.killed_by_signal = 0;
    s.exited = 0;
  }
  if (s.consecutive == 0) s.killed_by_signal = s.exited = 0;
  s.consecutive += 1;
  if (cause == CrashCause::kSignal) ++s.killed_by_signal;
  if (cause == CrashCause::kExit) ++s.exited;
  s.last_crash = now;
  s.backoff = s.consecutive >= policy.threshold ? policy.max_backoff : BackoffAfter(s.consecutive, policy.max_backoff);
  s.healthy_since.reset();
  s.last_reason = std::move(reason);
  s.inputs_digest = std::move(inputs_digest);
  return s;
}

CrashState RecordStarted(CrashState s, SystemTime now) {
  s.healthy_since = now;
  return s;
}

bool ResetDue(const CrashState& s, SystemTime now, bool healthy_now) {
  return healthy_now && s.consecutive > 0 && s.healthy_since && now - *s.healthy_since >= kHealthyReset;
}

CrashState Reset(CrashState s) {
  s.consecutive = 0;
  s.killed_by_signal = 0;
  s.exited = 0;
  s.backoff = std::chrono::seconds(0);
  s.last_crash.reset();
  s.last_reason.clear();
  return s;
}

std::chrono::seconds RemainingBackoff(const CrashState& s, SystemTime now) {
  if (s.consecutive == 0 || !s.last_crash) return std::chrono::seconds(0);
  const auto until = *s.last_crash + s.backoff;
  if (now >= until) return std::chrono::seconds(0);
  // Round up: never report 0 while still inside the window.
  return std::chrono::ceil<std::chrono::seconds>(until - now);
}

bool InCrashLoop(const CrashState& s, const std::string& current_inputs_digest, int threshold) {
  if (s.consecutive < threshold) return false;
  return current_inputs_digest.empty() || s.inputs_digest.empty() || current_inputs_digest == s.inputs_digest;
}

std::string SerializeCrashState(const CrashState& s) {
  nlohmann::json j = {{"version", 1},
                      {"consecutive_crashes", s.consecutive},
                      {"last_crash", Time(s.last_crash)},
                      {"backoff_seconds", s.backoff.count()},
                      {"healthy_since", Time(s.healthy_since)},
                      {"last_reason", s.last_reason},
                      {"inputs_digest", s.inputs_digest},
                      {"killed_by_signal", s.killed_by_signal},
                      {"exited", s.exited}};
  return j.dump(2) + "\n";
}

Result<CrashState> ParseCrashState(const std::string& text) {
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object() || j.value("version", 0) != 1) return Error::Terminal("daemon.json is not valid");
  try {
    CrashState s;
    s.consecutive = j.value("consecutive_crashes", 0);
    s.last_crash = ParseTime(j, "last_crash");
    s.backoff = std::chrono::seconds(j.value("backoff_seconds", 0));
    s.healthy_since = ParseTime(j, "healthy_since");
    s.last_reason = j.value("last_reason", "");
    s.inputs_digest = j.value("inputs_digest", "");
    s.killed_by_signal = j.value("killed_by_signal", 0);
    s.exited = j.value("exited", 0);
    if (s.consecutive < 0 || s.backoff.count() < 0) return Error::Terminal("daemon.json has negative counters");
    return s;
  } catch (const std::exception&) {
    return Error::Terminal("daemon.json has fields of the wrong type");
  }
}

std::string FormatDuration(std::chrono::seconds d) {
  const auto total = d.count();
  if (total < 60) return std::to_string(total) + "s";
  const auto m = total / 60;
  const auto s = total % 60;
  return std::to_string(m) + "m" + (s ? std::to_string(s) + "s" : "");
}

}  // namespace ironward::daemon
