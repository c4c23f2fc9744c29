// StartProxy, StopProxy and TerminateIdentified over the fake process seam: what is spawned with
// which environment, which processes are signalled (never a recycled pid), strays, the pidfile.
// The same paths against real processes: process_identity_test.cpp and daemon_real_test.cpp.
#include <signal.h>

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <utility>
#include <vector>

#include "reconcilers/daemon/daemon_control.h"
#include "reconcilers/daemon/process_identity.h"
#include "reconcilers/daemon/spawn.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_processes.h"
#include "tests/support/temp_dir.h"

namespace ironward::daemon {
namespace {

using namespace std::chrono_literals;
using ::ironward::testing::FakeProcesses;
using Signals = std::vector<std::pair<pid_t, int>>;

class DaemonControlTest : public ::testing::Test {
 protected:
  DaemonControlTest() : state_(dir_.path()) {}

  std::string Home() const { return (dir_.path() / kProxyHomeDir).string(); }

  void Track(const ProcessIdentity& id) {
    PidRecord rec;
    rec.pid = id.pid;
    rec.nonce = id.nonce;
    rec.starttime = id.starttime;
    rec.state = RecordState::kRunning;
    ASSERT_TRUE(WritePidRecord(state_, rec).ok());
  }

  std::optional<PidRecord> Record() {
    auto text = state_.Read(kPidFile);
    if (!text.ok() || !text->has_value()) return std::nullopt;
    auto rec = ParsePidRecord(**text);
    return rec.ok() ? std::optional<PidRecord>(*rec) : std::nullopt;
  }

  StartRequest Start() const {
    StartRequest rq;
    rq.binary = "/opt/state/bin/iron-proxy";
    rq.config_path = "/opt/state/proxy.yaml";
    rq.management_key_env = "IRONWARD_MANAGEMENT_KEY";
    rq.management_key = "0123456789abcdef0123456789abcdef";
    rq.secrets = {{"OPENAI_API_KEY", "sk-test-value"}};
    rq.readiness.timeout = 50ms;
    return rq;
  }

  ::ironward::testing::TempDir dir_;
  state::StateWriter state_;
  FakeClock clock_;
  FakeProcesses processes_;
};

TEST_F(DaemonControlTest, SigtermIsEnoughForAProcessThatHeedsIt) {
  const ProcessIdentity id = processes_.AddStarted(101, "n1", 500);
  EXPECT_FALSE(TerminateIdentified(processes_, id, 1s)) << "no SIGKILL was needed";
  EXPECT_EQ(processes_.signals(), (Signals{{101, SIGTERM}}));
  EXPECT_FALSE(processes_.Running(101));
}

TEST_F(DaemonControlTest, SigkillFollowsTheGracePeriod) {
  const ProcessIdentity id = processes_.AddStarted(102, "n2", 500);
  processes_.IgnoreSigterm(102);
  EXPECT_TRUE(TerminateIdentified(processes_, id, 50ms));
  EXPECT_EQ(processes_.signals(), (Signals{{102, SIGTERM}, {102, SIGKILL}}));
  EXPECT_FALSE(processes_.Running(102));
}

TEST_F(DaemonControlTest, ARecycledPidIsNeverSignalled) {
  processes_.AddStarted(103, "someone-else", 777, {"HOME=/elsewhere"});
  const ProcessIdentity recorded{103, "n3", 500};  // another starttime and nonce than the pid's now
  EXPECT_EQ(processes_.CheckIdentity(recorded), Liveness::kRecycled);
  Track(recorded);
  auto stopped = StopProxy(processes_, state_, 50ms);
  ASSERT_TRUE(stopped.ok()) << stopped.error().message;
  EXPECT_FALSE(stopped->was_running);
  EXPECT_EQ(stopped->message, "iron-proxy was not running");
  EXPECT_TRUE(processes_.signals().empty());
  EXPECT_TRUE(processes_.Running(103));
  EXPECT_FALSE(Record()) << "the stale pidfile is removed";
}

TEST_F(DaemonControlTest, StopEndsTheTrackedProxyAndTheStraysOfThisStateDirOnly) {
  Track(processes_.AddStarted(201, "tracked", 10, {"HOME=" + Home()}));
  processes_.AddStarted(202, "stray", 11, {"HOME=" + Home()});
  processes_.AddStarted(203, "other", 12, {"HOME=/elsewhere/proxy-home"});
  auto stopped = StopProxy(processes_, state_, 1s);
  ASSERT_TRUE(stopped.ok()) << stopped.error().message;
  EXPECT_TRUE(stopped->was_running);
  EXPECT_FALSE(stopped->killed);
  EXPECT_EQ(stopped->strays_stopped, 1);
  EXPECT_EQ(stopped->message, "stopped iron-proxy pid 201 (SIGTERM); stopped 1 stray process(es)");
  EXPECT_EQ(processes_.signals(), (Signals{{201, SIGTERM}, {202, SIGTERM}}));
  EXPECT_TRUE(processes_.Running(203)) << "another state dir's proxy";
  EXPECT_FALSE(Record());
}

// The environment (an expensive /proc read) is read only for processes whose working directory
// is the state directory or cannot be read; a process elsewhere is skipped even if its
// environment would match (iron-proxy never changes directory after ironward starts it there).
TEST_F(DaemonControlTest, StraysAreLookedForOnlyWhereIronwardStartsTheProxy) {
  const std::string root = std::filesystem::canonical(dir_.path()).string();
  FakeProcesses::Process here;
  here.stat.state = 'S';
  here.environ = {"HOME=" + Home(), std::string(kNonceEnv) + "=here"};
  here.cwd = root;
  FakeProcesses::Process unreadable = here;
  unreadable.environ = {"HOME=" + Home(), std::string(kNonceEnv) + "=unreadable"};
  unreadable.cwd = "";
  FakeProcesses::Process elsewhere = here;
  elsewhere.environ = {"HOME=" + Home(), std::string(kNonceEnv) + "=elsewhere"};
  elsewhere.cwd = "/srv/other";
  FakeProcesses::Process unrelated = elsewhere;
  unrelated.environ = {"HOME=/root"};
  processes_.Put(301, here);
  processes_.Put(302, unreadable);
  processes_.Put(303, elsewhere);
  for (pid_t pid = 400; pid < 420; ++pid) processes_.Put(pid, unrelated);

  const auto found = FindStrays(processes_, dir_.path(), 0);
  std::vector<std::string> nonces;
  for (const auto& id : found) nonces.push_back(id.nonce);
  EXPECT_EQ(nonces, (std::vector<std::string>{"here", "unreadable"}));
  EXPECT_EQ(processes_.environ_reads(), 2U) << "only 301 and 302 had their environment read";
}

TEST_F(DaemonControlTest, StartSpawnsWithExactlyTheBuiltEnvironmentAfterRecordingTheIntent) {
  processes_.FailSpawns(Error::Transient("spawn: fork: Resource temporarily unavailable"));
  const StartRequest rq = Start();
  auto started = StartProxy(processes_, state_, clock_, rq);
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error().message, "spawn: fork: Resource temporarily unavailable");
  const auto rec = Record();
  ASSERT_TRUE(rec) << "the start intent is written before the spawn";
  EXPECT_EQ(rec->state, RecordState::kStarting);
  ASSERT_EQ(processes_.spawns().size(), 1U);
  const SpawnRequest sp = processes_.spawns()[0];
  EXPECT_EQ(sp.binary, rq.binary);
  EXPECT_EQ(sp.argv, (std::vector<std::string>{"iron-proxy", "-config", rq.config_path}));
  EXPECT_EQ(sp.cwd, dir_.path().string());
  const EnvInputs in{dir_.path().string(), rq.management_key_env, rq.management_key, rec->nonce, rq.secrets, ""};
  EXPECT_EQ(sp.env, *BuildEnvironment(in));
}

TEST_F(DaemonControlTest, AStartThatNeverGetsReadyIsKilledAndRecordedCrashed) {
  auto started = StartProxy(processes_, state_, clock_, Start());
  ASSERT_TRUE(started.ok()) << started.error().message;
  EXPECT_FALSE(started->ready);
  EXPECT_FALSE(started->exited) << "ironward killed it, it did not exit by itself";
  EXPECT_EQ(started->detail, "not ready after 50 ms: proxy.yaml has no metrics listener");
  const pid_t pid = started->record.pid;
  EXPECT_EQ(processes_.signals(), (Signals{{pid, SIGKILL}}));
  EXPECT_FALSE(processes_.Running(pid));
  const auto rec = Record();
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->pid, pid);
  EXPECT_NE(rec->starttime, 0U) << "read from the process after the spawn";
  EXPECT_EQ(rec->state, RecordState::kCrashed);
}

}  // namespace
}  // namespace ironward::daemon
