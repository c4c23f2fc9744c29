#include <algorithm>
#include <cctype>

#include "controller/harden/signals.h"

namespace ironward::harden {

SignalResult Make(std::string_view name, SignalStatus status, std::string detail, std::string fix) {
  return SignalResult{std::string(name), status, std::move(detail), std::move(fix)};
}

std::optional<SignalResult> RunOrReport(const ProbeEnv& env, std::string_view name,
                                        const std::vector<std::string>& argv, std::string_view install_hint,
                                        CommandResult* out) {
  *out = env.runner.Run(argv, env.timeout);
  const std::string cmd = argv.empty() ? "" : argv.front();
  switch (out->outcome) {
    case CommandResult::Outcome::kExited:
      return std::nullopt;
    case CommandResult::Outcome::kNotFound:
      return Make(name, SignalStatus::kSkip, cmd + " not installed (not found in " + kProbePath + ")",
                  std::string(install_hint));
    case CommandResult::Outcome::kTimedOut:
      return Make(name, SignalStatus::kWarn, cmd + " " + Describe(*out, env.timeout),
                  "check that " + cmd + " and the service it talks to are responsive");
    case CommandResult::Outcome::kSignaled:
    case CommandResult::Outcome::kSpawnFailed:
      return Make(name, SignalStatus::kWarn, cmd + ": " + Describe(*out, env.timeout), "");
  }
  return Make(name, SignalStatus::kWarn, cmd + ": unknown result", "");
}

std::optional<SignalResult> LinuxOnly(const ProbeEnv& env, std::string_view name) {
  if (env.linux_host) return std::nullopt;
  return Make(name, SignalStatus::kSkip, "not a Linux host", "");
}

std::string Trim(std::string_view s) {
  auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return std::string(s);
}

std::string FirstLine(std::string_view s, std::size_t max_len) {
  std::string line = Trim(s.substr(0, s.find('\n')));
  // Keep the table printable whatever the tool wrote.
  for (char& c : line) {
    if (std::iscntrl(static_cast<unsigned char>(c)) != 0) c = '?';
  }
  if (line.size() > max_len) line = line.substr(0, max_len) + "...";
  return line;
}

bool ContainsNoCase(std::string_view haystack, std::string_view needle) {
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
  });
  return it != haystack.end();
}

std::string Complaint(const CommandResult& r) {
  std::string line = FirstLine(Trim(r.err));
  if (line.empty()) line = FirstLine(Trim(r.out));
  if (line.empty()) line = "no output";
  return "exit " + std::to_string(r.exit_code) + ": " + line;
}

bool LooksDenied(const CommandResult& r) {
  for (const std::string* s : {&r.err, &r.out}) {
    if (ContainsNoCase(*s, "permission denied") || ContainsNoCase(*s, "operation not permitted") ||
        ContainsNoCase(*s, "need to be root") || ContainsNoCase(*s, "must be root") ||
        ContainsNoCase(*s, "not authorized")) {
      return true;
    }
  }
  return false;
}

}  // namespace ironward::harden
