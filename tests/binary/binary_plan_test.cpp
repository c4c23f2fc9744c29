// Plans (Observe + Diff) from state files written by the test: no network, fake processes.
#include <fcntl.h>
#include <sys/stat.h>

#include <cstdio>

#include <gtest/gtest.h>

#include "reconcilers/binary/binary_reconciler.h"
#include "reconcilers/io/http_client.h"
#include "tests/binary/binary_test_util.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_processes.h"
#include "tests/fakes/scripted_http_client.h"

namespace ironward::binary {
namespace {

using testing::ModeOf;
using testing::TempDir;

const std::string kPin(64, 'a');
const std::string kContent = "#!/bin/sh\necho 0.39.0\n";

/// Fails every request: a plan must never touch the network (its requests are counted).
Result<HttpResponse> NetworkDisabled(const HttpRequest&) { return Error::Transient("network disabled in this test"); }

class BinaryPlanTest : public ::testing::Test {
 protected:
  BinaryPlanTest() : writer_(dir_.path() / "state") {
    desired_.spec.proxy.version = "0.39.0";
    desired_.spec.proxy.source.url = "https://example.invalid/v{version}/iron-proxy_{version}_{os}_{arch}.tar.gz";
    desired_.spec.proxy.source.sha256 = kPin;
  }

  BinaryReconciler Reconciler() {
    BinaryOptions o;
    o.platform = Platform{"linux", "amd64"};
    processes_->Set(Path(kStagingFile).string(), CommandResult::Exited(0, "0.39.0\n"));
    o.processes = processes_;
    o.sleep = [](std::chrono::milliseconds) {};
    return BinaryReconciler(o);
  }

  ResourcePlan Plan(DriftCheck drift_check = DriftCheck::kInspect) {
    auto r = Reconciler();
    ReconcileContext ctx{desired_, facts_};
    ctx.drift_check = drift_check;
    return r.Plan(ctx, ReadDeps{clock_, writer_, &http_});
  }

  Outcome Apply(HttpClient* http) {
    auto r = Reconciler();
    ReconcileContext ctx{desired_, facts_};
    WriteDeps deps{clock_, writer_, http};
    const ResourcePlan plan = r.Plan(ctx, deps.Read());
    return r.Apply(ctx, plan, deps);
  }

  /// Writes what a finished install leaves behind.
  void Installed(const std::string& content, const std::string& version = "0.39.0") {
    ASSERT_TRUE(writer_.WriteAtomic(kBinaryFile, content, 0755).ok());
    InstallRecord rec;
    rec.version = version;
    rec.tarball_sha256 = kPin;
    rec.binary_sha256 = Sha256Hex(content);
    rec.source_url = "https://example.invalid/x.tar.gz";
    ASSERT_TRUE(writer_.WriteAtomic(kRecordFile, SerializeInstallRecord(rec), 0600).ok());
  }

  std::filesystem::path Path(const char* name) const { return writer_.PathOf(name); }

  /// Rewrites the install record claiming `sha256` for the binary as it is on disk now.
  void RecordIdentityClaiming(const std::string& sha256) {
    auto record = ParseInstallRecord(testing::ReadFile(Path(kRecordFile)));
    ASSERT_TRUE(record.ok());
    auto stat = writer_.Stat(kBinaryFile);
    ASSERT_TRUE(stat.ok() && stat->exists);
    record->binary_sha256 = sha256;
    record->binary_identity = state::IdentityOf(*stat);
    ASSERT_TRUE(writer_.WriteAtomic(kRecordFile, SerializeInstallRecord(*record), 0600).ok());
  }

  /// Overwrites the binary in place (same inode, same size) and sets its mtime back.
  void EditInPlaceKeepingSizeAndMtime(const std::string& content) {
    struct stat before {};
    ASSERT_EQ(::stat(Path(kBinaryFile).c_str(), &before), 0);
    FILE* f = std::fopen(Path(kBinaryFile).c_str(), "r+b");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(std::fwrite(content.data(), 1, content.size(), f), content.size());
    std::fclose(f);
    const struct timespec times[2] = {before.st_atim, before.st_mtim};
    ASSERT_EQ(::utimensat(AT_FDCWD, Path(kBinaryFile).c_str(), times, 0), 0);
    struct stat after {};
    ASSERT_EQ(::stat(Path(kBinaryFile).c_str(), &after), 0);
    ASSERT_EQ(after.st_ino, before.st_ino);
    ASSERT_EQ(after.st_size, before.st_size);
    ASSERT_EQ(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
  }

  TempDir dir_;
  state::StateWriter writer_;
  FakeClock clock_;
  spec::DesiredState desired_;
  Facts facts_;
  ironward::testing::ScriptedHttpClient http_{NetworkDisabled};
  using FakeProcesses = ::ironward::testing::FakeProcesses;
  std::shared_ptr<FakeProcesses> processes_ = std::make_shared<FakeProcesses>();
};

TEST_F(BinaryPlanTest, MissingBinaryIsPlannedAsCreateWithoutNetwork) {
  const ResourcePlan plan = Plan();
  ASSERT_FALSE(plan.error) << plan.error->message;
  ASSERT_EQ(plan.changes.size(), 1U);
  EXPECT_EQ(plan.changes[0].action, Action::kCreate);
  EXPECT_EQ(plan.changes[0].address, "binary.iron-proxy");
  EXPECT_EQ(plan.changes[0].after["version"], "0.39.0");
  EXPECT_EQ(plan.changes[0].after["source"],
            "https://example.invalid/v0.39.0/iron-proxy_0.39.0_linux_amd64.tar.gz");
  ASSERT_TRUE(facts_.binary);
  EXPECT_TRUE(facts_.binary->pending);
  EXPECT_EQ(facts_.binary->path, Path(kBinaryFile).string());
  EXPECT_EQ(http_.requests().size(), 0U);
  EXPECT_TRUE(processes_->requests().empty()) << "a plan runs nothing";
}

TEST_F(BinaryPlanTest, IntactInstallIsInSync) {
  Installed(kContent);
  const ResourcePlan plan = Plan();
  EXPECT_TRUE(plan.InSync()) << (plan.changes.empty() ? "" : plan.changes[0].reason);
  ASSERT_TRUE(facts_.binary);
  EXPECT_FALSE(facts_.binary->pending);
  EXPECT_EQ(facts_.binary->sha256, Sha256Hex(kContent));
  EXPECT_EQ(facts_.binary->version, "0.39.0");
  EXPECT_EQ(plan.details["version"], "0.39.0");
  EXPECT_EQ(plan.details["sha256"], Sha256Hex(kContent).substr(0, 12));
  EXPECT_EQ(http_.requests().size(), 0U);
}

TEST_F(BinaryPlanTest, TamperedBinaryIsPlannedAsReplace) {
  Installed(kContent);
  testing::WriteFile(Path(kBinaryFile), "#!/bin/sh\necho evil\n", 0755);
  const ResourcePlan plan = Plan();
  ASSERT_EQ(plan.changes.size(), 1U);
  EXPECT_EQ(plan.changes[0].action, Action::kReplace);
  EXPECT_EQ(plan.changes[0].reason, "installed binary sha256 " + Sha256Hex("#!/bin/sh\necho evil\n") +
                                        " != recorded " + Sha256Hex(kContent));
  EXPECT_TRUE(facts_.binary->pending);
}

// The recorded identity is what a pass trusts instead of hashing: a record claiming a digest for
// the file as it is now is believed (the file is not read) unless the pass is a full check.
TEST_F(BinaryPlanTest, AnUnchangedIdentityIsTrustedAndAFullCheckHashes) {
  Installed("#!/bin/sh\necho evil\n");
  RecordIdentityClaiming(Sha256Hex("#!/bin/sh\necho evil\n"));
  EXPECT_TRUE(Plan().InSync());
  RecordIdentityClaiming(Sha256Hex(kContent));  // a claim that hashing would refute
  EXPECT_TRUE(Plan().InSync()) << "an unchanged identity is trusted without reading the file";
  EXPECT_TRUE(Plan(DriftCheck::kListed).InSync()) << "run's passes between drift checks trust it too";
  const ResourcePlan full = Plan(DriftCheck::kFull);
  ASSERT_EQ(full.changes.size(), 1U);
  EXPECT_EQ(full.changes[0].action, Action::kReplace);
  EXPECT_NE(full.changes[0].reason.find("!= recorded " + Sha256Hex(kContent)), std::string::npos)
      << full.changes[0].reason;
}

TEST_F(BinaryPlanTest, AnEditKeepingSizeAndMtimeChangesTheIdentityAndIsCaught) {
  Installed(kContent);
  RecordIdentityClaiming(Sha256Hex(kContent));
  ASSERT_TRUE(Plan().InSync());
  const std::string evil = "#!/bin/sh\necho 6.66.6\n";
  ASSERT_EQ(evil.size(), kContent.size());
  EditInPlaceKeepingSizeAndMtime(evil);  // only ctime tells
  const ResourcePlan plan = Plan();
  ASSERT_EQ(plan.changes.size(), 1U);
  EXPECT_EQ(plan.changes[0].action, Action::kReplace);
  EXPECT_NE(plan.changes[0].reason.find(Sha256Hex(evil)), std::string::npos) << plan.changes[0].reason;
}

TEST_F(BinaryPlanTest, AFileRenamedOverTheBinaryIsCaught) {
  Installed(kContent);
  RecordIdentityClaiming(Sha256Hex(kContent));
  testing::WriteFile(Path("bin/other"), "#!/bin/sh\necho 6.66.6\n", 0755);
  std::filesystem::rename(Path("bin/other"), Path(kBinaryFile));
  const ResourcePlan plan = Plan();
  ASSERT_EQ(plan.changes.size(), 1U);
  EXPECT_EQ(plan.changes[0].action, Action::kReplace);
}

TEST_F(BinaryPlanTest, AModeRepairRecordsTheBinarysNewIdentity) {
  Installed(kContent);
  RecordIdentityClaiming(Sha256Hex(kContent));
  ASSERT_EQ(::chmod(Path(kBinaryFile).c_str(), 0700), 0);  // moves ctime
  const Outcome o = Apply(&http_);
  ASSERT_EQ(o.kind, Outcome::Kind::kDone) << o.message;
  EXPECT_EQ(o.changed, 1);
  auto record = ParseInstallRecord(testing::ReadFile(Path(kRecordFile)));
  ASSERT_TRUE(record.ok());
  auto stat = writer_.Stat(kBinaryFile);
  ASSERT_TRUE(record->binary_identity);
  EXPECT_EQ(*record->binary_identity, state::IdentityOf(*stat));
  EXPECT_EQ(record->binary_sha256, Sha256Hex(kContent));
  EXPECT_EQ(testing::ModeOf(Path(kRecordFile)), 0600U);
}

TEST_F(BinaryPlanTest, ARecordWithoutIdentityStillParsesAndTheBinaryIsHashed) {
  Installed(kContent);  // as ironward wrote records before binary_identity
  auto record = ParseInstallRecord(testing::ReadFile(Path(kRecordFile)));
  ASSERT_TRUE(record.ok());
  EXPECT_FALSE(record->binary_identity);
  EXPECT_EQ(testing::ReadFile(Path(kRecordFile)).find("binary_identity"), std::string::npos);
  testing::WriteFile(Path(kBinaryFile), "#!/bin/sh\necho evil\n", 0755);
  EXPECT_EQ(Plan().changes.size(), 1U);
}

TEST_F(BinaryPlanTest, DeletedBinaryIsPlannedAsCreate) {
  Installed(kContent);
  std::filesystem::remove(Path(kBinaryFile));
  const ResourcePlan plan = Plan();
  ASSERT_EQ(plan.changes.size(), 1U);
  EXPECT_EQ(plan.changes[0].action, Action::kCreate);
  EXPECT_NE(plan.changes[0].reason.find("missing"), std::string::npos) << plan.changes[0].reason;
}

TEST_F(BinaryPlanTest, VersionChangeIsPlannedAsDisruptiveReplace) {
  Installed(kContent);
  desired_.spec.proxy.version = "0.45.0";
  const ResourcePlan plan = Plan();
  ASSERT_EQ(plan.changes.size(), 1U);
  EXPECT_EQ(plan.changes[0].action, Action::kReplace);
  EXPECT_EQ(plan.changes[0].reason, "version 0.39.0 -> 0.45.0");
  EXPECT_TRUE(plan.changes[0].disruptive);
  EXPECT_EQ(facts_.binary->version, "0.45.0");
}

TEST_F(BinaryPlanTest, PinnedDigestChangeIsPlannedAsReplace) {
  Installed(kContent);
  desired_.spec.proxy.source.sha256 = std::string(64, 'b');
  const ResourcePlan plan = Plan();
  ASSERT_EQ(plan.changes.size(), 1U);
  EXPECT_EQ(plan.changes[0].action, Action::kReplace);
  EXPECT_EQ(plan.changes[0].reason, "pinned archive sha256 aaaaaaaaaaaa -> bbbbbbbbbbbb");
}

TEST_F(BinaryPlanTest, MissingOrCorruptRecordIsPlannedAsReplace) {
  Installed(kContent);
  testing::WriteFile(Path(kRecordFile), "{not json", 0600);
  ResourcePlan plan = Plan();
  ASSERT_EQ(plan.changes.size(), 1U);
  EXPECT_EQ(plan.changes[0].action, Action::kReplace);
  EXPECT_NE(plan.changes[0].reason.find("install record is unreadable"), std::string::npos);

  std::filesystem::remove(Path(kRecordFile));
  plan = Plan();
  ASSERT_EQ(plan.changes.size(), 1U);
  EXPECT_NE(plan.changes[0].reason.find("no install record"), std::string::npos);
}

TEST_F(BinaryPlanTest, ModeDriftIsAnUpdateFixedWithoutDownloading) {
  Installed(kContent);
  ::chmod(Path(kBinaryFile).c_str(), 0644);
  ::chmod(Path(kRecordFile).c_str(), 0644);
  const ResourcePlan plan = Plan();
  ASSERT_EQ(plan.changes.size(), 1U);
  EXPECT_EQ(plan.changes[0].action, Action::kUpdate);
  EXPECT_EQ(plan.changes[0].reason, "mode 0644 is not 0755; bin/iron-proxy.json mode 0644 is not 0600");
  EXPECT_FALSE(facts_.binary->pending);

  const Outcome o = Apply(nullptr);
  EXPECT_EQ(o.kind, Outcome::Kind::kDone) << o.message;
  EXPECT_EQ(o.changed, 1);
  EXPECT_EQ(ModeOf(Path(kBinaryFile)), 0755U);
  EXPECT_EQ(ModeOf(Path(kRecordFile)), 0600U);
  EXPECT_TRUE(Plan().InSync());
}

TEST_F(BinaryPlanTest, SymlinkPlantedAtBinaryPathIsRefused) {
  Installed(kContent);
  const auto victim = dir_.path() / "victim";
  testing::WriteFile(victim, "do not touch", 0644);
  std::filesystem::remove(Path(kBinaryFile));
  std::filesystem::create_symlink(victim, Path(kBinaryFile));
  const ResourcePlan plan = Plan();
  ASSERT_TRUE(plan.error);
  EXPECT_TRUE(plan.error->terminal());
  EXPECT_NE(plan.error->message.find("symlink"), std::string::npos) << plan.error->message;
  const Outcome o = Apply(&http_);
  EXPECT_EQ(o.kind, Outcome::Kind::kTerminal);
  EXPECT_EQ(testing::ReadFile(victim), "do not touch");
  EXPECT_TRUE(std::filesystem::is_symlink(Path(kBinaryFile)));
}

TEST_F(BinaryPlanTest, SymlinkedBinDirectoryIsRefused) {
  ASSERT_TRUE(writer_.EnsureRoot().ok());
  const auto elsewhere = dir_.path() / "elsewhere";
  std::filesystem::create_directories(elsewhere);
  std::filesystem::create_symlink(elsewhere, writer_.root() / "bin");
  const ResourcePlan plan = Plan();
  ASSERT_TRUE(plan.error);
  EXPECT_NE(plan.error->message.find("symlink"), std::string::npos) << plan.error->message;
}

TEST_F(BinaryPlanTest, ApplyWithoutHttpClientIsTransient) {
  const Outcome o = Apply(nullptr);
  EXPECT_EQ(o.kind, Outcome::Kind::kRetry);
  EXPECT_EQ(o.reason, "DownloadFailed");
  EXPECT_FALSE(std::filesystem::exists(Path(kBinaryFile)));
}

TEST_F(BinaryPlanTest, TransportFailuresAreRetriedWithBackoffThenTransient) {
  std::vector<std::chrono::milliseconds> sleeps;
  BinaryOptions o;
  o.platform = Platform{"linux", "amd64"};
  o.sleep = [&](std::chrono::milliseconds d) { sleeps.push_back(d); };
  BinaryReconciler r(o);
  ReconcileContext ctx{desired_, facts_};
  WriteDeps deps{clock_, writer_, &http_};
  const Outcome out = r.Apply(ctx, r.Plan(ctx, deps.Read()), deps);
  EXPECT_EQ(out.kind, Outcome::Kind::kRetry);
  EXPECT_EQ(http_.requests().size(), 4U);
  EXPECT_EQ(sleeps, (std::vector<std::chrono::milliseconds>{std::chrono::seconds(1), std::chrono::seconds(2),
                                                              std::chrono::seconds(4)}));
  EXPECT_NE(out.message.find("gave up after 4 attempts"), std::string::npos) << out.message;
}

}  // namespace
}  // namespace ironward::binary
