// The command role of the process seam (process.h): run a program (never a shell) with a minimal
// environment, a timeout and an output cap, and what came of it (CommandResult, also what
// Processes::RunProgram returns). Used by the harden survey, doctor, the nftables runner and the
// host firewalls (ufw, firewalld). Every Processes is a CommandRunner (RealProcesses is the real
// one; tests use tests/fakes/fake_processes.h); netfilter::LibNftRunner answers nft's command
// lines through libnftables instead.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace ironward {

/// The environment every probe command gets, and nothing else.
inline constexpr const char* kProbePath = "/usr/sbin:/usr/bin:/sbin:/bin";

struct CommandResult {
  enum class Outcome {
    kExited,       ///< ran to completion; exit_code is valid
    kSignaled,     ///< killed by a signal it did not get from us (exit_code = signal number)
    kTimedOut,     ///< we killed its process group when the timeout expired
    kNotFound,     ///< no such executable on kProbePath
    kSpawnFailed,  ///< fork/pipe/exec failed for another reason (see error)
  };
  Outcome outcome = Outcome::kSpawnFailed;
  int exit_code = -1;
  std::string out;         ///< stdout, at most the runner's cap
  std::string err;         ///< stderr, at most the runner's cap
  bool truncated = false;  ///< stdout or stderr hit the cap (the rest was read and dropped)
  std::string error;       ///< for kSpawnFailed / kNotFound: what went wrong
  int exec_errno = 0;      ///< kSpawnFailed / kNotFound in the child (dup2, chdir, execve): errno; else 0

  bool ok() const { return outcome == Outcome::kExited && exit_code == 0; }

  static CommandResult Exited(int code, std::string stdout_text, std::string stderr_text = "") {
    CommandResult r;
    r.outcome = Outcome::kExited;
    r.exit_code = code;
    r.out = std::move(stdout_text);
    r.err = std::move(stderr_text);
    return r;
  }
  static CommandResult NotFound(std::string what) {
    CommandResult r;
    r.outcome = Outcome::kNotFound;
    r.error = std::move(what);
    return r;
  }
  static CommandResult SpawnFailed(std::string what) {
    CommandResult r;
    r.outcome = Outcome::kSpawnFailed;
    r.error = std::move(what);
    return r;
  }
  static CommandResult TimedOut() {
    CommandResult r;
    r.outcome = Outcome::kTimedOut;
    return r;
  }
};

class CommandRunner {
 public:
  virtual ~CommandRunner() = default;
  /// Runs argv[0] (a bare name looked up on kProbePath, or an absolute path) with argv.
  /// Never throws for a failing command; must be safe to call from several threads at once.
  virtual CommandResult Run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) = 0;
};

/// Absolute path of an executable `name` on `search_path` ("" when none); absolute names are
/// checked as given. Exposed for tests.
std::string FindExecutable(const std::string& name, const std::string& search_path = kProbePath);

/// Short human description of a non-success result ("timed out after 3000 ms", "exit 2: <stderr line>").
std::string Describe(const CommandResult& result, std::chrono::milliseconds timeout);

}  // namespace ironward
