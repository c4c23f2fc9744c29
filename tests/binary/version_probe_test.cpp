#include "reconcilers/binary/version_probe.h"

#include <stdlib.h>

#include <chrono>

#include <gtest/gtest.h>

#include "tests/binary/binary_test_util.h"

namespace ironward::binary {
namespace {

TEST(VersionProbeTest, RunsWithOnlyTheMinimalEnvironment) {
  ::setenv("IRONWARD_PROBE_TEST_TOKEN", "must-not-leak", 1);
  auto r = RunProcess({"/usr/bin/env"}, {kProbeEnv}, kProbeTimeout);
  ::unsetenv("IRONWARD_PROBE_TEST_TOKEN");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(r->out, "PATH=/usr/bin:/bin\n");
}

TEST(VersionProbeTest, ReturnsTheFirstLineTrimmed) {
  testing::TempDir dir;
  const auto bin = dir.path() / "iron-proxy";
  testing::WriteFile(bin, "#!/bin/sh\n[ \"$1\" = version ] || exit 9\necho '  0.39.0  '\necho extra\n", 0755);
  auto v = ProbeVersion(bin);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(*v, "0.39.0");
}

TEST(VersionProbeTest, NonZeroExitIsTerminalAndQuotesStderr) {
  testing::TempDir dir;
  const auto bin = dir.path() / "iron-proxy";
  testing::WriteFile(bin, "#!/bin/sh\necho 'bad things' >&2\nexit 3\n", 0755);
  auto v = ProbeVersion(bin);
  ASSERT_FALSE(v.ok());
  EXPECT_TRUE(v.error().terminal());
  EXPECT_NE(v.error().message.find("exited with status 3: bad things"), std::string::npos) << v.error().message;
}

TEST(VersionProbeTest, NonExecutableIsTerminal) {
  testing::TempDir dir;
  const auto bin = dir.path() / "iron-proxy";
  testing::WriteFile(bin, "not a program", 0644);
  auto v = ProbeVersion(bin);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.error().message.find("cannot execute"), std::string::npos) << v.error().message;
}

TEST(VersionProbeTest, KillsAHangingProcessAtTheTimeout) {
  const auto start = std::chrono::steady_clock::now();
  auto r = RunProcess({"/bin/sleep", "30"}, {kProbeEnv}, std::chrono::milliseconds(300));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->timed_out);
  EXPECT_EQ(r->term_signal, SIGKILL);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

}  // namespace
}  // namespace ironward::binary
