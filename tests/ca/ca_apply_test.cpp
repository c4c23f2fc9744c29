// CaReconciler apply: file modes, archive on rotation, interrupted-rotation recovery, stale
// plans and status details.
#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>

#include <atomic>
#include <thread>
#include <vector>

#include "reconcilers/ca/ca_apply.h"
#include "tests/ca/ca_test_util.h"

namespace ironward::ca::testing {
namespace {

using std::chrono::hours;

/// Records every file created in (or renamed into) a directory and its mode as soon as the event
/// arrives. Best effort for the mode (a file may already be renamed away); the names are exact.
class CreationWatcher {
 public:
  explicit CreationWatcher(const fs::path& dir)
      : fd_(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK)),
        dir_fd_(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {
    ::inotify_add_watch(fd_, dir.c_str(), IN_CREATE | IN_MOVED_TO);
    thread_ = std::thread([this] { Loop(); });
  }
  ~CreationWatcher() {
    Stop();
    ::close(fd_);
    ::close(dir_fd_);
  }
  CreationWatcher(const CreationWatcher&) = delete;
  CreationWatcher& operator=(const CreationWatcher&) = delete;

  struct Event {
    std::string name;
    bool created = false;  ///< IN_CREATE (else renamed in)
    int mode = -1;         ///< -1 when it was gone before it could be stat'ed
  };
  std::vector<Event> Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    return seen_;
  }

 private:
  void Loop() {
    alignas(inotify_event) char buf[8192];
    bool last = false;
    while (!last) {
      last = stop_;  // one more drain after Stop()
      pollfd p{fd_, POLLIN, 0};
      ::poll(&p, 1, 5);
      const ssize_t n = ::read(fd_, buf, sizeof(buf));
      for (ssize_t off = 0; n > 0 && off < n;) {
        const auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
        if (ev->len > 0) {
          struct stat st {};
          const bool ok = ::fstatat(dir_fd_, ev->name, &st, AT_SYMLINK_NOFOLLOW) == 0;
          seen_.push_back({ev->name, (ev->mask & IN_CREATE) != 0, ok ? static_cast<int>(st.st_mode & 07777) : -1});
        }
        off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
      }
    }
  }

  int fd_;
  int dir_fd_;
  std::atomic<bool> stop_{false};
  std::vector<Event> seen_;
  std::thread thread_;
};

class CaApplyTest : public CaFixture {};

TEST_F(CaApplyTest, KeyIsPrivateFromItsFirstByteAndNoTempFilesRemain) {
  ASSERT_TRUE(writer_.EnsureRoot().ok());
  CreationWatcher watcher(root_);
  Converge();
  const auto seen = watcher.Stop();
  EXPECT_EQ(ModeOf(P("ca.key")), 0600U);  // right after apply
  bool saw_key = false;
  for (const auto& e : seen) {
    if (e.created) {
      EXPECT_NE(e.name, "ca.key") << "ca.key must be renamed into place, never created in place";
    }
    if (Contains(e.name, "key")) {
      saw_key = true;
      if (e.mode >= 0) {
        EXPECT_EQ(e.mode & 077, 0) << e.name << " had mode " << std::oct << e.mode;
      }
    }
  }
  EXPECT_TRUE(saw_key);
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(root_)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"ca-trust.pem", "ca.crt", "ca.key"}));
  EXPECT_EQ(Read("ca-trust.pem"), Read("ca.crt"));  // steady state: the bundle is the active CA
  EXPECT_EQ(ModeOf(P("ca-trust.pem")), 0644U);
}

TEST_F(CaApplyTest, ReplacingABrokenCaArchivesOldPairBeforeMintingNew) {
  Converge();
  const std::string old_crt = Read("ca.crt");
  const std::string old_key = Read("ca.key");
  clock_.Advance(hours(1));
  Write("ca.crt", Mint(1).cert_pem, 0644);  // the key no longer matches: iron-proxy would refuse it
  const std::string broken_crt = Read("ca.crt");
  Outcome out = Apply(Plan());
  ASSERT_EQ(out.changed, 1) << out.message;
  EXPECT_TRUE(Contains(out.message, "ca.key does not match ca.crt")) << out.message;

  EXPECT_NE(Read("ca.key"), old_key);
  EXPECT_NE(Read("ca.crt"), old_crt);
  const std::string base = "ca-archive/ca-r1-" + std::string("20260101T010000Z");
  EXPECT_EQ(Read(base + ".crt"), broken_crt);
  EXPECT_EQ(Read(base + ".key"), old_key);
  EXPECT_EQ(ModeOf(P(base + ".crt")), 0644U);
  EXPECT_EQ(ModeOf(P(base + ".key")), 0600U);
  EXPECT_FALSE(Exists("ca.new.key"));
  EXPECT_FALSE(Exists("ca.new.crt"));
  EXPECT_EQ(Read("ca-trust.pem"), Read("ca.crt"));
  EXPECT_TRUE(Plan().InSync());
  EXPECT_EQ(facts_.ca->fingerprint_sha256, InfoOf("ca.crt").fingerprint_sha256);
}

TEST_F(CaApplyTest, ArchivingTheSamePairTwiceKeepsOneCopy) {
  Converge();
  state::StateReader reader(root_);
  const CaPair live = MakePair(Read("ca.crt"), Read("ca.key"), "ca.crt", "ca.key");
  Result<std::string> a = ArchivePair(writer_, live, clock_.Now());
  clock_.Advance(hours(2));
  Result<std::string> b = ArchivePair(writer_, live, clock_.Now());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  Result<std::vector<std::string>> names = reader.List("ca-archive");
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(names->size(), 2U);
}

TEST_F(CaApplyTest, CompletesHalfSwappedRotation) {
  Converge();
  const std::string old_crt = Read("ca.crt");
  Spec().rotation = 2;
  // State after "ca.after-key-swap": ca.new.key already renamed over ca.key, ca.crt still old.
  const GeneratedCa next = Mint(2);
  Write("ca.key", next.key_pem, 0600);
  Write("ca.new.crt", next.cert_pem, 0644);

  ResourcePlan plan = Plan();
  ASSERT_EQ(plan.changes.size(), 1U);
  EXPECT_EQ(plan.changes[0].action, Action::kUpdate);
  EXPECT_FALSE(plan.changes[0].disruptive);
  EXPECT_TRUE(Contains(plan.changes[0].reason, "complete interrupted rotation")) << plan.changes[0].reason;
  EXPECT_FALSE(facts_.ca->pending);
  EXPECT_EQ(facts_.ca->fingerprint_sha256, ParseCertificate(next.cert_pem)->fingerprint_sha256);

  ASSERT_EQ(Apply(plan).changed, 1);
  EXPECT_EQ(Read("ca.crt"), next.cert_pem);  // finished, not minted again
  EXPECT_EQ(Read("ca.key"), next.key_pem);
  EXPECT_FALSE(Exists("ca.new.crt"));
  EXPECT_NE(Read("ca.crt"), old_crt);
  EXPECT_TRUE(Plan().InSync());
}

TEST_F(CaApplyTest, CompletesStagedPairInsteadOfMintingAgain) {
  Spec().validity = hours(10);
  Converge();
  const std::string old_key = Read("ca.key");
  clock_.Advance(hours(11));  // expired: replaced at once, no staged rotation
  // State after staging both files but before any swap ("ca.after-new-key" + ca.new.crt).
  const GeneratedCa next = Mint(1);
  Write("ca.new.key", next.key_pem, 0600);
  Write("ca.new.crt", next.cert_pem, 0644);
  ResourcePlan plan = Plan();
  ASSERT_EQ(plan.changes.size(), 1U);
  EXPECT_TRUE(plan.changes[0].disruptive);  // the live CA is still the old one
  EXPECT_TRUE(Contains(plan.changes[0].reason, "complete interrupted rotation: CA expired at")) << plan.changes[0].reason;
  ASSERT_EQ(Apply(plan).changed, 1);
  EXPECT_EQ(Read("ca.crt"), next.cert_pem);
  EXPECT_EQ(Read("ca.key"), next.key_pem);
  EXPECT_EQ(Read("ca-trust.pem"), next.cert_pem);
  EXPECT_FALSE(Exists("ca.new.key"));
  Result<std::vector<std::string>> names = state::StateReader(root_).List("ca-archive");
  ASSERT_TRUE(names.ok());
  ASSERT_EQ(names->size(), 2U);  // the old pair is archived (once)
  EXPECT_EQ(Read("ca-archive/" + names->at(1)), old_key);
}

TEST_F(CaApplyTest, FirstCreateInterruptedAfterStagingCompletes) {
  const GeneratedCa staged = Mint(1);
  Write("ca.new.key", staged.key_pem, 0600);
  Write("ca.new.crt", staged.cert_pem, 0644);
  ::chmod(root_.c_str(), 0700);
  ResourcePlan plan = Plan();
  ASSERT_EQ(plan.changes.size(), 1U);
  EXPECT_FALSE(plan.changes[0].disruptive);
  ASSERT_EQ(Apply(plan).changed, 1);
  EXPECT_EQ(Read("ca.crt"), staged.cert_pem);
  EXPECT_FALSE(fs::exists(P("ca-archive")));
}

TEST_F(CaApplyTest, OrphanStagedKeyIsRemovedWhenARotationStages) {
  Converge();
  const std::string live_key = Read("ca.key");
  Spec().rotation = 2;
  const std::string orphan = Mint(2).key_pem;
  Write("ca.new.key", orphan, 0600);  // an earlier immediate replace died at "ca.after-new-key"
  ResourcePlan plan = Plan();
  ASSERT_EQ(plan.changes.size(), 1U);
  EXPECT_TRUE(Contains(plan.changes[0].reason, "ca.rotation 1 -> 2: stage the next CA")) << plan.changes[0].reason;
  ASSERT_EQ(Apply(plan).changed, 1);
  EXPECT_EQ(Read("ca.key"), live_key);
  EXPECT_EQ(InfoOf("ca-next.crt").rotation, 2);
  EXPECT_NE(Read("ca-next.key"), orphan);
  EXPECT_FALSE(Exists("ca.new.key"));
  EXPECT_TRUE(Plan().InSync());  // staged; the switch waits for a converged run
}

TEST_F(CaApplyTest, RemovesLeftoverStagedFilesNextToValidPair) {
  Converge();
  const auto live = Snapshot(root_);
  // Stray staged copies next to a valid pair (renames never leave these; an operator might).
  Write("ca.new.crt", Read("ca.crt"), 0644);
  Write("ca.new.key", Read("ca.key"), 0600);
  ResourcePlan plan = Plan();
  ASSERT_EQ(plan.changes.size(), 1U);
  EXPECT_EQ(plan.changes[0].action, Action::kUpdate);
  EXPECT_FALSE(plan.changes[0].disruptive);
  EXPECT_TRUE(Contains(plan.changes[0].reason, "remove leftover ca.new.*"));
  ASSERT_EQ(Apply(plan).changed, 1);
  EXPECT_EQ(Snapshot(root_), live);
}

TEST_F(CaApplyTest, RefusesStalePlan) {
  Converge();
  Spec().rotation = 2;
  ResourcePlan plan = Plan();
  ::chmod(P("ca.crt").c_str(), 0600);  // the files moved after the plan was made
  const auto before = Snapshot(root_);
  Outcome out = Apply(plan);
  EXPECT_EQ(out.kind, Outcome::Kind::kRetry);
  EXPECT_EQ(out.reason, "StalePlan");
  EXPECT_EQ(Snapshot(root_), before);
}

TEST_F(CaApplyTest, NeverAppliesADisruptiveChangeThePlanDidNotShow) {
  Spec().validity = hours(300);
  Converge();
  ::chmod(P("ca.key").c_str(), 0644);
  ResourcePlan plan = Plan();  // a harmless chmod...
  ASSERT_EQ(plan.changes.size(), 1U);
  ASSERT_FALSE(plan.changes[0].disruptive);
  clock_.Advance(hours(250));  // ...but renewal became due before apply
  const auto before = Snapshot(root_);
  Outcome out = Apply(plan);
  EXPECT_EQ(out.kind, Outcome::Kind::kRetry);
  EXPECT_EQ(out.reason, "StalePlan");
  EXPECT_EQ(Snapshot(root_), before);
}

TEST_F(CaApplyTest, StatusDetailsShowFingerprintAndTimes) {
  Spec().validity = hours(300);
  state::StateReader reader(root_);
  Result<std::optional<nlohmann::json>> missing = ReadCaStatus(reader, Spec());
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  Converge();
  Result<std::optional<nlohmann::json>> status = ReadCaStatus(reader, Spec());
  ASSERT_TRUE(status.ok() && status->has_value());
  const nlohmann::json& j = **status;
  EXPECT_EQ(j["fingerprint_sha256"], InfoOf("ca.crt").fingerprint_sha256);
  EXPECT_EQ(j["not_before"], "2025-12-31T23:59:00Z");
  EXPECT_EQ(j["not_after"], "2026-01-13T12:00:00Z");
  EXPECT_EQ(j["renewal_time"], "2026-01-09T07:59:40Z");  // notBefore + 2/3 of 300h1m = 200h0m40s
  EXPECT_EQ(j["algorithm"], "ecdsa-p256");
  EXPECT_EQ(j["rotation"], 1);
  Spec().renew_before = hours(24);
  EXPECT_EQ((*ReadCaStatus(reader, Spec()))->at("renewal_time"), "2026-01-12T12:00:00Z");
}

TEST_F(CaApplyTest, DefaultAlgorithmIsRsa4096) {
  Spec() = spec::CaSpec{};
  Converge();
  const CaInfo info = InfoOf("ca.crt");
  EXPECT_EQ(info.algorithm, "rsa-4096");
  EXPECT_EQ(Read("ca.key").rfind("-----BEGIN PRIVATE KEY-----", 0), 0U);
  EXPECT_EQ(ModeOf(P("ca.key")), 0600U);
  EXPECT_TRUE(Plan().InSync());
}

}  // namespace
}  // namespace ironward::ca::testing
