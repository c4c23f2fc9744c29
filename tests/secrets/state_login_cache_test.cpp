// The login cache file: read through a reader, written only while a writer is attached (apply).
#include <gtest/gtest.h>

#include "reconcilers/bitwarden/state_login_cache.h"
#include "secrets_fixture.h"

namespace ironward::secrets::test {
namespace {

TEST(StateLoginCacheStoreTest, WritesOnlyWithAWriterAndAlways0600) {
  TempDir dir;
  state::StateWriter state(dir.path());
  ASSERT_TRUE(state.EnsureRoot().ok());
  bw::StateLoginCacheStore store(&state);
  auto empty = store.Load();
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->has_value());

  const Status refused = store.Store("2.iv|ct|mac");
  EXPECT_FALSE(refused.ok()) << "no writer attached: a dry run cannot write the cache";
  EXPECT_FALSE(std::filesystem::exists(dir.path() / bw::kLoginCacheFile));

  store.Attach(&state, &state);
  ASSERT_TRUE(store.Store("2.iv|ct|mac").ok());
  EXPECT_EQ(ModeOf(dir.path() / bw::kLoginCacheFile), 0600U);
  auto loaded = store.Load();
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_EQ(**loaded, "2.iv|ct|mac");
  store.Detach();
  EXPECT_FALSE(store.Store("other").ok());
}

}  // namespace
}  // namespace ironward::secrets::test
