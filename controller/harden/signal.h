// One survey signal: its stable name, a status and the human detail + fix hint.
#pragma once

#include <array>
#include <string>
#include <string_view>

namespace ironward::harden {

enum class SignalStatus { kPass, kFail, kWarn, kSkip };

/// "pass" | "fail" | "warn" | "skip" (the JSON and table spelling).
std::string_view StatusName(SignalStatus status);

struct SignalResult {
  std::string name;  ///< one of kSignalNames
  SignalStatus status = SignalStatus::kSkip;
  std::string detail;  ///< what was observed
  std::string fix;     ///< how to fix it ("" when nothing to do)
};

// Stable signal names (JSON "name", baseline "missing"), exactly the upstream survey's: SIEM rules
// match on them. A rename needs a note in docs/harden.md ("Renamed in this version").
inline constexpr std::string_view kTailscale = "tailscale";
inline constexpr std::string_view kUfw = "ufw";
inline constexpr std::string_view kFirewalld = "firewalld";
inline constexpr std::string_view kNftables = "nftables";
inline constexpr std::string_view kFail2ban = "fail2ban";
inline constexpr std::string_view kSshPasswordAuth = "ssh-password-auth";
inline constexpr std::string_view kSshRootLogin = "ssh-root-login";
inline constexpr std::string_view kIronProxyEnabled = "iron-proxy-enabled";
inline constexpr std::string_view kIronProxyRunning = "iron-proxy-running";
inline constexpr std::string_view kDockerSeccomp = "docker-seccomp";

/// Every signal, in report order.
inline constexpr std::array<std::string_view, 10> kSignalNames = {
    kTailscale,       kUfw,          kFirewalld,        kNftables,         kFail2ban,
    kSshPasswordAuth, kSshRootLogin, kIronProxyEnabled, kIronProxyRunning, kDockerSeccomp};

}  // namespace ironward::harden
