// Apply through the real download path: CurlHttpClient against a loopback HTTP server (and
// file://) serving releases packaged by scripts/package-iron-proxy-release.sh, the real
// fork/execve version probe, and a real state directory.
#include <gtest/gtest.h>

#include <cerrno>
#include <memory>

#include "reconcilers/binary/binary_reconciler.h"
#include "reconcilers/binary/install_record.h"
#include "reconcilers/io/http_client.h"
#include "tests/binary/binary_test_util.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_processes.h"

namespace ironward::binary {
namespace {

using testing::PackagedRelease;
using testing::ReadFile;

class BinaryApplyTest : public ::testing::Test {
 protected:
  // Releases are packaged once per process, on first use (packaging a debug build of the
  // double takes seconds, and ctest runs every test in its own process).
  static testing::TempDir& Releases() {
    static testing::TempDir dir;
    return dir;
  }
  static const PackagedRelease& V039() {
    static const PackagedRelease r = testing::Package(Releases().path() / "good", "0.39.0");
    return r;
  }
  static const PackagedRelease& V045() {
    static const PackagedRelease r = testing::Package(Releases().path() / "good", "0.45.0");
    return r;
  }
  /// A "0.39.0" release whose binary reports 0.45.0.
  static const PackagedRelease& Wrong() {
    static const PackagedRelease r = testing::Package(Releases().path() / "wrong", "0.39.0", "0.45.0");
    return r;
  }

  BinaryApplyTest() : writer_(dir_.path() / "state"), server_(Releases().path() / "good") {
    UseRelease(V039(), server_.Url());
    options_.platform = Platform{"linux", "amd64"};
    options_.sleep = [this](std::chrono::milliseconds d) { sleeps_.push_back(d); };
    options_.progress = [this](std::string_view line, bool done) {
      if (done) done_lines_.emplace_back(line);
    };
  }

  void UseRelease(const PackagedRelease& rel, const std::string& base) {
    desired_.spec.proxy.version = rel.version;
    desired_.spec.proxy.source.url = base + "/v{version}/iron-proxy_{version}_{os}_{arch}.tar.gz";
    desired_.spec.proxy.source.sha256 = rel.sha256;
  }

  static std::string ArchivePath(const PackagedRelease& rel) { return "/v" + rel.version + "/" + rel.archive_name; }
  static std::string ChecksumsPath(const PackagedRelease& rel) { return "/v" + rel.version + "/checksums.txt"; }

  ResourcePlan Plan() {
    BinaryReconciler r(options_);
    ReconcileContext ctx{desired_, facts_};
    return r.Plan(ctx, ReadDeps{clock_, writer_, &http_});
  }

  Outcome Apply() {
    BinaryReconciler r(options_);
    ReconcileContext ctx{desired_, facts_};
    WriteDeps deps{clock_, writer_, &http_};
    const ResourcePlan plan = r.Plan(ctx, deps.Read());
    return r.Apply(ctx, plan, deps);
  }

  std::filesystem::path Path(const char* name) const { return writer_.PathOf(name); }

  /// Nothing installed and no staging file left behind.
  void ExpectNothingInstalled() {
    EXPECT_FALSE(std::filesystem::exists(Path(kBinaryFile)));
    EXPECT_FALSE(std::filesystem::exists(Path(kStagingFile)));
    EXPECT_FALSE(std::filesystem::exists(Path(kRecordFile)));
  }

  void ExpectInstalled(const PackagedRelease& rel) {
    EXPECT_EQ(Sha256Hex(ReadFile(Path(kBinaryFile))), rel.binary_sha256);
    EXPECT_EQ(testing::ModeOf(Path(kBinaryFile)), 0755U);
    EXPECT_EQ(testing::ModeOf(Path(kRecordFile)), 0600U);
    EXPECT_FALSE(std::filesystem::exists(Path(kStagingFile)));
    auto record = ParseInstallRecord(ReadFile(Path(kRecordFile)));
    ASSERT_TRUE(record.ok()) << record.error().message;
    EXPECT_EQ(record->version, rel.version);
    EXPECT_EQ(record->tarball_sha256, rel.sha256);
    EXPECT_EQ(record->binary_sha256, rel.binary_sha256);
    EXPECT_EQ(record->installed, "2026-01-01T00:00:00Z");
    auto stat = writer_.Stat(kBinaryFile);
    ASSERT_TRUE(stat.ok());
    ASSERT_TRUE(record->binary_identity) << "the install records the identity its digest was proven at";
    EXPECT_EQ(*record->binary_identity, state::IdentityOf(*stat));
    RealProcesses processes;
    auto version = ProbeVersion(processes, Path(kBinaryFile));
    ASSERT_TRUE(version.ok()) << version.error().message;
    EXPECT_EQ(*version, rel.version);
  }

  testing::TempDir dir_;
  state::StateWriter writer_;
  testing::ReleaseServer server_;
  CurlHttpClient http_;
  FakeClock clock_;
  spec::DesiredState desired_;
  Facts facts_;
  BinaryOptions options_;
  std::vector<std::chrono::milliseconds> sleeps_;
  std::vector<std::string> done_lines_;
};

TEST_F(BinaryApplyTest, InstallsThePinnedReleaseOverHttp) {
  const Outcome o = Apply();
  ASSERT_EQ(o.kind, Outcome::Kind::kDone) << o.reason << ": " << o.message;
  EXPECT_EQ(o.changed, 1);
  ExpectInstalled(V039());
  EXPECT_EQ(testing::ModeOf(writer_.root()), 0700U);
  EXPECT_EQ(o.details["version"], "0.39.0");
  EXPECT_EQ(o.details["sha256"], V039().binary_sha256.substr(0, 12));
  EXPECT_EQ(o.details["path"], Path(kBinaryFile).string());
  EXPECT_EQ(o.details["source"], server_.Url() + ArchivePath(V039()));
  ASSERT_TRUE(facts_.binary);
  EXPECT_FALSE(facts_.binary->pending);
  EXPECT_EQ(facts_.binary->sha256, V039().binary_sha256);
  EXPECT_EQ(server_.Hits(ChecksumsPath(V039())), 1);
  ASSERT_EQ(done_lines_.size(), 1U);
  EXPECT_NE(done_lines_[0].find(V039().archive_name), std::string::npos);
  std::cerr << "[ packaged binary: " << (V039().from_double ? "iron-proxy double" : "shell script") << " ]\n";
}

TEST_F(BinaryApplyTest, SecondApplyChangesNothingAndDownloadsNothing) {
  ASSERT_EQ(Apply().kind, Outcome::Kind::kDone);
  const auto mtime = std::filesystem::last_write_time(Path(kBinaryFile));
  EXPECT_TRUE(Plan().InSync());
  const Outcome again = Apply();
  EXPECT_EQ(again.kind, Outcome::Kind::kDone);
  EXPECT_EQ(again.changed, 0);
  EXPECT_EQ(server_.Hits(ArchivePath(V039())), 1);
  EXPECT_EQ(std::filesystem::last_write_time(Path(kBinaryFile)), mtime);
}

TEST_F(BinaryApplyTest, RepairsATamperedBinary) {
  ASSERT_EQ(Apply().kind, Outcome::Kind::kDone);
  testing::WriteFile(Path(kBinaryFile), "#!/bin/sh\necho 0.39.0 # trojan\n", 0755);
  const ResourcePlan plan = Plan();
  ASSERT_EQ(plan.changes.size(), 1U);
  EXPECT_EQ(plan.changes[0].action, Action::kReplace);
  EXPECT_NE(plan.changes[0].reason.find("!= recorded " + V039().binary_sha256), std::string::npos);
  const Outcome o = Apply();
  ASSERT_EQ(o.kind, Outcome::Kind::kDone) << o.message;
  ExpectInstalled(V039());
  EXPECT_EQ(server_.Hits(ArchivePath(V039())), 2);
}

TEST_F(BinaryApplyTest, RepairsADeletedBinary) {
  ASSERT_EQ(Apply().kind, Outcome::Kind::kDone);
  std::filesystem::remove(Path(kBinaryFile));
  EXPECT_EQ(Plan().changes.at(0).action, Action::kCreate);
  ASSERT_EQ(Apply().kind, Outcome::Kind::kDone);
  ExpectInstalled(V039());
}

TEST_F(BinaryApplyTest, DigestMismatchIsTerminalWithBothDigests) {
  const std::string pinned(64, 'e');
  desired_.spec.proxy.source.sha256 = pinned;
  const Outcome o = Apply();
  EXPECT_EQ(o.kind, Outcome::Kind::kTerminal);
  EXPECT_EQ(o.reason, "DigestMismatch");
  EXPECT_NE(o.message.find(pinned), std::string::npos) << o.message;
  EXPECT_NE(o.message.find(V039().sha256), std::string::npos) << o.message;
  EXPECT_NE(o.message.find(server_.Url() + ArchivePath(V039())), std::string::npos) << o.message;
  ExpectNothingInstalled();
}

TEST_F(BinaryApplyTest, BadTarballIsRefusedAndNothingInstalled) {
  const std::string junk = "<html>this is not a release</html>";
  server_.Override(ArchivePath(V039()), junk);
  server_.Hide(ChecksumsPath(V039()));
  desired_.spec.proxy.source.sha256 = Sha256Hex(junk);
  Outcome o = Apply();
  EXPECT_EQ(o.kind, Outcome::Kind::kTerminal);
  EXPECT_EQ(o.reason, "BadArchive");
  EXPECT_NE(o.message.find("not a gzip file"), std::string::npos) << o.message;
  ExpectNothingInstalled();

  // A well-formed archive whose iron-proxy is a symlink.
  const std::string evil = testing::Gzip(testing::TarBuilder().Add("iron-proxy", "", '2', "/bin/sh").Finish());
  server_.Override(ArchivePath(V039()), evil);
  desired_.spec.proxy.source.sha256 = Sha256Hex(evil);
  o = Apply();
  EXPECT_EQ(o.kind, Outcome::Kind::kTerminal);
  EXPECT_NE(o.message.find("symlink"), std::string::npos) << o.message;
  ExpectNothingInstalled();
}

TEST_F(BinaryApplyTest, MissingChecksumsFileIsAWarning) {
  server_.Hide(ChecksumsPath(V039()));
  const Outcome o = Apply();
  ASSERT_EQ(o.kind, Outcome::Kind::kDone) << o.message;
  ExpectInstalled(V039());
  ASSERT_TRUE(o.details.contains("warnings"));
  EXPECT_NE(o.details["warnings"][0].get<std::string>().find("no checksums.txt"), std::string::npos);
  EXPECT_NE(o.message.find("warning: no checksums.txt"), std::string::npos);
}

TEST_F(BinaryApplyTest, DisagreeingChecksumsFileIsTerminal) {
  const std::string other(64, 'c');
  server_.Override(ChecksumsPath(V039()), other + "  " + V039().archive_name + "\n");
  const Outcome o = Apply();
  EXPECT_EQ(o.kind, Outcome::Kind::kTerminal);
  EXPECT_EQ(o.reason, "ChecksumsMismatch");
  EXPECT_NE(o.message.find(other), std::string::npos);
  EXPECT_NE(o.message.find(V039().sha256), std::string::npos);
  ExpectNothingInstalled();
}

TEST_F(BinaryApplyTest, RetriesTransientServerErrorsWithBackoff) {
  server_.FailNext(ArchivePath(V039()), 2, 503);
  const Outcome o = Apply();
  ASSERT_EQ(o.kind, Outcome::Kind::kDone) << o.message;
  ExpectInstalled(V039());
  EXPECT_EQ(server_.Hits(ArchivePath(V039())), 3);
  EXPECT_EQ(sleeps_, (std::vector<std::chrono::milliseconds>{std::chrono::seconds(1), std::chrono::seconds(2)}));
  EXPECT_NE(o.message.find("after 3 attempts"), std::string::npos) << o.message;
}

TEST_F(BinaryApplyTest, GivesUpAfterThreeRetriesAsTransient) {
  server_.FailNext(ArchivePath(V039()), 100, 500);
  const Outcome o = Apply();
  EXPECT_EQ(o.kind, Outcome::Kind::kRetry);
  EXPECT_EQ(server_.Hits(ArchivePath(V039())), 4);
  EXPECT_EQ(sleeps_.size(), 3U);
  ExpectNothingInstalled();
}

TEST_F(BinaryApplyTest, MissingReleaseIsTerminal) {
  desired_.spec.proxy.version = "9.9.9";
  const Outcome o = Apply();
  EXPECT_EQ(o.kind, Outcome::Kind::kTerminal);
  EXPECT_NE(o.message.find("HTTP 404"), std::string::npos) << o.message;
  EXPECT_TRUE(sleeps_.empty());
}

TEST_F(BinaryApplyTest, InstallsFromAFileUrl) {
  UseRelease(V039(), "file://" + (Releases().path() / "good").string());
  const Outcome o = Apply();
  ASSERT_EQ(o.kind, Outcome::Kind::kDone) << o.message;
  ExpectInstalled(V039());
  EXPECT_EQ(server_.Hits(ArchivePath(V039())), 0);
  EXPECT_FALSE(o.details.contains("warnings")) << o.details.dump();
  EXPECT_TRUE(Plan().InSync());
}

TEST_F(BinaryApplyTest, VersionMismatchInsideTheTarballIsTerminal) {
  testing::ReleaseServer wrong_server(Releases().path() / "wrong");
  UseRelease(Wrong(), wrong_server.Url());
  const Outcome o = Apply();
  EXPECT_EQ(o.kind, Outcome::Kind::kTerminal);
  EXPECT_EQ(o.reason, "VersionMismatch");
  EXPECT_NE(o.message.find("release tarball for 0.39.0 contains iron-proxy version 0.45.0"), std::string::npos)
      << o.message;
  ExpectNothingInstalled();
}

TEST_F(BinaryApplyTest, UpgradesWhenTheDesiredVersionChanges) {
  ASSERT_EQ(Apply().kind, Outcome::Kind::kDone);
  UseRelease(V045(), server_.Url());
  const ResourcePlan plan = Plan();
  ASSERT_EQ(plan.changes.size(), 1U);
  EXPECT_EQ(plan.changes[0].reason, "version 0.39.0 -> 0.45.0");
  const Outcome o = Apply();
  ASSERT_EQ(o.kind, Outcome::Kind::kDone) << o.message;
  ExpectInstalled(V045());
  EXPECT_EQ(facts_.binary->version, "0.45.0");
}

TEST_F(BinaryApplyTest, SymlinkPlantedAtBinaryPathIsRefusedOnApply) {
  ASSERT_TRUE(writer_.EnsureRoot().ok());
  std::filesystem::create_directories(writer_.root() / "bin");
  const auto victim = dir_.path() / "victim";
  testing::WriteFile(victim, "precious", 0644);
  std::filesystem::create_symlink(victim, Path(kBinaryFile));
  const Outcome o = Apply();
  EXPECT_EQ(o.kind, Outcome::Kind::kTerminal);
  EXPECT_NE(o.message.find("symlink"), std::string::npos) << o.message;
  EXPECT_EQ(ReadFile(victim), "precious");
  EXPECT_EQ(server_.Hits(ArchivePath(V039())), 0);
}

TEST_F(BinaryApplyTest, FailedProbeLeavesNoStagingFile) {
  auto processes = std::make_shared<::ironward::testing::FakeProcesses>();
  CommandResult no_exec = CommandResult::SpawnFailed("exec: Exec format error");
  no_exec.exec_errno = ENOEXEC;
  processes->Set(Path(kStagingFile).string(), no_exec);
  options_.processes = processes;
  const Outcome o = Apply();
  EXPECT_EQ(o.kind, Outcome::Kind::kTerminal);
  EXPECT_EQ(o.reason, "VersionProbeFailed");
  EXPECT_NE(o.message.find("cannot execute " + Path(kStagingFile).string()), std::string::npos) << o.message;
  EXPECT_EQ(processes->requests().size(), 1U);
  ExpectNothingInstalled();
}

}  // namespace
}  // namespace ironward::binary
