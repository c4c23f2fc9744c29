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

// Stable signal names (JSON "name", baseline "missing"); users script against them.
inline constexpr std::string_view kTailscale = "tailscale";
inline constexpr std::string_view kUfw = "ufw";
inline constexpr std::string_view kFirewalld = "firewalld";
inline constexpr std::string_view kNftables = "nftables";
inline constexpr std::string_view kFail2ban = "fail2ban";
inline constexpr std::string_view kSshPasswordAuth = "ssh_password_auth";
inline constexpr std::string_view kSshRootLogin = "ssh_root_login";
inline constexpr std::string_view kProxyConfigured = "proxy_configured";
inline constexpr std::string_view kProxyRunning = "proxy_running";
inline constexpr std::string_view kDockerSeccomp = "docker_seccomp";

/// Every signal, in report order.
inline constexpr std::array<std::string_view, 10> kSignalNames = {
    kTailscale,       kUfw,          kFirewalld,       kNftables,     kFail2ban,
    kSshPasswordAuth, kSshRootLogin, kProxyConfigured, kProxyRunning, kDockerSeccomp};

}  // namespace ironward::harden
