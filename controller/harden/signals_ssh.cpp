// ssh-password-auth and ssh-root-login, from sshd_config (+ Includes). Last directive wins, as
// the issue specifies; when sshd's own first-value rule would pick something else, the detail
// says so.
#include "controller/harden/signals.h"
#include "controller/harden/sshd_config.h"

namespace ironward::harden {
namespace {

// Non-empty when the config could not be judged: missing main file → skip, else warn.
std::optional<SignalResult> Unreadable(const ProbeEnv& env, std::string_view name, const SshdConfig& config) {
  switch (config.main_outcome) {
    case FileRead::Outcome::kOk:
      return std::nullopt;
    case FileRead::Outcome::kMissing:
      return Make(name, SignalStatus::kSkip, env.sshd_config + " not found (no OpenSSH server?)", "");
    case FileRead::Outcome::kDenied:
      return Make(name, SignalStatus::kWarn, "cannot read " + config.main_error, std::string(kRunAsRoot));
    default:
      return Make(name, SignalStatus::kWarn, "cannot read " + config.main_error, "");
  }
}

// " (note: ...)" when sshd, which keeps the first value, would disagree with the last one.
std::string FirstValueNote(const SshdDirective* first, const SshdDirective* last) {
  if (first == nullptr || last == nullptr || first == last || first->value == last->value) return "";
  return "; note: sshd itself applies the first value, '" + first->value + "' at " + first->Where() +
         " (verify with `sshd -T`)";
}

// Appended when an Include could not be read: the verdict may be incomplete.
std::optional<SignalResult> Incomplete(std::string_view name, const SshdConfig& config, const std::string& verdict) {
  if (config.problems.empty()) return std::nullopt;
  return Make(name, SignalStatus::kWarn, verdict + "; but " + FirstLine(config.problems.front(), 120),
              config.include_denied ? std::string(kRunAsRoot) : "");
}

std::string MatchOverride(const SshdConfig& config, std::string_view key, std::initializer_list<std::string_view> bad) {
  for (const SshdDirective* d : config.InMatch(key)) {
    for (auto b : bad) {
      if (d->value == b) return d->Where();
    }
  }
  return "";
}

}  // namespace

SignalResult ProbeSshPasswordAuth(const ProbeEnv& env) {
  const SshdConfig config = LoadSshdConfig(env.files, env.sshd_config);
  if (auto early = Unreadable(env, kSshPasswordAuth, config)) return *early;
  const std::string fix =
      "set `PasswordAuthentication no` in " + env.sshd_config + ", then reload sshd (systemctl reload ssh)";
  const SshdDirective* last = config.Last({"passwordauthentication"});
  const SshdDirective* first = config.First({"passwordauthentication"});
  std::string verdict;
  if (last == nullptr) {
    verdict = "PasswordAuthentication not set (OpenSSH default: yes)";
    if (auto warn = Incomplete(kSshPasswordAuth, config, verdict)) return *warn;
    return Make(kSshPasswordAuth, SignalStatus::kFail, verdict, fix);
  }
  verdict = "PasswordAuthentication " + last->value + " (" + last->Where() + ")" + FirstValueNote(first, last);
  if (last->value == "yes") {
    if (auto warn = Incomplete(kSshPasswordAuth, config, verdict)) return *warn;
    return Make(kSshPasswordAuth, SignalStatus::kFail, verdict, fix);
  }
  if (last->value != "no") return Make(kSshPasswordAuth, SignalStatus::kWarn, "unrecognised " + verdict, fix);
  if (auto warn = Incomplete(kSshPasswordAuth, config, verdict)) return *warn;
  if (std::string where = MatchOverride(config, "passwordauthentication", {"yes"}); !where.empty()) {
    return Make(kSshPasswordAuth, SignalStatus::kWarn, verdict + ", but a Match block re-enables it at " + where,
                "remove `PasswordAuthentication yes` from the Match block");
  }
  // Keyboard-interactive through PAM asks for the same password.
  const SshdDirective* kbd = config.Last({"kbdinteractiveauthentication", "challengeresponseauthentication"});
  const SshdDirective* pam = config.Last({"usepam"});
  const bool kbd_on = kbd == nullptr || kbd->value == "yes";  // OpenSSH default: yes
  const bool pam_on = pam != nullptr && pam->value == "yes";  // OpenSSH default: no
  if (kbd_on && pam_on) {
    return Make(kSshPasswordAuth, SignalStatus::kWarn,
                verdict + ", but keyboard-interactive auth with UsePAM yes can still accept passwords",
                "set `KbdInteractiveAuthentication no` in " + env.sshd_config);
  }
  return Make(kSshPasswordAuth, SignalStatus::kPass, verdict, "");
}

SignalResult ProbeSshRootLogin(const ProbeEnv& env) {
  const SshdConfig config = LoadSshdConfig(env.files, env.sshd_config);
  if (auto early = Unreadable(env, kSshRootLogin, config)) return *early;
  const std::string fix = "set `PermitRootLogin prohibit-password` (or `no`) in " + env.sshd_config +
                          ", then reload sshd (systemctl reload ssh)";
  const SshdDirective* last = config.Last({"permitrootlogin"});
  const SshdDirective* first = config.First({"permitrootlogin"});
  std::string verdict;
  SignalStatus status = SignalStatus::kPass;
  if (last == nullptr) {
    verdict = "PermitRootLogin not set (OpenSSH default: prohibit-password)";
  } else {
    verdict = "PermitRootLogin " + last->value + " (" + last->Where() + ")" + FirstValueNote(first, last);
    const std::string& v = last->value;
    if (v == "yes") {
      status = SignalStatus::kFail;
    } else if (v != "no" && v != "prohibit-password" && v != "without-password" && v != "forced-commands-only") {
      return Make(kSshRootLogin, SignalStatus::kWarn, "unrecognised " + verdict, fix);
    }
  }
  if (auto warn = Incomplete(kSshRootLogin, config, verdict)) return *warn;
  if (status == SignalStatus::kFail) return Make(kSshRootLogin, status, verdict, fix);
  if (std::string where = MatchOverride(config, "permitrootlogin", {"yes"}); !where.empty()) {
    return Make(kSshRootLogin, SignalStatus::kWarn, verdict + ", but a Match block allows it at " + where,
                "remove `PermitRootLogin yes` from the Match block");
  }
  return Make(kSshRootLogin, SignalStatus::kPass, verdict, "");
}

}  // namespace ironward::harden
