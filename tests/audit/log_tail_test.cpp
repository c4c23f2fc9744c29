// LogTail against real files and ironward's real rotation (daemon::RotateIfNeeded, copy-truncate):
// every line exactly once, in order, whatever rotates between or during reads.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "controller/audit/log_tail.h"
#include "reconcilers/daemon/log_file.h"
#include "tests/support/temp_dir.h"

namespace ironward::audit {
namespace {

using testing::TempDir;

class LogTailTest : public ::testing::Test {
 protected:
  std::string dir() const { return tmp_.path().string(); }
  std::filesystem::path live() const { return tmp_.path() / "iron-proxy.log"; }

  /// Appends lines "<prefix><i>" for i in [from, to), each with a newline, like the proxy does.
  void Append(const std::string& prefix, int from, int to, const std::filesystem::path& file = {}) {
    std::ofstream out(file.empty() ? live() : file, std::ios::app | std::ios::binary);
    for (int i = from; i < to; ++i) out << prefix << i << " " << std::string(40, 'x') << "\n";
  }
  void AppendRaw(const std::string& text) {
    std::ofstream out(live(), std::ios::app | std::ios::binary);
    out << text;
  }
  void Rotate() {
    state::StateWriter writer(dir());
    ASSERT_TRUE(daemon::RotateIfNeeded(writer, 0).ok());
  }

  /// Polls and returns the lines delivered by this call.
  std::vector<std::string> Poll(LogTail& tail) {
    std::vector<std::string> got;
    const Status s = tail.Poll([&](std::string_view l) { got.emplace_back(l); });
    EXPECT_TRUE(s.ok()) << s.error().message;
    return got;
  }

  static std::vector<std::string> Expected(const std::string& prefix, int from, int to) {
    std::vector<std::string> out;
    for (int i = from; i < to; ++i) out.push_back(prefix + std::to_string(i) + " " + std::string(40, 'x'));
    return out;
  }

  TempDir tmp_;
};

std::vector<std::string> Concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST_F(LogTailTest, ReadsTheRotatedCopiesOldestFirstThenTheLiveFile) {
  Append("three-", 0, 2, live().string() + ".3");
  Append("two-", 0, 2, live().string() + ".2");
  Append("one-", 0, 2, live().string() + ".1");
  Append("live-", 0, 2);
  LogTail tail(dir());
  ASSERT_TRUE(tail.Start(LogTail::From::kOldest).ok());
  const auto got = Poll(tail);
  EXPECT_EQ(got, Concat(Concat(Concat(Expected("three-", 0, 2), Expected("two-", 0, 2)), Expected("one-", 0, 2)),
                        Expected("live-", 0, 2)));
  EXPECT_EQ(tail.files_read(),
            (std::vector<std::string>{"iron-proxy.log.3", "iron-proxy.log.2", "iron-proxy.log.1", "iron-proxy.log"}));
  EXPECT_TRUE(Poll(tail).empty()) << "nothing new: nothing delivered twice";
}

TEST_F(LogTailTest, ThePartialLastLineWaitsForItsNewline) {
  AppendRaw("first\n{\"msg\":\"requ");
  LogTail tail(dir());
  ASSERT_TRUE(tail.Start(LogTail::From::kOldest).ok());
  EXPECT_EQ(Poll(tail), std::vector<std::string>{"first"});
  AppendRaw("est\"}\nthird\n");
  EXPECT_EQ(Poll(tail), (std::vector<std::string>{"{\"msg\":\"request\"}", "third"}));
}

TEST_F(LogTailTest, FromNowSkipsWhatIsThereButNotALineBeingWritten) {
  AppendRaw("old-1\nold-2\nbeing-wri");
  LogTail tail(dir());
  ASSERT_TRUE(tail.Start(LogTail::From::kNow).ok());
  EXPECT_TRUE(Poll(tail).empty());
  AppendRaw("tten\nnew\n");
  EXPECT_EQ(Poll(tail), (std::vector<std::string>{"being-written", "new"}));
}

TEST_F(LogTailTest, CopyTruncateRotationBetweenPollsLosesAndRepeatsNothing) {
  Append("a-", 0, 3);
  LogTail tail(dir());
  ASSERT_TRUE(tail.Start(LogTail::From::kOldest).ok());
  EXPECT_EQ(Poll(tail), Expected("a-", 0, 3));
  Append("a-", 3, 5);  // not read yet when the rotation copies the file to .1 and truncates it
  Rotate();
  ASSERT_EQ(std::filesystem::file_size(live()), 0U);
  Append("b-", 0, 2);
  EXPECT_EQ(Poll(tail), Concat(Expected("a-", 3, 5), Expected("b-", 0, 2)));
  EXPECT_EQ(tail.rotations(), 1U);
  EXPECT_EQ(tail.lost(), 0U);
}

TEST_F(LogTailTest, TwoRotationsBetweenPollsAreCaughtUpFromTheOlderCopy) {
  Append("a-", 0, 3);
  LogTail tail(dir());
  ASSERT_TRUE(tail.Start(LogTail::From::kOldest).ok());
  EXPECT_EQ(Poll(tail), Expected("a-", 0, 3));
  Append("a-", 3, 4);
  Rotate();  // generation a → .1
  Append("b-", 0, 2);
  Rotate();  // a → .2, b → .1
  Append("c-", 0, 1);
  // What was left of a (from .2), all of b (.1), then the live file.
  EXPECT_EQ(Poll(tail), Concat(Concat(Expected("a-", 3, 4), Expected("b-", 0, 2)), Expected("c-", 0, 1)));
  EXPECT_EQ(tail.lost(), 0U);
  // One more rotation: a and b moved on to .3 and .2 and are not read again.
  Append("c-", 1, 2);
  Rotate();
  Append("d-", 0, 1);
  EXPECT_EQ(Poll(tail), Concat(Expected("c-", 1, 2), Expected("d-", 0, 1)));
}

TEST_F(LogTailTest, CopiesThatPredateTheReaderAreNeverReadAsNew) {
  Append("x-", 0, 2, live().string() + ".1");  // history when the reader starts
  Append("g-", 0, 2);
  LogTail tail(dir());
  ASSERT_TRUE(tail.Start(LogTail::From::kNow).ok());
  Append("a-", 0, 1);
  EXPECT_EQ(Poll(tail), Expected("a-", 0, 1));
  // Truncated by hand (not a rotation: no copy of it anywhere). Nothing is re-read from .1.
  ASSERT_EQ(::truncate(live().c_str(), 0), 0);
  Append("b-", 0, 1);
  EXPECT_EQ(Poll(tail), Expected("b-", 0, 1));
  EXPECT_EQ(tail.lost(), 1U) << "the reader cannot tell a hand truncation from a lost generation";
}

TEST_F(LogTailTest, AGenerationRotatedPastTheLastCopyIsCountedLost) {
  Append("a-", 0, 2);
  LogTail tail(dir());
  ASSERT_TRUE(tail.Start(LogTail::From::kOldest).ok());
  EXPECT_EQ(Poll(tail), Expected("a-", 0, 2));
  Append("a-", 2, 3);
  for (int i = 0; i <= daemon::kLogKeep; ++i) {
    Rotate();
    Append("g" + std::to_string(i) + "-", 0, 1);
  }
  // a-2 is gone with its generation; every newer one is read.
  const auto got = Poll(tail);
  EXPECT_EQ(tail.lost(), 1U);
  EXPECT_EQ(got, Concat(Concat(Concat(Expected("g0-", 0, 1), Expected("g1-", 0, 1)), Expected("g2-", 0, 1)),
                        Expected("g3-", 0, 1)));
}

TEST_F(LogTailTest, RotationWhileItReadsDeliversEveryLineOnceInOrder) {
  // 5000 lines (~250 KiB, several read chunks); the real rotation runs from inside the callback
  // at line 100, while the rest of the first chunk is still to be delivered, then more lines arrive.
  Append("a-", 0, 5000);
  LogTail tail(dir());
  ASSERT_TRUE(tail.Start(LogTail::From::kOldest).ok());
  std::vector<std::string> got;
  const Status s = tail.Poll([&](std::string_view l) {
    got.emplace_back(l);
    if (got.size() == 100) {
      Rotate();
      Append("b-", 0, 10);
    }
  });
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(got, Concat(Expected("a-", 0, 5000), Expected("b-", 0, 10)));
  EXPECT_EQ(tail.files_read(), (std::vector<std::string>{"iron-proxy.log", "iron-proxy.log.1", "iron-proxy.log"}));
}

TEST_F(LogTailTest, RotationBetweenTheOpensAndTheFirstReadIsCaughtUp) {
  Append("a-", 0, 3);
  LogTail tail(dir());
  ASSERT_TRUE(tail.Start(LogTail::From::kOldest).ok());
  Rotate();  // before anything was read: the live file now starts with other bytes
  Append("b-", 0, 1);
  EXPECT_EQ(Poll(tail), Concat(Expected("a-", 0, 3), Expected("b-", 0, 1)));
}

TEST_F(LogTailTest, AReplacedFileIsReadToItsEndThenTheNewOneFollowed) {
  Append("a-", 0, 2);
  LogTail tail(dir());
  ASSERT_TRUE(tail.Start(LogTail::From::kOldest).ok());
  EXPECT_EQ(Poll(tail), Expected("a-", 0, 2));
  Append("a-", 2, 3);
  const std::filesystem::path moved = tmp_.path() / "old.log";
  std::filesystem::rename(live(), moved);  // e.g. deleted by hand; the old writer's last lines
  Append("b-", 0, 2);                      // a new file (new inode)
  EXPECT_EQ(Poll(tail), Concat(Expected("a-", 2, 3), Expected("b-", 0, 2)));
}

TEST_F(LogTailTest, AMissingLogIsNotAnErrorAndIsReadFromItsStartOnceItAppears) {
  LogTail tail(dir());
  ASSERT_TRUE(tail.Start(LogTail::From::kNow).ok());
  EXPECT_TRUE(Poll(tail).empty());
  EXPECT_FALSE(tail.live_seen());
  Append("a-", 0, 2);
  EXPECT_EQ(Poll(tail), Expected("a-", 0, 2));
  EXPECT_TRUE(tail.live_seen());
}

TEST_F(LogTailTest, ASymlinkInsteadOfTheLogIsRefused) {
  Append("a-", 0, 1, tmp_.path() / "elsewhere");
  std::filesystem::create_symlink(tmp_.path() / "elsewhere", live());
  LogTail tail(dir());
  const Status s = tail.Start(LogTail::From::kOldest);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("symbolic link"), std::string::npos) << s.error().message;
}

TEST_F(LogTailTest, AnOverlongUnterminatedLineIsDroppedNotBuffered) {
  AppendRaw(std::string(2 * 1024 * 1024, 'z'));
  AppendRaw("\nafter\n");
  LogTail tail(dir());
  ASSERT_TRUE(tail.Start(LogTail::From::kOldest).ok());
  const auto got = Poll(tail);
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got.back(), "after");
  for (const auto& l : got) EXPECT_LE(l.size(), 1024U * 1024U);
}

}  // namespace
}  // namespace ironward::audit
