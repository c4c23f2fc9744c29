// The daemon's files: iron-proxy.log (tail and copy-truncate rotation) through the state
// directory, and proxy.upstreamCaFile through the FileReader seam (ReadDeps::files).
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "daemon_harness.h"
#include "reconcilers/daemon/log_file.h"
#include "tests/fakes/fake_file_reader.h"

namespace ironward::daemon {
namespace {

namespace fs = std::filesystem;

class DaemonLogFilesTest : public ::testing::Test {
 protected:
  DaemonLogFilesTest() { EXPECT_TRUE(state_.EnsureRoot().ok()); }
  std::string Live() const { return dir_.str() + "/" + kLogFile; }
  void Append(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::app | std::ios::binary);
    out << text;
  }
  static std::string Content(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  static mode_t Mode(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
  }

  doubletest::TempDir dir_;
  state::StateWriter state_{dir_.path()};
};

// 10000 lines of 11 bytes: the last 64 KiB start inside line 4042, which is dropped as partial.
TEST_F(DaemonLogFilesTest, TailKeepsWholeLinesOfTheLast64KiB) {
  std::string text;
  char line[16];
  for (int i = 0; i < 10000; ++i) {
    std::snprintf(line, sizeof line, "line-%05d\n", i);
    text += line;
  }
  Append(Live(), text);
  EXPECT_EQ(TailLines(state_, 2), (std::vector<std::string>{"line-09998", "line-09999"}));
  const auto all = TailLines(state_, 100000);
  ASSERT_EQ(all.size(), 10000U - 4043U);
  EXPECT_EQ(all.front(), "line-04043");
  EXPECT_EQ(all.back(), "line-09999");
}

TEST_F(DaemonLogFilesTest, TailOfAShortLogIsAllOfIt) {
  Append(Live(), "one\n\ntwo\nthree");
  EXPECT_EQ(TailLines(state_), (std::vector<std::string>{"one", "two", "three"}));
}

TEST_F(DaemonLogFilesTest, TailOfAMissingOrSymlinkedLogIsEmpty) {
  EXPECT_TRUE(TailLines(state_).empty());
  const std::string elsewhere = dir_.str() + "/elsewhere";
  Append(elsewhere, "not the proxy's log\n");
  fs::create_symlink(elsewhere, Live());
  EXPECT_TRUE(TailLines(state_).empty()) << "a symlink in the log's place is never followed";
}

TEST_F(DaemonLogFilesTest, RotationTightensALooserModeEvenBelowTheLimit) {
  Append(Live(), "small\n");
  ASSERT_EQ(::chmod(Live().c_str(), 0644), 0);
  auto rotated = RotateIfNeeded(state_, 1000);
  ASSERT_TRUE(rotated.ok()) << rotated.error().message;
  EXPECT_FALSE(*rotated);
  EXPECT_EQ(Mode(Live()), 0600U);
  EXPECT_FALSE(fs::exists(Live() + ".1"));
}

TEST_F(DaemonLogFilesTest, RotationKeepsThreeOlderLogsNewestFirst) {
  for (const std::string round : {"a", "b", "c", "d"}) {
    Append(Live(), std::string(20, round[0]) + "\n");
    auto rotated = RotateIfNeeded(state_, 10);
    ASSERT_TRUE(rotated.ok()) << rotated.error().message;
    EXPECT_TRUE(*rotated) << round;
    EXPECT_EQ(fs::file_size(Live()), 0U);
  }
  EXPECT_EQ(Content(Live() + ".1"), std::string(20, 'd') + "\n");
  EXPECT_EQ(Content(Live() + ".2"), std::string(20, 'c') + "\n");
  EXPECT_EQ(Content(Live() + ".3"), std::string(20, 'b') + "\n");
  EXPECT_FALSE(fs::exists(Live() + ".4"));
  EXPECT_EQ(Mode(Live() + ".1"), 0600U);
  EXPECT_EQ(Mode(Live() + ".3"), 0600U);
  auto again = RotateIfNeeded(state_, 10);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again) << "an empty log is below any limit";
}

TEST_F(DaemonLogFilesTest, RotationRefusesASymlinkedLogAndTouchesNothing) {
  const std::string elsewhere = dir_.str() + "/elsewhere";
  Append(elsewhere, std::string(100, 'x'));
  fs::create_symlink(elsewhere, Live());
  auto rotated = RotateIfNeeded(state_, 10);
  ASSERT_FALSE(rotated.ok());
  EXPECT_NE(rotated.error().message.find("symlink"), std::string::npos) << rotated.error().message;
  EXPECT_EQ(fs::file_size(elsewhere), 100U);
  EXPECT_FALSE(fs::exists(Live() + ".1"));
}

constexpr const char* kCaPath = "/etc/corp/upstream-ca.pem";

TEST(DaemonUpstreamCaTest, TheCaContentIsAnInputReadThroughTheFileSeam) {
  test::DaemonHarness h;
  FakeFileReader files;
  h.files() = &files;
  h.desired().spec.proxy.upstream_ca_file = kCaPath;
  files.Set(kCaPath, "CA one");
  const ResourcePlan one = h.Plan();
  ASSERT_FALSE(one.error) << one.error->message;
  EXPECT_EQ(files.reads(), std::vector<std::string>{kCaPath});
  EXPECT_EQ(h.Plan().desired_digest, one.desired_digest) << "same content, same inputs";
  files.Set(kCaPath, "CA two");
  const ResourcePlan two = h.Plan();
  EXPECT_NE(two.desired_digest, one.desired_digest) << "new CA content: the proxy must restart";
  files.Remove(kCaPath);
  const ResourcePlan gone = h.Plan();
  ASSERT_FALSE(gone.error) << "a missing CA file is an input (\"missing\"), not a plan error";
  files.Fail(kCaPath, "Permission denied");
  EXPECT_EQ(h.Plan().desired_digest, gone.desired_digest) << "unreadable counts as missing, as before";
  EXPECT_NE(gone.desired_digest, one.desired_digest);
  EXPECT_NE(gone.desired_digest, two.desired_digest);
}

TEST(DaemonUpstreamCaTest, WithoutAnUpstreamCaNoFileIsRead) {
  test::DaemonHarness h;
  FakeFileReader files;
  h.files() = &files;
  ASSERT_FALSE(h.Plan().error);
  EXPECT_TRUE(files.reads().empty());
  h.files() = nullptr;
  EXPECT_FALSE(h.Plan().error) << "no reader is needed when no file is named";
}

TEST(DaemonUpstreamCaTest, NoFileReaderIsAClearErrorWhenACaIsNamed) {
  test::DaemonHarness h;
  h.files() = nullptr;
  h.desired().spec.proxy.upstream_ca_file = kCaPath;
  const ResourcePlan plan = h.Plan();
  ASSERT_TRUE(plan.error);
  EXPECT_NE(plan.error->message.find("proxy.upstreamCaFile"), std::string::npos) << plan.error->message;
}

}  // namespace
}  // namespace ironward::daemon
