#include "reconcilers/binary/version_probe.h"

#include <cstring>

namespace ironward::binary {
namespace {

std::string FirstLine(const std::string& s) {
  std::string line = s.substr(0, s.find('\n'));
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
  const auto first = line.find_first_not_of(" \t");
  return first == std::string::npos ? "" : line.substr(first);
}

}  // namespace

RunRequest VersionCommand(const std::filesystem::path& binary) {
  RunRequest request;
  request.argv = {binary.string(), "version"};
  request.env = {kProbeEnv};
  request.timeout = kProbeTimeout;
  request.max_output = kProbeOutputCap;
  request.cwd = "/";
  return request;
}

Result<std::string> ProbeVersion(Processes& processes, const std::filesystem::path& binary) {
  // Appended, not `"`" + binary.string()`: that form trips GCC 12's -Wrestrict false positive (bug 105651).
  std::string what = "`";
  what += binary.string();
  what += " version`";
  const CommandResult r = processes.RunProgram(VersionCommand(binary));
  switch (r.outcome) {
    case CommandResult::Outcome::kNotFound:
    case CommandResult::Outcome::kSpawnFailed:
      if (r.exec_errno != 0) {
        return Error::Terminal("cannot execute " + binary.string() + ": " + std::strerror(r.exec_errno));
      }
      return Error::Transient(r.error);  // no pipe, no fork: the host, not the binary
    case CommandResult::Outcome::kTimedOut:
      return Error::Terminal(what + " did not finish within " + std::to_string(kProbeTimeout.count() / 1000) + " s");
    case CommandResult::Outcome::kSignaled:
      return Error::Terminal(what + " was killed by signal " + std::to_string(r.exit_code));
    case CommandResult::Outcome::kExited:
      break;
  }
  if (r.exit_code != 0) {
    const std::string detail = FirstLine(r.err).substr(0, 200);
    return Error::Terminal(what + " exited with status " + std::to_string(r.exit_code) +
                           (detail.empty() ? "" : ": " + detail));
  }
  std::string version = FirstLine(r.out);
  if (version.empty()) return Error::Terminal(what + " printed nothing");
  return version;
}

}  // namespace ironward::binary
