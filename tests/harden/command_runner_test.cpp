// The real CommandRunner against real processes: timeouts kill the whole group, missing
// binaries are distinct, output is capped, the environment is minimal.
#include "reconcilers/io/command_runner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <string>
#include <thread>

#include "tests/support/eventually.h"
#include "tests/support/process.h"

namespace ironward::harden {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;
using Outcome = CommandResult::Outcome;

// True once `pid` is gone or a zombie (an orphan waits for init to reap it).
bool Dead(const std::string& pid_text) {
  return ironward::testing::Eventually([&] { return ironward::testing::ProcessGone(std::stoi(pid_text)); },
                                       std::chrono::seconds(5));
}

TEST(RealCommandRunnerTest, CapturesStdoutStderrAndExitCode) {
  RealCommandRunner runner;
  CommandResult r = runner.Run({"sh", "-c", "echo out; echo err >&2; exit 3"}, milliseconds(5000));
  EXPECT_EQ(r.outcome, Outcome::kExited);
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
  EXPECT_FALSE(r.ok());
}

TEST(RealCommandRunnerTest, ArgumentsAreNotInterpretedByAShell) {
  RealCommandRunner runner;
  CommandResult r = runner.Run({"echo", "{{json .SecurityOptions}}", "$HOME", "a;b"}, milliseconds(5000));
  ASSERT_TRUE(r.ok()) << Describe(r, milliseconds(5000));
  EXPECT_EQ(r.out, "{{json .SecurityOptions}} $HOME a;b\n");
}

TEST(RealCommandRunnerTest, SleepIsKilledAtTheTimeout) {
  RealCommandRunner runner;
  const auto start = std::chrono::steady_clock::now();
  CommandResult r = runner.Run({"sleep", "5"}, milliseconds(200));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.outcome, Outcome::kTimedOut);
  EXPECT_GE(elapsed, milliseconds(190));
  EXPECT_LT(elapsed, milliseconds(2000));
  EXPECT_EQ(Describe(r, milliseconds(200)), "timed out after 200 ms");
}

TEST(RealCommandRunnerTest, TimeoutKillsTheWholeProcessGroup) {
  RealCommandRunner runner;
  CommandResult r = runner.Run({"sh", "-c", "sleep 30 & echo $!; exec sleep 30"}, milliseconds(300));
  EXPECT_EQ(r.outcome, Outcome::kTimedOut);
  std::string pid = r.out.substr(0, r.out.find('\n'));
  ASSERT_FALSE(pid.empty());
  EXPECT_TRUE(Dead(pid)) << "background child " << pid << " survived";
}

TEST(RealCommandRunnerTest, ExitedChildLeavesNoStragglerHoldingThePipe) {
  RealCommandRunner runner;
  const auto start = std::chrono::steady_clock::now();
  CommandResult r = runner.Run({"sh", "-c", "sleep 30 & echo $!"}, milliseconds(5000));
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2000));
  EXPECT_EQ(r.outcome, Outcome::kExited);
  EXPECT_EQ(r.exit_code, 0);
  std::string pid = r.out.substr(0, r.out.find('\n'));
  ASSERT_FALSE(pid.empty());
  EXPECT_TRUE(Dead(pid));
}

TEST(RealCommandRunnerTest, MissingBinaryIsReportedDistinctly) {
  RealCommandRunner runner;
  CommandResult r = runner.Run({"ironward-no-such-tool-xyz", "--state"}, milliseconds(1000));
  EXPECT_EQ(r.outcome, Outcome::kNotFound);
  EXPECT_THAT(r.error, HasSubstr(kProbePath));
  EXPECT_EQ(runner.Run({"/nonexistent/bin/tool"}, milliseconds(1000)).outcome, Outcome::kNotFound);
  EXPECT_EQ(runner.Run({"./relative-tool"}, milliseconds(1000)).outcome, Outcome::kNotFound);
  EXPECT_EQ(runner.Run({}, milliseconds(1000)).outcome, Outcome::kSpawnFailed);
}

TEST(RealCommandRunnerTest, OutputIsCapped) {
  RealCommandRunner runner(4096);
  CommandResult r = runner.Run({"head", "-c", "3000000", "/dev/zero"}, milliseconds(5000));
  EXPECT_EQ(r.outcome, Outcome::kExited);
  EXPECT_EQ(r.out.size(), 4096U);
  EXPECT_TRUE(r.truncated);
}

TEST(RealCommandRunnerTest, EndlessOutputIsCappedAndTimedOut) {
  RealCommandRunner runner(1024);
  CommandResult r = runner.Run({"cat", "/dev/zero"}, milliseconds(300));
  EXPECT_EQ(r.outcome, Outcome::kTimedOut);
  EXPECT_EQ(r.out.size(), 1024U);
  EXPECT_TRUE(r.truncated);
}

TEST(RealCommandRunnerTest, EnvironmentIsMinimalAndStdinIsEmpty) {
  ::setenv("IRONWARD_HARDEN_LEAK_CHECK", "secret-value", 1);
  RealCommandRunner runner;
  CommandResult r = runner.Run({"env"}, milliseconds(5000));
  ::unsetenv("IRONWARD_HARDEN_LEAK_CHECK");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.out, std::string("PATH=") + kProbePath + "\nLC_ALL=C\n");
  CommandResult cat = runner.Run({"cat"}, milliseconds(5000));
  EXPECT_TRUE(cat.ok());
  EXPECT_EQ(cat.out, "");
}

TEST(RealCommandRunnerTest, SignalDeathIsNotATimeout) {
  RealCommandRunner runner;
  CommandResult r = runner.Run({"sh", "-c", "kill -SEGV $$"}, milliseconds(5000));
  EXPECT_EQ(r.outcome, Outcome::kSignaled);
  EXPECT_EQ(r.exit_code, SIGSEGV);
}

TEST(RealCommandRunnerTest, IgnoredSigpipeInTheParentIsNotInherited) {
  struct sigaction old {};
  struct sigaction ign {};
  ign.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ign, &old);
  RealCommandRunner runner;
  CommandResult r = runner.Run({"grep", "SigIgn", "/proc/self/status"}, milliseconds(5000));
  ::sigaction(SIGPIPE, &old, nullptr);
  ASSERT_TRUE(r.ok()) << Describe(r, milliseconds(5000));
  // "SigIgn:\t0000000000001000" would mean SIGPIPE (13) is still ignored.
  const unsigned long long ignored = std::stoull(r.out.substr(r.out.find(':') + 1), nullptr, 16);
  EXPECT_EQ(ignored & (1ULL << (SIGPIPE - 1)), 0ULL) << r.out;
}

TEST(RealCommandRunnerTest, AutoReapedChildIsNotMistakenForAHang) {
  struct sigaction old {};
  struct sigaction ign {};
  ign.sa_handler = SIG_IGN;
  ::sigaction(SIGCHLD, &ign, &old);  // the kernel reaps children itself: waitid sees ECHILD
  RealCommandRunner runner;
  const auto start = std::chrono::steady_clock::now();
  CommandResult r = runner.Run({"true"}, milliseconds(5000));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ::sigaction(SIGCHLD, &old, nullptr);
  EXPECT_NE(r.outcome, Outcome::kTimedOut);
  EXPECT_LT(elapsed, milliseconds(2000));
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
}  // namespace ironward::harden
