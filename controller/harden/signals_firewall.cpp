// ufw, firewalld and nftables probes.
#include <sstream>

#include "controller/harden/signals.h"

namespace ironward::harden {
namespace {

constexpr std::string_view kUfwFix = "ufw default deny incoming && ufw allow OpenSSH && ufw enable";

}  // namespace

SignalResult ProbeUfw(const ProbeEnv& env) {
  if (auto skip = LinuxOnly(env, kUfw)) return *skip;
  CommandResult r;
  if (auto early =
          RunOrReport(env, kUfw, {"ufw", "status", "verbose"}, "apt install ufw, then: " + std::string(kUfwFix), &r)) {
    return *early;
  }
  if (r.exit_code != 0) {
    if (LooksDenied(r) || !env.is_root)
      return Make(kUfw, SignalStatus::kWarn, "cannot query ufw: " + Complaint(r), std::string(kRunAsRoot));
    return Make(kUfw, SignalStatus::kWarn, "ufw status failed: " + Complaint(r), "");
  }
  std::string status;
  std::string incoming;
  std::istringstream lines(r.out);
  std::string line;
  while (std::getline(lines, line)) {
    std::string t = Trim(line);
    if (t.rfind("Status:", 0) == 0) status = Trim(t.substr(7));
    if (t.rfind("Default:", 0) == 0) {
      // "Default: deny (incoming), allow (outgoing), disabled (routed)"
      std::istringstream parts(t.substr(8));
      std::string part;
      while (std::getline(parts, part, ',')) {
        std::string p = Trim(part);
        auto pos = p.find(" (incoming)");
        if (pos != std::string::npos) incoming = Trim(p.substr(0, pos));
      }
    }
  }
  if (status == "inactive") return Make(kUfw, SignalStatus::kFail, "ufw is inactive", std::string(kUfwFix));
  if (status != "active") {
    return Make(kUfw, SignalStatus::kWarn, "unrecognised `ufw status verbose` output: " + FirstLine(r.out), "");
  }
  if (incoming == "deny" || incoming == "reject") {
    return Make(kUfw, SignalStatus::kPass, "active, default " + incoming + " incoming", "");
  }
  if (incoming.empty()) {
    return Make(kUfw, SignalStatus::kWarn, "active, but no default incoming policy in the output",
                "ufw default deny incoming");
  }
  return Make(kUfw, SignalStatus::kFail, "active, but the default incoming policy is " + incoming,
              "ufw default deny incoming");
}

SignalResult ProbeFirewalld(const ProbeEnv& env) {
  if (auto skip = LinuxOnly(env, kFirewalld)) return *skip;
  CommandResult r;
  if (auto early = RunOrReport(env, kFirewalld, {"firewall-cmd", "--state"}, "", &r)) return *early;
  // firewall-cmd prints "running" (exit 0) or "not running" (exit 252, on stderr in most versions).
  std::string state = Trim(r.out);
  if (state.empty()) state = Trim(r.err);
  if (r.exit_code == 0 && state == "running") return Make(kFirewalld, SignalStatus::kPass, "firewalld is running", "");
  if (state == "not running" || r.exit_code == 252) {
    return Make(kFirewalld, SignalStatus::kFail, "firewalld is not running", "systemctl enable --now firewalld");
  }
  if (LooksDenied(r))
    return Make(kFirewalld, SignalStatus::kWarn, "cannot query firewalld: " + Complaint(r), std::string(kRunAsRoot));
  return Make(kFirewalld, SignalStatus::kWarn, "unrecognised `firewall-cmd --state` result: " + Complaint(r), "");
}

SignalResult ProbeNftables(const ProbeEnv& env) {
  if (auto skip = LinuxOnly(env, kNftables)) return *skip;
  CommandResult r;
  if (auto early = RunOrReport(env, kNftables, {"nft", "list", "ruleset"}, "apt install nftables", &r)) return *early;
  if (r.exit_code != 0) {
    if (LooksDenied(r) || !env.is_root) {
      return Make(kNftables, SignalStatus::kWarn, "cannot read the nftables ruleset without root: " + Complaint(r),
                  std::string(kRunAsRoot));
    }
    return Make(kNftables, SignalStatus::kWarn, "nft list ruleset failed: " + Complaint(r), "");
  }
  int tables = 0;
  int chains = 0;
  std::istringstream lines(r.out);
  std::string line;
  while (std::getline(lines, line)) {
    std::string t = Trim(line);
    if (t.rfind("table ", 0) == 0) ++tables;
    if (t.rfind("chain ", 0) == 0) ++chains;
  }
  if (Trim(r.out).empty()) {
    if (!env.is_root) {
      return Make(kNftables, SignalStatus::kWarn, "empty ruleset as seen without root", std::string(kRunAsRoot));
    }
    return Make(kNftables, SignalStatus::kFail, "the nftables ruleset is empty",
                "define a ruleset in /etc/nftables.conf, then: systemctl enable --now nftables");
  }
  if (tables == 0) {
    return Make(kNftables, SignalStatus::kWarn, "unrecognised `nft list ruleset` output: " + FirstLine(r.out), "");
  }
  return Make(kNftables, SignalStatus::kPass,
              std::to_string(tables) + (tables == 1 ? " table, " : " tables, ") + std::to_string(chains) +
                  (chains == 1 ? " chain" : " chains") + (r.truncated ? " (output truncated)" : ""),
              "");
}

}  // namespace ironward::harden
