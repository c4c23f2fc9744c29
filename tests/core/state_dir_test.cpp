#include "state/state_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "state/encoding.h"
#include "tests/support/temp_dir.h"

namespace ironward::state {
namespace {

using ironward::testing::ModeOf;
using ironward::testing::ReadFile;
using ironward::testing::TempDir;

TEST(StateDirTest, WriteAtomicCreatesRootAt0700AndFileAtMode) {
  TempDir tmp;
  StateWriter w(tmp.path() / "state");
  ASSERT_TRUE(w.WriteAtomic("ca.key", "KEY", 0600).ok());
  ASSERT_TRUE(w.WriteAtomic("ca.crt", "CERT", 0644).ok());
  EXPECT_EQ(ModeOf(tmp.path() / "state"), 0700U);
  EXPECT_EQ(ModeOf(tmp.path() / "state/ca.key"), 0600U);
  EXPECT_EQ(ModeOf(tmp.path() / "state/ca.crt"), 0644U);
  auto read = w.Read("ca.key");
  ASSERT_TRUE(read.ok());
  ASSERT_TRUE(read->has_value());
  EXPECT_EQ(**read, "KEY");
}

TEST(StateDirTest, ReplacesContentAndLeavesNoTempFiles) {
  TempDir tmp;
  StateWriter w(tmp.path());
  ASSERT_TRUE(w.WriteAtomic("status.json", "one", 0600).ok());
  ASSERT_TRUE(w.WriteAtomic("status.json", "two", 0600).ok());
  EXPECT_EQ(ReadFile(tmp.path() / "status.json"), "two");
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(tmp.path())) {
    ++entries;
    EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
  }
  EXPECT_EQ(entries, 1);
}

TEST(StateDirTest, TightensALooseRootMode) {
  TempDir tmp;
  ::chmod(tmp.path().c_str(), 0755);
  StateWriter w(tmp.path());
  ASSERT_TRUE(w.EnsureRoot().ok());
  EXPECT_EQ(ModeOf(tmp.path()), 0700U);
}

TEST(StateDirTest, MissingFileReadsAsNullopt) {
  TempDir tmp;
  StateReader r(tmp.path() / "absent");
  auto read = r.Read("ca.crt");
  ASSERT_TRUE(read.ok());
  EXPECT_FALSE(read->has_value());
  auto st = r.StatRoot();
  ASSERT_TRUE(st.ok());
  EXPECT_FALSE(st->exists);
}

TEST(StateDirTest, Sha256FileStreamsTheDigestOfLargeFilesAndNulloptWhenMissing) {
  TempDir tmp;
  StateWriter w(tmp.path() / "state");
  std::string big;
  for (int i = 0; i < 300000; ++i) big += static_cast<char>('a' + i % 26);  // > 4 chunks of 64 KiB
  ASSERT_TRUE(w.WriteAtomic("bin/iron-proxy", big, 0755).ok());
  auto digest = w.Sha256File("bin/iron-proxy");
  ASSERT_TRUE(digest.ok()) << digest.error().message;
  ASSERT_TRUE(digest->has_value());
  EXPECT_EQ(**digest, Sha256Hex(big));
  auto missing = w.Sha256File("bin/other");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST(StateDirTest, SymlinkAtAStateFileIsRefusedNeverFollowed) {
  TempDir tmp;
  const auto victim = tmp.path() / "victim";
  ironward::testing::WriteFile(victim, "precious");
  std::filesystem::create_directory(tmp.path() / "state");
  ::chmod((tmp.path() / "state").c_str(), 0700);
  std::filesystem::create_symlink(victim, tmp.path() / "state/ca.key");
  StateWriter w(tmp.path() / "state");

  auto read = w.Read("ca.key");
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.error().message.find("symlink"), std::string::npos) << read.error().message;
  auto write = w.WriteAtomic("ca.key", "evil", 0600);
  ASSERT_FALSE(write.ok());
  EXPECT_NE(write.error().message.find("refusing to follow"), std::string::npos);
  EXPECT_FALSE(w.Stat("ca.key").ok());
  EXPECT_FALSE(w.Sha256File("ca.key").ok());
  EXPECT_FALSE(w.Remove("ca.key").ok());
  EXPECT_EQ(ReadFile(victim), "precious");
  EXPECT_TRUE(std::filesystem::is_symlink(tmp.path() / "state/ca.key"));
}

TEST(StateDirTest, SymlinkedRootOrSubdirIsRefused) {
  TempDir tmp;
  std::filesystem::create_directory(tmp.path() / "real");
  std::filesystem::create_directory_symlink(tmp.path() / "real", tmp.path() / "link");
  StateWriter via_link(tmp.path() / "link");
  EXPECT_FALSE(via_link.WriteAtomic("x", "y", 0600).ok());
  EXPECT_FALSE(via_link.StatRoot().ok());

  StateWriter w(tmp.path() / "state");
  ASSERT_TRUE(w.EnsureRoot().ok());
  std::filesystem::create_directory_symlink(tmp.path() / "real", tmp.path() / "state/bin");
  auto write = w.WriteAtomic("bin/iron-proxy", "binary", 0755);
  ASSERT_FALSE(write.ok());
  EXPECT_NE(write.error().message.find("symlink"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(tmp.path() / "real/iron-proxy"));
}

TEST(StateDirTest, FileOwnedByAnotherUserIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to chown a file to another user";
  TempDir tmp;
  StateWriter w(tmp.path());
  ASSERT_TRUE(w.WriteAtomic("mappings.json", "{}", 0600).ok());
  ASSERT_EQ(::chown((tmp.path() / "mappings.json").c_str(), 65534, 65534), 0);
  auto read = w.Read("mappings.json");
  ASSERT_FALSE(read.ok());
  EXPECT_NE(read.error().message.find("owned by uid 65534"), std::string::npos) << read.error().message;
  EXPECT_FALSE(w.WriteAtomic("mappings.json", "{\"x\":1}", 0600).ok());
  EXPECT_EQ(ReadFile(tmp.path() / "mappings.json"), "{}");
}

TEST(StateDirTest, RootOwnedByAnotherUserIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to chown a directory to another user";
  TempDir tmp;
  ASSERT_EQ(::chown(tmp.path().c_str(), 65534, 65534), 0);
  StateWriter w(tmp.path());
  EXPECT_FALSE(w.EnsureRoot().ok());
  EXPECT_FALSE(w.Read("status.json").ok());
}

TEST(StateDirTest, RejectsNamesThatEscapeTheDirectory) {
  TempDir tmp;
  StateWriter w(tmp.path());
  for (const char* bad : {"../x", "/etc/passwd", "a/../b", "", "a//b", "./x"}) {
    EXPECT_FALSE(w.WriteAtomic(bad, "x", 0600).ok()) << bad;
  }
}

TEST(StateDirTest, SubdirectoriesAreCreated0700AndListed) {
  TempDir tmp;
  StateWriter w(tmp.path());
  ASSERT_TRUE(w.WriteAtomic("archive/b.crt", "b", 0644).ok());
  ASSERT_TRUE(w.WriteAtomic("archive/a.crt", "a", 0644).ok());
  EXPECT_EQ(ModeOf(tmp.path() / "archive"), 0700U);
  auto names = w.List("archive");
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"a.crt", "b.crt"}));
}

TEST(StateDirTest, RenameAndRemove) {
  TempDir tmp;
  StateWriter w(tmp.path());
  ASSERT_TRUE(w.WriteAtomic("ca.new.key", "new", 0600).ok());
  ASSERT_TRUE(w.Rename("ca.new.key", "ca.key").ok());
  EXPECT_EQ(ReadFile(tmp.path() / "ca.key"), "new");
  EXPECT_FALSE(std::filesystem::exists(tmp.path() / "ca.new.key"));
  ASSERT_TRUE(w.Remove("ca.key").ok());
  EXPECT_TRUE(w.Remove("ca.key").ok());  // missing is fine
  EXPECT_FALSE(std::filesystem::exists(tmp.path() / "ca.key"));
}

TEST(StateDirTest, ChmodFixesMode) {
  TempDir tmp;
  StateWriter w(tmp.path());
  ASSERT_TRUE(w.WriteAtomic("ca.key", "k", 0600).ok());
  ::chmod((tmp.path() / "ca.key").c_str(), 0644);
  ASSERT_TRUE(w.Chmod("ca.key", 0600).ok());
  EXPECT_EQ(ModeOf(tmp.path() / "ca.key"), 0600U);
}

TEST(StateDirTest, ReadTailReturnsOnlyTheLastBytes) {
  TempDir tmp;
  StateWriter w(tmp.path());
  ASSERT_TRUE(w.WriteAtomic("iron-proxy.log", "0123456789", 0600).ok());
  auto tail = w.ReadTail("iron-proxy.log", 4);
  ASSERT_TRUE(tail.ok()) << tail.error().message;
  ASSERT_TRUE(tail->has_value());
  EXPECT_EQ(**tail, "6789");
  auto whole = w.ReadTail("iron-proxy.log", 100);
  ASSERT_TRUE(whole.ok() && whole->has_value());
  EXPECT_EQ(**whole, "0123456789");
  auto missing = w.ReadTail("nothing.log", 4);
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST(StateDirTest, CopyTruncateCopiesThenEmptiesTheSameFileForItsAppender) {
  TempDir tmp;
  StateWriter w(tmp.path());
  ASSERT_TRUE(w.WriteAtomic("iron-proxy.log", "old lines\n", 0600).ok());
  const auto live = tmp.path() / "iron-proxy.log";
  const int appender = ::open(live.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  ASSERT_GE(appender, 0);
  struct stat before {};
  ASSERT_EQ(::stat(live.c_str(), &before), 0);
  ASSERT_TRUE(w.WriteAtomic("iron-proxy.log.1", "stale", 0644).ok());

  auto s = w.CopyTruncate("iron-proxy.log", "iron-proxy.log.1", 0600);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(ReadFile(tmp.path() / "iron-proxy.log.1"), "old lines\n") << "an existing copy is replaced";
  EXPECT_EQ(ModeOf(tmp.path() / "iron-proxy.log.1"), 0600U);
  EXPECT_EQ(ReadFile(live), "");
  struct stat after {};
  ASSERT_EQ(::stat(live.c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino) << "truncated in place, not replaced";
  ASSERT_EQ(::write(appender, "new\n", 4), 4);
  ::close(appender);
  EXPECT_EQ(ReadFile(live), "new\n") << "the O_APPEND writer lands at the new end";
  EXPECT_FALSE(w.CopyTruncate("nothing.log", "nothing.log.1", 0600).ok());
}

TEST(StateDirTest, ReadTailAndCopyTruncateRefuseASymlink) {
  TempDir tmp;
  StateWriter w(tmp.path() / "state");
  ASSERT_TRUE(w.EnsureRoot().ok());
  const auto victim = tmp.path() / "victim";
  ironward::testing::WriteFile(victim, "precious");
  std::filesystem::create_symlink(victim, tmp.path() / "state/iron-proxy.log");
  auto tail = w.ReadTail("iron-proxy.log", 4);
  ASSERT_FALSE(tail.ok());
  EXPECT_NE(tail.error().message.find("symlink"), std::string::npos) << tail.error().message;
  auto rotate = w.CopyTruncate("iron-proxy.log", "iron-proxy.log.1", 0600);
  ASSERT_FALSE(rotate.ok());
  EXPECT_NE(rotate.error().message.find("symlink"), std::string::npos) << rotate.error().message;
  EXPECT_EQ(ReadFile(victim), "precious");
  EXPECT_FALSE(std::filesystem::exists(tmp.path() / "state/iron-proxy.log.1"));
}

}  // namespace
}  // namespace ironward::state
