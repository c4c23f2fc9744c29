#include "controller/run/file_watch.h"

#include <poll.h>

#include <cstdio>
#include <filesystem>

#include <gtest/gtest.h>

#include "../core/test_util.h"

namespace ironward::run {
namespace {

/// Polls the watch for up to `ms` and drains it; true when the file was reported.
bool Reported(FileWatch& w, int ms = 1000) {
  pollfd p{w.fd(), POLLIN, 0};
  bool any = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (::poll(&p, 1, 50) > 0) any = w.Drain() || any;
    else if (any) break;
  }
  return any;
}

TEST(FileWatchTest, SeesInPlaceWritesAtomicRenamesAndRecreation) {
  testing::TempDir dir;
  const auto file = dir.path() / "gateway.yaml";
  testing::WriteFile(file, "a: 1\n");
  FileWatch w(file.string());
  ASSERT_TRUE(w.ok());
  EXPECT_FALSE(Reported(w, 200)) << "nothing happened yet";

  testing::WriteFile(file, "a: 2\n");  // in-place write
  EXPECT_TRUE(Reported(w));

  testing::WriteFile(dir.path() / ".gateway.yaml.swp", "x");  // another file in the directory
  EXPECT_FALSE(Reported(w, 200));

  testing::WriteFile(dir.path() / "tmp", "a: 3\n");  // editor / git style: write then rename over
  std::filesystem::rename(dir.path() / "tmp", file);
  EXPECT_TRUE(Reported(w));

  testing::WriteFile(file, "a: 4\n");  // the per-file watch followed the new inode
  EXPECT_TRUE(Reported(w));

  std::filesystem::remove(file);
  EXPECT_TRUE(Reported(w));
  testing::WriteFile(file, "a: 5\n");
  EXPECT_TRUE(Reported(w));
}

}  // namespace
}  // namespace ironward::run
