// /proc identity (starttime + nonce), PID-recycle safety, SIGTERM/SIGKILL, detached starts: the
// real process seam (RealProcesses) against real processes; log rotation.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "daemon_harness.h"
#include "reconcilers/daemon/daemon_control.h"
#include "reconcilers/daemon/log_file.h"
#include "reconcilers/daemon/spawn.h"

namespace ironward::daemon {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;

TEST(ProcessIdentityTest, ParsesStatWithAwkwardCommNames) {
  const std::string stat =
      "1234 (iron) proxy (x)) S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 5 0 987654 1000 50";
  auto st = ParseProcStat(stat);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->state, 'S');
  EXPECT_EQ(st->starttime, 987654u);
  EXPECT_EQ(st->flags, 4194560u);
  EXPECT_FALSE(st->Exiting());
  EXPECT_FALSE(ParseProcStat("1234 (x) S 1 2"));
  // A SIGKILLed process before it is a zombie: state still R, PF_EXITING (0x4) set.
  auto dying = ParseProcStat("77 (p) R 1 77 77 0 -1 4194564 0 0 0 0 0 0 0 0 20 0 1 0 555 0 0");
  ASSERT_TRUE(dying);
  EXPECT_TRUE(dying->Exiting());
}

TEST(ProcessIdentityTest, OwnProcessStarttimeIsStable) {
  RealProcesses processes;
  auto a = processes.ReadStat(::getpid());
  auto b = processes.ReadStat(::getpid());
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->starttime, b->starttime);
  EXPECT_GT(a->starttime, 0u);
  EXPECT_FALSE(processes.ReadStat(0));
}

// A pidfile naming a live, unrelated process (a `sleep`) with a wrong starttime or without our
// nonce: treated as gone, never signalled.
TEST(ProcessIdentityTest, RecycledPidIsNeverSignalled) {
  RealProcesses processes;
  test::DaemonHarness h;
  ChildProcess sleeper({"sleep", "30"});
  ASSERT_GT(sleeper.pid(), 0);
  ASSERT_TRUE(testing::Eventually([&] { return processes.ReadStat(sleeper.pid()).has_value(); }, 2s));
  const auto real_start = processes.ReadStat(sleeper.pid())->starttime;

  for (const std::uint64_t starttime : {real_start + 1, real_start}) {  // wrong starttime; right one, no nonce
    PidRecord rec;
    rec.pid = sleeper.pid();
    rec.nonce = "0123456789abcdef0123456789abcdef";
    rec.starttime = starttime;
    rec.state = RecordState::kRunning;
    ASSERT_TRUE(WritePidRecord(h.state(), rec).ok());
    EXPECT_EQ(processes.CheckIdentity({rec.pid, rec.nonce, rec.starttime}), Liveness::kRecycled);
    EXPECT_FALSE(processes.SignalIfSame({rec.pid, rec.nonce, rec.starttime}, SIGTERM));

    ResourcePlan plan = h.Plan();
    ASSERT_EQ(plan.changes.size(), 1u);
    EXPECT_NE(plan.changes[0].reason.find("pid now belongs to another process"), std::string::npos)
        << plan.changes[0].reason;

    auto stopped = StopProxy(processes, h.state(), 200ms);
    ASSERT_TRUE(stopped.ok()) << stopped.error().message;
    EXPECT_FALSE(stopped->was_running);
    EXPECT_TRUE(sleeper.SurvivesSignalsSentSoFar()) << "the unrelated process must survive";
    EXPECT_TRUE(sleeper.Alive()) << "the unrelated process must survive";
  }
}

// A process that ignores SIGTERM is SIGKILLed after the grace period, and only because it is
// still the very same process.
TEST(ProcessIdentityTest, StopEscalatesToSigkillAfterGrace) {
  RealProcesses processes;
  test::DaemonHarness h;
  ASSERT_TRUE(EnsureProxyHome(h.root()).ok());
  auto log_fd = OpenLogForAppend(h.root());
  ASSERT_TRUE(log_fd.ok());
  const std::string nonce = "feedfacefeedfacefeedfacefeedface";
  SpawnRequest rq;
  rq.binary = "/bin/sh";
  rq.argv = {"sh", "-c", "trap '' TERM; echo ignoring-term; exec sleep 30"};
  rq.env = {"PATH=/usr/bin:/bin", "HOME=" + h.root() + "/proxy-home", std::string(kNonceEnv) + "=" + nonce};
  rq.log_fd = *log_fd;
  rq.cwd = h.root();
  auto pid = processes.SpawnDetached(rq);
  ::close(*log_fd);
  ASSERT_TRUE(pid.ok()) << pid.error().message;
  ASSERT_TRUE(testing::Eventually([&] { return TailLines(h.state()).size() == 1; }, 3s));
  PidRecord rec;
  rec.pid = *pid;
  rec.nonce = nonce;
  rec.starttime = processes.ReadStat(*pid)->starttime;
  rec.state = RecordState::kRunning;
  ASSERT_TRUE(WritePidRecord(h.state(), rec).ok());
  ASSERT_EQ(processes.CheckIdentity({rec.pid, rec.nonce, rec.starttime}), Liveness::kAlive);

  const auto t0 = std::chrono::steady_clock::now();
  auto stopped = StopProxy(processes, h.state(), 600ms);
  const auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_TRUE(stopped.ok()) << stopped.error().message;
  EXPECT_TRUE(stopped->was_running);
  EXPECT_TRUE(stopped->killed);
  EXPECT_GE(took, 600ms);
  EXPECT_NE(processes.CheckIdentity({rec.pid, rec.nonce, rec.starttime}), Liveness::kAlive);
  EXPECT_FALSE(h.Record().has_value()) << "pidfile removed after a stop";
}

// A proxy that no pidfile names is found by its nonce and HOME, also when the state directory is
// reached through a symlink (/proc/<pid>/cwd shows the resolved path), and only for its own
// state directory.
TEST(ProcessIdentityTest, StraysAreFoundThroughASymlinkedStateDirAndOnlyForTheirOwn) {
  RealProcesses processes;
  test::DaemonHarness h;
  ASSERT_TRUE(EnsureProxyHome(h.root()).ok());
  doubletest::TempDir links;
  const std::string linked_root = links.str() + "/state-link";
  ASSERT_EQ(::symlink(h.root().c_str(), linked_root.c_str()), 0);
  auto log_fd = OpenLogForAppend(h.root());
  ASSERT_TRUE(log_fd.ok());
  const std::string nonce = "0badc0de0badc0de0badc0de0badc0de";
  SpawnRequest rq;
  rq.binary = "/bin/sleep";
  rq.argv = {"sleep", "30"};
  // As StartProxy spawns it: HOME under the path ironward was given, cwd that same path.
  rq.env = {"PATH=/usr/bin:/bin", "HOME=" + linked_root + "/proxy-home", std::string(kNonceEnv) + "=" + nonce};
  rq.log_fd = *log_fd;
  rq.cwd = linked_root;
  auto pid = processes.SpawnDetached(rq);
  ::close(*log_fd);
  ASSERT_TRUE(pid.ok()) << pid.error().message;
  const auto st = processes.ReadStat(*pid);
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(processes.ReadWorkingDirectory(*pid), std::filesystem::canonical(h.root()).string());

  const auto found = FindStrays(processes, linked_root, 0);
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].pid, *pid);
  EXPECT_EQ(found[0].nonce, nonce);
  EXPECT_TRUE(FindStrays(processes, h.root(), 0).empty()) << "HOME names the other spelling of the path";
  EXPECT_TRUE(FindStrays(processes, links.str(), 0).empty()) << "another state directory";
  EXPECT_TRUE(FindStrays(processes, linked_root, *pid).empty()) << "the tracked pid is not a stray";
  EXPECT_TRUE(processes.SignalIfSame(found[0], SIGKILL));
  EXPECT_TRUE(WaitGone(processes, found[0], 3s));
}

TEST(ProcessIdentityTest, ExecFailureIsReported) {
  RealProcesses processes;
  test::DaemonHarness h;
  auto log_fd = OpenLogForAppend(h.root());
  ASSERT_TRUE(log_fd.ok());
  SpawnRequest rq{h.root() + "/bin/does-not-exist", {"x"}, {}, *log_fd, h.root()};
  auto pid = processes.SpawnDetached(rq);
  ::close(*log_fd);
  ASSERT_FALSE(pid.ok());
  EXPECT_NE(pid.error().message.find("execve"), std::string::npos) << pid.error().message;
}

TEST(DaemonLogTest, CopyTruncateRotationKeepsTheWriterWorking) {
  test::DaemonHarness h;
  auto fd = OpenLogForAppend(h.root());
  ASSERT_TRUE(fd.ok());
  const std::string chunk(1000, 'x');
  for (int i = 0; i < 3; ++i) ASSERT_EQ(::write(*fd, (chunk + "\n").data(), 1001), 1001);
  auto rotated = RotateIfNeeded(h.state(), 2000);
  ASSERT_TRUE(rotated.ok());
  EXPECT_TRUE(*rotated);
  EXPECT_EQ(std::filesystem::file_size(h.root() + "/iron-proxy.log"), 0u);
  EXPECT_EQ(std::filesystem::file_size(h.root() + "/iron-proxy.log.1"), 3003u);
  ASSERT_EQ(::write(*fd, "after\n", 6), 6);  // the O_APPEND writer lands at the new end
  EXPECT_EQ(std::filesystem::file_size(h.root() + "/iron-proxy.log"), 6u);
  EXPECT_EQ(TailLines(h.state()), std::vector<std::string>{"after"});
  struct stat st {};
  ASSERT_EQ(::stat((h.root() + "/iron-proxy.log.1").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  for (int i = 0; i < 3; ++i) ASSERT_EQ(::write(*fd, (chunk + "\n").data(), 1001), 1001);
  ASSERT_TRUE(*RotateIfNeeded(h.state(), 2000));
  EXPECT_TRUE(std::filesystem::exists(h.root() + "/iron-proxy.log.2"));
  EXPECT_FALSE(*RotateIfNeeded(h.state(), 2000)) << "below the limit: nothing to do";
  ::close(*fd);
}

}  // namespace
}  // namespace ironward::daemon
