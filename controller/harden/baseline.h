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

/// Name used in `missing` when minimal's "any one firewall" requirement is not met.
inline constexpr std::string_view kAnyFirewall = "firewall";

struct BaselineVerdict {
  Baseline baseline = Baseline::kMinimal;
  bool satisfied = false;
  /// Requirements not met, in baseline order: signal names, or kAnyFirewall.
  std::vector<std::string> missing;
};

/// A requirement is met only by a "pass" (fail, warn and skip all count as missing).
///   minimal  = any one of ufw/firewalld/nftables/tailscale + ssh-password-auth + iron-proxy-enabled
///   catalin  = tailscale + ufw + fail2ban + ssh-password-auth + iron-proxy-enabled
///   paranoid = all ten signals
BaselineVerdict EvaluateBaseline(Baseline baseline, const std::vector<SignalResult>& signals);

}  // namespace ironward::harden
