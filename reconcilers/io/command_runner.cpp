#include "reconcilers/io/command_runner.h"

#include <sys/stat.h>
#include <unistd.h>

#include <sstream>

namespace ironward {

std::string FindExecutable(const std::string& name, const std::string& search_path) {
  auto usable = [](const std::string& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
  };
  if (name.empty()) return "";
  if (name.find('/') != std::string::npos) return name.front() == '/' && usable(name) ? name : "";
  std::stringstream dirs(search_path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty() || dir.front() != '/') continue;
    std::string candidate = dir + "/" + name;
    if (usable(candidate)) return candidate;
  }
  return "";
}

std::string Describe(const CommandResult& result, std::chrono::milliseconds timeout) {
  auto first_line = [](const std::string& s) {
    std::string line = s.substr(0, s.find('\n'));
    if (line.size() > 160) line = line.substr(0, 160) + "...";
    return line;
  };
  switch (result.outcome) {
    case CommandResult::Outcome::kTimedOut:
      return "timed out after " + std::to_string(timeout.count()) + " ms";
    case CommandResult::Outcome::kNotFound:
    case CommandResult::Outcome::kSpawnFailed:
      return result.error;
    case CommandResult::Outcome::kSignaled:
      return "killed by signal " + std::to_string(result.exit_code);
    case CommandResult::Outcome::kExited: {
      std::string text = first_line(result.err.empty() ? result.out : result.err);
      return "exit " + std::to_string(result.exit_code) + (text.empty() ? "" : ": " + text);
    }
  }
  return "unknown outcome";
}

}  // namespace ironward
