#include "controller/harden/baseline.h"

#include <algorithm>

namespace ironward::harden {
namespace {

// The signal's status; a signal the survey did not report counts as failed.
SignalStatus StatusOf(const std::vector<SignalResult>& signals, std::string_view name) {
  auto it = std::find_if(signals.begin(), signals.end(), [&](const SignalResult& s) { return s.name == name; });
  return it == signals.end() ? SignalStatus::kFail : it->status;
}

/// A single signal that skips (no sshd: nothing to harden there) is not missing. A group ("one
/// of ufw/firewalld/nftables/tailscale") needs one member that passes: every member skipping
/// means none of them is on the host, which is exactly what the group asks for.
bool Met(const Requirement& requirement, const std::vector<SignalResult>& signals) {
  if (requirement.size() == 1) {
    const SignalStatus status = StatusOf(signals, requirement.front());
    return status == SignalStatus::kPass || status == SignalStatus::kSkip;
  }
  for (std::string_view name : requirement) {
    if (StatusOf(signals, name) == SignalStatus::kPass) return true;
  }
  return false;
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

std::vector<Requirement> Requirements(Baseline baseline) {
  switch (baseline) {
    case Baseline::kMinimal:
      return {{kUfw, kFirewalld, kNftables, kTailscale}, {kSshPasswordAuth}, {kIronProxyEnabled}};
    case Baseline::kCatalin:
      return {{kTailscale}, {kUfw}, {kFail2ban}, {kSshPasswordAuth}, {kIronProxyEnabled}};
    case Baseline::kParanoid:
      break;
  }
  std::vector<Requirement> all;
  for (std::string_view name : kSignalNames) all.push_back({name});
  return all;
}

BaselineVerdict EvaluateBaseline(Baseline baseline, const std::vector<SignalResult>& signals) {
  BaselineVerdict verdict;
  verdict.baseline = baseline;
  for (const Requirement& requirement : Requirements(baseline)) {
    if (Met(requirement, signals)) continue;
    verdict.unmet.emplace_back(requirement.begin(), requirement.end());
    verdict.missing.insert(verdict.missing.end(), requirement.begin(), requirement.end());
  }
  verdict.satisfied = verdict.unmet.empty();
  return verdict;
}

}  // namespace ironward::harden
