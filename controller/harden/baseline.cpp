#include "controller/harden/baseline.h"

#include <algorithm>

namespace ironward::harden {
namespace {

bool Passes(const std::vector<SignalResult>& signals, std::string_view name) {
  return std::any_of(signals.begin(), signals.end(),
                     [&](const SignalResult& s) { return s.name == name && s.status == SignalStatus::kPass; });
}

}  // namespace

std::string_view StatusName(SignalStatus status) {
  switch (status) {
    case SignalStatus::kPass:
      return "pass";
    case SignalStatus::kFail:
      return "fail";
    case SignalStatus::kWarn:
      return "warn";
    case SignalStatus::kSkip:
      return "skip";
  }
  return "skip";
}

std::string_view BaselineName(Baseline baseline) {
  switch (baseline) {
    case Baseline::kMinimal:
      return "minimal";
    case Baseline::kCatalin:
      return "catalin";
    case Baseline::kParanoid:
      return "paranoid";
  }
  return "minimal";
}

std::optional<Baseline> ParseBaseline(std::string_view name) {
  for (Baseline b : {Baseline::kMinimal, Baseline::kCatalin, Baseline::kParanoid}) {
    if (BaselineName(b) == name) return b;
  }
  return std::nullopt;
}

BaselineVerdict EvaluateBaseline(Baseline baseline, const std::vector<SignalResult>& signals) {
  BaselineVerdict verdict;
  verdict.baseline = baseline;
  auto require = [&](std::string_view name) {
    if (!Passes(signals, name)) verdict.missing.emplace_back(name);
  };
  switch (baseline) {
    case Baseline::kMinimal:
      if (!Passes(signals, kUfw) && !Passes(signals, kFirewalld) && !Passes(signals, kNftables) &&
          !Passes(signals, kTailscale)) {
        verdict.missing.emplace_back(kAnyFirewall);
      }
      require(kSshPasswordAuth);
      require(kIronProxyEnabled);
      break;
    case Baseline::kCatalin:
      for (auto name : {kTailscale, kUfw, kFail2ban, kSshPasswordAuth, kIronProxyEnabled}) require(name);
      break;
    case Baseline::kParanoid:
      for (auto name : kSignalNames) require(name);
      break;
  }
  verdict.satisfied = verdict.missing.empty();
  return verdict;
}

}  // namespace ironward::harden
