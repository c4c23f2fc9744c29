// RealProcesses::RunProgram (and its CommandRunner form) against real processes: timeouts kill
// the whole group, missing binaries are distinct, output is capped, the environment is exactly
// the one given, nothing else ironward holds open is inherited.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "reconcilers/io/process.h"
#include "tests/support/eventually.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace ironward {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;
using Outcome = CommandResult::Outcome;

// True once `pid` is gone or a zombie (an orphan waits for init to reap it).
bool Dead(const std::string& pid_text) {
  return ironward::testing::Eventually([&] { return ironward::testing::ProcessGone(std::stoi(pid_text)); },
                                       std::chrono::seconds(5));
}

TEST(RealProcessesRunTest, CapturesStdoutStderrAndExitCode) {
  RealProcesses runner;
  CommandResult r = runner.Run({"sh", "-c", "echo out; echo err >&2; exit 3"}, milliseconds(5000));
  EXPECT_EQ(r.outcome, Outcome::kExited);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
  EXPECT_FALSE(r.ok());
}

TEST(RealProcessesRunTest, ArgumentsAreNotInterpretedByAShell) {
  RealProcesses runner;
  CommandResult r = runner.Run({"echo", "{{json .SecurityOptions}}", "$HOME", "a;b"}, milliseconds(5000));
  ASSERT_TRUE(r.ok()) << Describe(r, milliseconds(5000));
  EXPECT_EQ(r.out, "{{json .SecurityOptions}} $HOME a;b\n");
}

TEST(RealProcessesRunTest, SleepIsKilledAtTheTimeout) {
  RealProcesses runner;
  const auto start = std::chrono::steady_clock::now();
  CommandResult r = runner.Run({"sleep", "5"}, milliseconds(200));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.outcome, Outcome::kTimedOut);
  EXPECT_GE(elapsed, milliseconds(190));
  EXPECT_LT(elapsed, milliseconds(2000));
  EXPECT_EQ(Describe(r, milliseconds(200)), "timed out after 200 ms");
}

TEST(RealProcessesRunTest, TimeoutKillsTheWholeProcessGroup) {
  RealProcesses runner;
  CommandResult r = runner.Run({"sh", "-c", "sleep 30 & echo $!; exec sleep 30"}, milliseconds(300));
  EXPECT_EQ(r.outcome, Outcome::kTimedOut);
  std::string pid = r.out.substr(0, r.out.find('\n'));
  ASSERT_FALSE(pid.empty());
  EXPECT_TRUE(Dead(pid)) << "background child " << pid << " survived";
}

TEST(RealProcessesRunTest, ExitedChildLeavesNoStragglerHoldingThePipe) {
  RealProcesses runner;
  const auto start = std::chrono::steady_clock::now();
  CommandResult r = runner.Run({"sh", "-c", "sleep 30 & echo $!"}, milliseconds(5000));
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2000));
  EXPECT_EQ(r.outcome, Outcome::kExited);
  EXPECT_EQ(r.exit_code, 0);
  std::string pid = r.out.substr(0, r.out.find('\n'));
  ASSERT_FALSE(pid.empty());
  EXPECT_TRUE(Dead(pid));
}

TEST(RealProcessesRunTest, MissingBinaryIsReportedDistinctly) {
  RealProcesses runner;
  CommandResult r = runner.Run({"ironward-no-such-tool-xyz", "--state"}, milliseconds(1000));
  EXPECT_EQ(r.outcome, Outcome::kNotFound);
  EXPECT_THAT(r.error, HasSubstr(kProbePath));
  EXPECT_EQ(runner.Run({"/nonexistent/bin/tool"}, milliseconds(1000)).outcome, Outcome::kNotFound);
  EXPECT_EQ(runner.Run({"./relative-tool"}, milliseconds(1000)).outcome, Outcome::kNotFound);
  EXPECT_EQ(runner.Run({}, milliseconds(1000)).outcome, Outcome::kSpawnFailed);
}

/// The probe form with another output cap.
RunRequest Capped(std::vector<std::string> argv, milliseconds timeout, std::size_t cap) {
  RunRequest request = ProbeCommand(std::move(argv), timeout);
  request.max_output = cap;
  return request;
}

TEST(RealProcessesRunTest, OutputIsCapped) {
  RealProcesses runner;
  CommandResult r = runner.RunProgram(Capped({"head", "-c", "3000000", "/dev/zero"}, milliseconds(5000), 4096));
  EXPECT_EQ(r.outcome, Outcome::kExited);
  EXPECT_EQ(r.out.size(), 4096U);
  EXPECT_TRUE(r.truncated);
}

TEST(RealProcessesRunTest, EndlessOutputIsCappedAndTimedOut) {
  RealProcesses runner;
  CommandResult r = runner.RunProgram(Capped({"cat", "/dev/zero"}, milliseconds(300), 1024));
  EXPECT_EQ(r.outcome, Outcome::kTimedOut);
  EXPECT_EQ(r.out.size(), 1024U);
  EXPECT_TRUE(r.truncated);
}

TEST(RealProcessesRunTest, EnvironmentIsMinimalAndStdinIsEmpty) {
  ::setenv("IRONWARD_HARDEN_LEAK_CHECK", "secret-value", 1);
  RealProcesses runner;
  CommandResult r = runner.Run({"env"}, milliseconds(5000));
  ::unsetenv("IRONWARD_HARDEN_LEAK_CHECK");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.out, std::string("PATH=") + kProbePath + "\nLC_ALL=C\n");
  CommandResult cat = runner.Run({"cat"}, milliseconds(5000));
  EXPECT_TRUE(cat.ok());
  EXPECT_EQ(cat.out, "");
}

TEST(RealProcessesRunTest, SignalDeathIsNotATimeout) {
  RealProcesses runner;
  CommandResult r = runner.Run({"sh", "-c", "kill -SEGV $$"}, milliseconds(5000));
  EXPECT_EQ(r.outcome, Outcome::kSignaled);
  EXPECT_EQ(r.exit_code, SIGSEGV);
}

TEST(RealProcessesRunTest, IgnoredSigpipeInTheParentIsNotInherited) {
  struct sigaction old {};
  struct sigaction ign {};
  ign.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ign, &old);
  RealProcesses runner;
  CommandResult r = runner.Run({"grep", "SigIgn", "/proc/self/status"}, milliseconds(5000));
  ::sigaction(SIGPIPE, &old, nullptr);
  ASSERT_TRUE(r.ok()) << Describe(r, milliseconds(5000));
  // "SigIgn:\t0000000000001000" would mean SIGPIPE (13) is still ignored.
  const unsigned long long ignored = std::stoull(r.out.substr(r.out.find(':') + 1), nullptr, 16);
  EXPECT_EQ(ignored & (1ULL << (SIGPIPE - 1)), 0ULL) << r.out;
}

TEST(RealProcessesRunTest, AutoReapedChildIsNotMistakenForAHang) {
  struct sigaction old {};
  struct sigaction ign {};
  ign.sa_handler = SIG_IGN;
  ::sigaction(SIGCHLD, &ign, &old);  // the kernel reaps children itself: waitid sees ECHILD
  RealProcesses runner;
  const auto start = std::chrono::steady_clock::now();
  CommandResult r = runner.Run({"true"}, milliseconds(5000));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ::sigaction(SIGCHLD, &old, nullptr);
  EXPECT_NE(r.outcome, Outcome::kTimedOut);
  EXPECT_LT(elapsed, milliseconds(2000));
}

// The exact form (RunRequest with no search_path): what `iron-proxy version` is run with.
TEST(RealProcessesRunTest, RunsWithExactlyTheGivenEnvironment) {
  ::setenv("IRONWARD_PROBE_TEST_TOKEN", "must-not-leak", 1);
  RealProcesses processes;
  RunRequest request;
  request.argv = {"/usr/bin/env"};
  request.env = {"PATH=/usr/bin:/bin"};
  request.timeout = milliseconds(5000);
  const CommandResult r = processes.RunProgram(request);
  ::unsetenv("IRONWARD_PROBE_TEST_TOKEN");
  ASSERT_TRUE(r.ok()) << Describe(r, request.timeout);
  EXPECT_EQ(r.out, "PATH=/usr/bin:/bin\n");
}

TEST(RealProcessesRunTest, WithoutASearchPathExecsTheGivenPathAndReportsItsErrno) {
  testing::TempDir dir;
  const std::string text = (dir.path() / "not-a-program").string();
  testing::WriteFile(text, "plain text");
  ASSERT_EQ(::chmod(text.c_str(), 0644), 0);
  RealProcesses processes;
  RunRequest request;
  request.argv = {text};
  request.timeout = milliseconds(5000);
  const CommandResult denied = processes.RunProgram(request);
  EXPECT_EQ(denied.outcome, Outcome::kSpawnFailed);
  EXPECT_EQ(denied.exec_errno, EACCES);
  EXPECT_EQ(denied.error, "exec " + text + ": " + std::strerror(EACCES));
  request.argv = {(dir.path() / "missing").string()};
  const CommandResult missing = processes.RunProgram(request);
  EXPECT_EQ(missing.outcome, Outcome::kNotFound);
  EXPECT_EQ(missing.exec_errno, ENOENT);
  EXPECT_EQ(missing.error, request.argv[0] + ": " + std::strerror(ENOENT)) << "execve's own error, no lookup";
}

TEST(RealProcessesRunTest, RunsInTheGivenDirectory) {
  testing::TempDir dir;
  const std::string where = std::filesystem::canonical(dir.path()).string();
  RealProcesses processes;
  RunRequest request = ProbeCommand({"pwd"}, milliseconds(5000));
  request.cwd = where;
  const CommandResult r = processes.RunProgram(request);
  ASSERT_TRUE(r.ok()) << Describe(r, request.timeout);
  EXPECT_EQ(r.out, where + "\n");
  request.cwd = where + "/missing";
  const CommandResult missing = processes.RunProgram(request);
  EXPECT_EQ(missing.outcome, Outcome::kSpawnFailed);
  EXPECT_EQ(missing.exec_errno, ENOENT);
  EXPECT_EQ(missing.error, "chdir " + where + "/missing: " + std::strerror(ENOENT));
}

TEST(RealProcessesRunTest, DescriptorsIronwardHoldsAreNotInherited) {
  const int fd = ::open("/dev/null", O_RDONLY);  // deliberately without O_CLOEXEC
  ASSERT_GE(fd, 3);
  RealProcesses processes;
  const std::string link = "/proc/self/fd/" + std::to_string(fd);
  const CommandResult r = processes.Run({"readlink", link}, milliseconds(5000));
  ::close(fd);
  EXPECT_EQ(r.outcome, Outcome::kExited);
  EXPECT_EQ(r.exit_code, 1) << "the child still had fd " << fd << ": " << r.out;
  EXPECT_EQ(r.out, "");
}

TEST(FindExecutableTest, LooksOnlyOnTheProbePath) {
  const std::string sh = FindExecutable("sh");
  ASSERT_FALSE(sh.empty());
  EXPECT_EQ(sh.front(), '/');
  EXPECT_EQ(FindExecutable("sh", "relative/dir"), "");
  EXPECT_EQ(FindExecutable("/bin/sh"), "/bin/sh");
  EXPECT_EQ(FindExecutable("/etc/passwd"), "");  // not executable
  EXPECT_EQ(FindExecutable(""), "");
}

}  // namespace
}  // namespace ironward

