#include "controller/run/file_watch.h"

#include <poll.h>

#include <cstdio>
#include <filesystem>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace ironward::run {
namespace {

/// What the watch holds right now, drained. The kernel queues an inotify event inside the system
/// call that causes it, so everything the test did before is there already: no waiting.
struct Drained {
  bool any = false;       ///< some event arrived (for any name in the directory)
  bool reported = false;  ///< the watched file was among them
  FileWatch::Seen seen = FileWatch::Seen::kNothing;
};
Drained DrainNow(FileWatch& w) {
  pollfd p{w.fd(), POLLIN, 0};
  Drained d;
  d.any = ::poll(&p, 1, 0) > 0;
  if (d.any) d.seen = w.Drain();
  d.reported = d.seen != FileWatch::Seen::kNothing;
  return d;
}

TEST(FileWatchTest, SeesInPlaceWritesAtomicRenamesAndRecreation) {
  testing::TempDir dir;
  const auto file = dir.path() / "gateway.yaml";
  testing::WriteFile(file, "a: 1\n");
  FileWatch w(file.string());
  ASSERT_TRUE(w.ok());
  EXPECT_FALSE(DrainNow(w).any) << "nothing happened yet";

  testing::WriteFile(file, "a: 2\n");  // in-place write
  EXPECT_TRUE(DrainNow(w).reported);

  testing::WriteFile(dir.path() / ".gateway.yaml.swp", "x");  // another file in the directory
  const Drained other = DrainNow(w);
  EXPECT_TRUE(other.any) << "the directory watch saw the other file";
  EXPECT_FALSE(other.reported);

  testing::WriteFile(dir.path() / "tmp", "a: 3\n");  // editor / git style: write then rename over
  std::filesystem::rename(dir.path() / "tmp", file);
  EXPECT_TRUE(DrainNow(w).reported);

  testing::WriteFile(file, "a: 4\n");  // the per-file watch followed the new inode
  EXPECT_TRUE(DrainNow(w).reported);

  std::filesystem::remove(file);
  EXPECT_TRUE(DrainNow(w).reported);
  testing::WriteFile(file, "a: 5\n");
  EXPECT_TRUE(DrainNow(w).reported);
}

// A write still open may be half done (debounced); a closed write or a rename into place is whole
// (looked at immediately): what keeps edit -> applied short without reading half-written files.
TEST(FileWatchTest, SaysWhenTheNewContentIsWhole) {
  using Watched = FileWatch::Seen;
  testing::TempDir dir;
  const auto file = dir.path() / "gateway.yaml";
  testing::WriteFile(file, "a: 1\n");
  FileWatch w(file.string());
  ASSERT_TRUE(w.ok());

  FILE* f = std::fopen(file.c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("a: ", f);
  std::fflush(f);
  EXPECT_EQ(DrainNow(w).seen, Watched::kChanging) << "truncated and half written, still open";
  std::fputs("2\n", f);
  std::fclose(f);
  EXPECT_EQ(DrainNow(w).seen, Watched::kSettled) << "the writer closed it";

  testing::WriteFile(dir.path() / "tmp", "a: 3\n");
  EXPECT_EQ(DrainNow(w).seen, Watched::kNothing) << "another name in the directory";
  std::filesystem::rename(dir.path() / "tmp", file);
  EXPECT_EQ(DrainNow(w).seen, Watched::kSettled) << "renamed into place";

  testing::WriteFile(file, "a: 4\n");
  std::filesystem::permissions(file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_EQ(DrainNow(w).seen, Watched::kSettled) << "a mode change after the close leaves it whole";

  std::filesystem::remove(file);
  EXPECT_EQ(DrainNow(w).seen, Watched::kChanging) << "deleted: may be re-created in a moment";
}

}  // namespace
}  // namespace ironward::run
