// Baselines: which signals must pass for the summary line to say "satisfied".
// They only colour the summary; they never change a signal or the exit code.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controller/harden/signal.h"

namespace ironward::harden {

enum class Baseline { kMinimal, kCatalin, kParanoid };

/// "minimal" | "catalin" | "paranoid".
std::string_view BaselineName(Baseline baseline);
std::optional<Baseline> ParseBaseline(std::string_view name);

/// One requirement: met when any one of its signals passes (a single name is a hard requirement).
using Requirement = std::vector<std::string_view>;

/// In order:
///   minimal  = (ufw | firewalld | nftables | tailscale) + ssh-password-auth + iron-proxy-enabled
///   catalin  = tailscale + ufw + fail2ban + ssh-password-auth + iron-proxy-enabled
///   paranoid = each of the ten signals
std::vector<Requirement> Requirements(Baseline baseline);

struct BaselineVerdict {
  Baseline baseline = Baseline::kMinimal;
  bool satisfied = false;
  /// Every signal of every unmet requirement, in baseline order (an unmet group lists all its
  /// members: each one is an acceptable fix). The JSON "missing".
  std::vector<std::string> missing;
  /// The unmet requirements themselves, for the text summary ("one of ufw/firewalld/...").
  std::vector<std::vector<std::string>> unmet;
};

/// A requirement is met when one of its signals passes. It is unmet when none passes and at least
/// one of them failed or warned: a skip (the check does not apply here, e.g. no sshd) never
/// counts as missing, so a requirement whose signals all skip is met.
BaselineVerdict EvaluateBaseline(Baseline baseline, const std::vector<SignalResult>& signals);

}  // namespace ironward::harden
