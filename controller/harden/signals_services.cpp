// tailscale and fail2ban probes.
#include <cctype>
#include <charconv>
#include <nlohmann/json.hpp>
#include <sstream>

#include "controller/harden/signals.h"

namespace ironward::harden {
namespace {

std::string BackendState(const CommandResult& r) {
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  if (!j.is_discarded() && j.is_object()) {
    auto it = j.find("BackendState");
    if (it != j.end() && it->is_string()) return it->get<std::string>();
    return "";
  }
  if (r.truncated) {
    // Huge tailnets can exceed the output cap; BackendState is near the top of the document.
    std::string_view rest(r.out);
    auto pos = rest.find("\"BackendState\"");
    if (pos == std::string_view::npos) return "";
    rest.remove_prefix(pos + 14);
    auto skip_ws = [&] {
      while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t' || rest.front() == '\n'))
        rest.remove_prefix(1);
    };
    skip_ws();
    if (rest.empty() || rest.front() != ':') return "";
    rest.remove_prefix(1);
    skip_ws();
    if (rest.empty() || rest.front() != '"') return "";
    rest.remove_prefix(1);
    std::string state;
    while (!rest.empty() && std::isalpha(static_cast<unsigned char>(rest.front())) != 0 && state.size() < 40) {
      state += rest.front();
      rest.remove_prefix(1);
    }
    if (!rest.empty() && rest.front() == '"') return state;
  }
  return "";
}

}  // namespace

SignalResult ProbeTailscale(const ProbeEnv& env) {
  CommandResult r;
  if (auto early = RunOrReport(env, kTailscale, {"tailscale", "status", "--json"},
                               "install Tailscale (https://tailscale.com/download), then: tailscale up", &r)) {
    return *early;
  }
  const std::string state = BackendState(r);
  if (state.empty()) {
    if (r.exit_code != 0 && (ContainsNoCase(r.err, "doesn't appear to be running") ||
                             ContainsNoCase(r.err, "failed to connect to local tailscale"))) {
      return Make(kTailscale, SignalStatus::kFail, "tailscaled is not running",
                  "systemctl enable --now tailscaled && tailscale up");
    }
    if (r.exit_code != 0) return Make(kTailscale, SignalStatus::kWarn, "tailscale status failed: " + Complaint(r), "");
    return Make(kTailscale, SignalStatus::kWarn,
                "unrecognised `tailscale status --json` output (no BackendState): " + FirstLine(r.out), "");
  }
  if (state == "Running") return Make(kTailscale, SignalStatus::kPass, "BackendState Running", "");
  if (state == "Starting") {
    return Make(kTailscale, SignalStatus::kWarn, "BackendState Starting (not connected yet)", "re-run in a moment");
  }
  if (state == "NeedsLogin" || state == "NeedsMachineAuth") {
    return Make(kTailscale, SignalStatus::kFail, "BackendState " + state,
                "tailscale up (log in, or approve this machine in the admin console)");
  }
  return Make(kTailscale, SignalStatus::kFail, "BackendState " + FirstLine(state, 40), "tailscale up");
}

SignalResult ProbeFail2ban(const ProbeEnv& env) {
  CommandResult r;
  if (auto early = RunOrReport(env, kFail2ban, {"fail2ban-client", "status"},
                               "apt install fail2ban (the sshd jail is enabled by default on Debian)", &r)) {
    return *early;
  }
  if (r.exit_code != 0) {
    if (LooksDenied(r)) {
      return Make(kFail2ban, SignalStatus::kWarn, "cannot talk to fail2ban: " + Complaint(r), std::string(kRunAsRoot));
    }
    if (ContainsNoCase(r.err + r.out, "is fail2ban running") ||
        ContainsNoCase(r.err + r.out, "failed to access socket")) {
      return Make(kFail2ban, SignalStatus::kFail, "the fail2ban server is not running",
                  "systemctl enable --now fail2ban");
    }
    return Make(kFail2ban, SignalStatus::kWarn, "fail2ban-client status failed: " + Complaint(r), "");
  }
  // Status
  // |- Number of jail:      2
  // `- Jail list:   recidive, sshd
  std::optional<long> jails;
  std::string list;
  std::istringstream lines(r.out);
  std::string line;
  while (std::getline(lines, line)) {
    auto pos = line.find("Number of jail:");
    if (pos != std::string::npos) {
      std::string n = Trim(line.substr(pos + 15));
      long value = 0;
      auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), value);
      if (ec == std::errc() && end == n.data() + n.size() && value >= 0) jails = value;
    }
    pos = line.find("Jail list:");
    if (pos != std::string::npos) list = FirstLine(line.substr(pos + 10), 120);
  }
  if (!jails) {
    return Make(kFail2ban, SignalStatus::kWarn, "unrecognised `fail2ban-client status` output: " + FirstLine(r.out),
                "");
  }
  if (*jails == 0) {
    return Make(kFail2ban, SignalStatus::kFail, "fail2ban is running with 0 jails",
                "enable a jail ([sshd] enabled = true in /etc/fail2ban/jail.local), then: fail2ban-client reload");
  }
  return Make(kFail2ban, SignalStatus::kPass,
              std::to_string(*jails) + (*jails == 1 ? " jail" : " jails") + (list.empty() ? "" : ": " + list), "");
}

}  // namespace ironward::harden
