// `iron-proxy version`: what it is run with (the fake process seam records the request), how each
// way of failing is reported, and real scripts through RealProcesses.
#include "reconcilers/binary/version_probe.h"

#include <signal.h>

#include <cerrno>
#include <chrono>

#include <gtest/gtest.h>

#include "tests/binary/binary_test_util.h"
#include "tests/fakes/fake_processes.h"

namespace ironward::binary {
namespace {

using ::ironward::testing::FakeProcesses;

constexpr const char* kBin = "/state/bin/iron-proxy.new";

TEST(VersionProbeTest, RunsTheBinaryExactlyWithOnlyTheMinimalEnvironment) {
  FakeProcesses processes;
  processes.Set(std::string(kBin) + " version", CommandResult::Exited(0, "0.39.0\n"));
  ASSERT_TRUE(ProbeVersion(processes, kBin).ok());
  ASSERT_EQ(processes.requests().size(), 1U);
  const RunRequest r = processes.requests()[0];
  EXPECT_EQ(r.argv, (std::vector<std::string>{kBin, "version"}));
  EXPECT_EQ(r.env, (std::vector<std::string>{"PATH=/usr/bin:/bin"}));
  EXPECT_EQ(r.search_path, "") << "exec'd as given, never looked up";
  EXPECT_EQ(r.cwd, "/");
  EXPECT_EQ(r.timeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(r.max_output, 64U * 1024U);
}

TEST(VersionProbeTest, EachFailureIsTerminalAndSaysWhat) {
  FakeProcesses processes;
  const std::string what = std::string("`") + kBin + " version`";
  processes.Set(kBin, CommandResult::TimedOut());
  auto v = ProbeVersion(processes, kBin);
  ASSERT_FALSE(v.ok());
  EXPECT_TRUE(v.error().terminal());
  EXPECT_EQ(v.error().message, what + " did not finish within 5 s");

  CommandResult killed;
  killed.outcome = CommandResult::Outcome::kSignaled;
  killed.exit_code = SIGKILL;
  processes.Set(kBin, killed);
  v = ProbeVersion(processes, kBin);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().message, what + " was killed by signal 9");

  processes.Set(kBin, CommandResult::Exited(0, "\n"));
  v = ProbeVersion(processes, kBin);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().message, what + " printed nothing");

  CommandResult no_exec = CommandResult::SpawnFailed(std::string("exec ") + kBin + ": Exec format error");
  no_exec.exec_errno = ENOEXEC;
  processes.Set(kBin, no_exec);
  v = ProbeVersion(processes, kBin);
  ASSERT_FALSE(v.ok());
  EXPECT_TRUE(v.error().terminal());
  EXPECT_EQ(v.error().message, std::string("cannot execute ") + kBin + ": Exec format error");
}

TEST(VersionProbeTest, NoPipeOrForkIsTransient) {
  FakeProcesses processes;
  processes.Set(kBin, CommandResult::SpawnFailed("fork: Resource temporarily unavailable"));
  auto v = ProbeVersion(processes, kBin);
  ASSERT_FALSE(v.ok());
  EXPECT_FALSE(v.error().terminal());
  EXPECT_EQ(v.error().message, "fork: Resource temporarily unavailable");
}

TEST(VersionProbeTest, ReturnsTheFirstLineTrimmed) {
  testing::TempDir dir;
  const auto bin = dir.path() / "iron-proxy";
  testing::WriteFile(bin, "#!/bin/sh\n[ \"$1\" = version ] || exit 9\necho '  0.39.0  '\necho extra\n", 0755);
  RealProcesses processes;
  auto v = ProbeVersion(processes, bin);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(*v, "0.39.0");
}

TEST(VersionProbeTest, NonZeroExitIsTerminalAndQuotesStderr) {
  testing::TempDir dir;
  const auto bin = dir.path() / "iron-proxy";
  testing::WriteFile(bin, "#!/bin/sh\necho 'bad things' >&2\nexit 3\n", 0755);
  RealProcesses processes;
  auto v = ProbeVersion(processes, bin);
  ASSERT_FALSE(v.ok());
  EXPECT_TRUE(v.error().terminal());
  EXPECT_NE(v.error().message.find("exited with status 3: bad things"), std::string::npos) << v.error().message;
}

TEST(VersionProbeTest, NonExecutableIsTerminal) {
  testing::TempDir dir;
  const auto bin = dir.path() / "iron-proxy";
  testing::WriteFile(bin, "not a program", 0644);
  RealProcesses processes;
  auto v = ProbeVersion(processes, bin);
  ASSERT_FALSE(v.ok());
  EXPECT_TRUE(v.error().terminal());
  EXPECT_EQ(v.error().message, "cannot execute " + bin.string() + ": Permission denied");
}

TEST(VersionProbeTest, KillsAHangingBinaryAtTheTimeout) {
  testing::TempDir dir;
  const auto bin = dir.path() / "iron-proxy";
  testing::WriteFile(bin, "#!/bin/sh\nexec sleep 30\n", 0755);
  RealProcesses processes;
  RunRequest request = VersionCommand(bin);
  request.timeout = std::chrono::milliseconds(300);
  const auto start = std::chrono::steady_clock::now();
  const CommandResult r = processes.RunProgram(request);
  EXPECT_EQ(r.outcome, CommandResult::Outcome::kTimedOut);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

}  // namespace
}  // namespace ironward::binary
