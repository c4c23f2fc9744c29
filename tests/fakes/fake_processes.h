// The one fake of the process seam (reconcilers/io/process.h), for unit tests:
//   runs     scripted by the whole command line ("ufw status verbose") or by the program alone
//            ("ufw", which answers any arguments); anything unscripted is "not found"
//   table    processes with a stat, an environment and a command line (Put, AddStarted)
//   spawn    a detached start adds a running process with the request's environment
//   signals  identity-checked like the real one: SIGKILL ends the process, SIGTERM too unless it
//            was told to ignore it; an ended process can be reaped once, and an exit watch
//            becomes readable
// Everything it is asked is recorded. Thread-safe (the harden survey probes concurrently).
#pragma once

#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "reconcilers/io/process.h"

namespace ironward::testing {

class FakeProcesses final : public Processes {
 public:
  struct Process {
    ProcStat stat;
    std::vector<std::string> environ;
    std::string cmdline;  ///< arguments NUL-separated, as in /proc
    bool ignores_sigterm = false;
    std::string cwd;      ///< "" = unreadable (as for another user's process)
  };

  FakeProcesses() = default;
  FakeProcesses(const FakeProcesses&) = delete;
  FakeProcesses& operator=(const FakeProcesses&) = delete;
  ~FakeProcesses() override {
    for (const auto& [pid, fd] : watches_) ::close(fd);
  }

  // --- runs
  void Set(const std::string& command_line_or_program, CommandResult result) {
    std::lock_guard<std::mutex> lock(mu_);
    results_[command_line_or_program] = std::move(result);
  }
  CommandResult RunProgram(const RunRequest& request) override {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.push_back(request);
    const std::string program = request.argv.empty() ? "" : request.argv[0];
    auto it = results_.find(Join(request.argv, ' '));
    if (it == results_.end()) it = results_.find(program);
    if (it == results_.end()) return CommandResult::NotFound(program + " not found");
    return it->second;
  }
  /// Every run's request, in order.
  std::vector<RunRequest> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  /// Every run's argv, in order.
  std::vector<std::vector<std::string>> calls() const {
    std::vector<std::vector<std::string>> out;
    for (const auto& r : requests()) out.push_back(r.argv);
    return out;
  }
  /// Every run's argv joined with spaces, in order.
  std::vector<std::string> command_lines() const {
    std::vector<std::string> out;
    for (const auto& r : requests()) out.push_back(Join(r.argv, ' '));
    return out;
  }
  std::chrono::milliseconds last_timeout() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_.empty() ? std::chrono::milliseconds(0) : requests_.back().timeout;
  }

  // --- the process table
  void Put(pid_t pid, Process process) {
    std::lock_guard<std::mutex> lock(mu_);
    table_[pid] = std::move(process);
  }
  /// A running process as ironward starts one: its nonce in the environment (plus `env`).
  ProcessIdentity AddStarted(pid_t pid, const std::string& nonce, std::uint64_t starttime,
                             std::vector<std::string> env = {}) {
    Process p;
    p.stat.state = 'S';
    p.stat.starttime = starttime;
    p.environ = std::move(env);
    p.environ.push_back(std::string(kNonceEnv) + "=" + nonce);
    Put(pid, std::move(p));
    return ProcessIdentity{pid, nonce, starttime};
  }
  /// Makes the process ignore SIGTERM (only SIGKILL ends it).
  void IgnoreSigterm(pid_t pid) {
    std::lock_guard<std::mutex> lock(mu_);
    table_.at(pid).ignores_sigterm = true;
  }
  /// The process ends by itself; `how` is what reaping it returns.
  void End(pid_t pid, ChildExit how) {
    std::lock_guard<std::mutex> lock(mu_);
    EndLocked(pid, how);
  }
  bool Running(pid_t pid) const {
    std::lock_guard<std::mutex> lock(mu_);
    return table_.count(pid) != 0;
  }

  // --- detached starts
  /// Every later SpawnDetached fails with `error` (nullopt: they succeed again).
  void FailSpawns(std::optional<Error> error) {
    std::lock_guard<std::mutex> lock(mu_);
    spawn_error_ = std::move(error);
  }
  Result<pid_t> SpawnDetached(const SpawnRequest& request) override {
    std::lock_guard<std::mutex> lock(mu_);
    spawns_.push_back(request);
    if (spawn_error_) return *spawn_error_;
    const pid_t pid = next_pid_++;
    Process p;
    p.stat.state = 'S';
    p.stat.starttime = next_starttime_++;
    p.environ = request.env;
    p.cmdline = Join(request.argv, '\0');
    p.cwd = request.cwd;
    table_[pid] = std::move(p);
    return pid;
  }
  std::vector<SpawnRequest> spawns() const {
    std::lock_guard<std::mutex> lock(mu_);
    return spawns_;
  }

  // --- /proc
  std::optional<ProcStat> ReadStat(pid_t pid) const override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = table_.find(pid);
    if (it == table_.end()) return std::nullopt;
    return it->second.stat;
  }
  std::vector<std::string> ReadEnviron(pid_t pid) const override {
    std::lock_guard<std::mutex> lock(mu_);
    ++environ_reads_;
    auto it = table_.find(pid);
    return it == table_.end() ? std::vector<std::string>{} : it->second.environ;
  }
  std::string ReadWorkingDirectory(pid_t pid) const override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = table_.find(pid);
    return it == table_.end() ? "" : it->second.cwd;
  }
  /// How many times an environment was read (the expensive /proc read).
  std::size_t environ_reads() const {
    std::lock_guard<std::mutex> lock(mu_);
    return environ_reads_;
  }
  std::string ReadCommandLine(pid_t pid) const override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = table_.find(pid);
    return it == table_.end() ? "" : it->second.cmdline;
  }
  std::vector<pid_t> ListPids() const override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<pid_t> out;
    for (const auto& [pid, p] : table_) out.push_back(pid);
    return out;
  }
  bool Exists(pid_t pid) const override { return Running(pid); }

  // --- signals, watches, reaping
  bool SignalIfSame(const ProcessIdentity& id, int sig) override {
    if (CheckIdentity(id) != Liveness::kAlive) return false;
    std::lock_guard<std::mutex> lock(mu_);
    signals_.emplace_back(id.pid, sig);
    auto it = table_.find(id.pid);
    if (it != table_.end() && (sig == SIGKILL || (sig == SIGTERM && !it->second.ignores_sigterm))) {
      EndLocked(id.pid, ChildExit{true, sig});
    }
    return true;
  }
  /// (pid, signal) of every signal sent, in order.
  std::vector<std::pair<pid_t, int>> signals() const {
    std::lock_guard<std::mutex> lock(mu_);
    return signals_;
  }
  /// An eventfd standing in for the pidfd: readable once the process ends.
  int OpenExitWatch(const ProcessIdentity& id) override {
    if (CheckIdentity(id) != Liveness::kAlive) return -1;
    std::lock_guard<std::mutex> lock(mu_);
    auto [it, added] = watches_.emplace(id.pid, -1);
    if (added) it->second = ::eventfd(0, EFD_CLOEXEC);
    return it->second < 0 ? -1 : ::dup(it->second);
  }
  std::optional<ChildExit> ReapIfExited(pid_t pid) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = exits_.find(pid);
    if (it == exits_.end()) return std::nullopt;
    const ChildExit exit = it->second;
    exits_.erase(it);
    return exit;
  }

 private:
  static std::string Join(const std::vector<std::string>& parts, char sep) {
    std::string out;
    for (std::size_t i = 0; i < parts.size(); ++i) out += (i == 0 ? "" : std::string(1, sep)) + parts[i];
    return out;
  }
  void EndLocked(pid_t pid, ChildExit how) {
    if (table_.erase(pid) == 0) return;
    exits_[pid] = how;
    if (auto w = watches_.find(pid); w != watches_.end() && w->second >= 0) {
      const std::uint64_t one = 1;
      (void)!::write(w->second, &one, sizeof one);
    }
  }

  mutable std::mutex mu_;
  std::map<std::string, CommandResult> results_;
  std::vector<RunRequest> requests_;
  std::map<pid_t, Process> table_;
  std::map<pid_t, ChildExit> exits_;
  std::map<pid_t, int> watches_;
  std::vector<std::pair<pid_t, int>> signals_;
  std::vector<SpawnRequest> spawns_;
  std::optional<Error> spawn_error_;
  mutable std::size_t environ_reads_ = 0;
  pid_t next_pid_ = 5000000;  ///< above the kernel's largest pid: never the test's own (FindStrays skips it)
  std::uint64_t next_starttime_ = 1000;
};

}  // namespace ironward::testing
