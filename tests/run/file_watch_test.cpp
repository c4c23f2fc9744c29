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
};
Drained DrainNow(FileWatch& w) {
  pollfd p{w.fd(), POLLIN, 0};
  Drained d;
  d.any = ::poll(&p, 1, 0) > 0;
  d.reported = d.any && w.Drain();
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

}  // namespace
}  // namespace ironward::run
