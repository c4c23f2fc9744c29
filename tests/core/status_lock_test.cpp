#include <gtest/gtest.h>

#include "state/lock.h"
#include "state/status.h"
#include "tests/support/temp_dir.h"

namespace ironward::state {
namespace {

using ironward::testing::TempDir;

TEST(StatusTest, TransitionTimeMovesOnlyWhenStatusFlips) {
  ResourceStatus r;
  r.SetCondition("Ready", "True", "Applied", "ok", "t1");
  r.SetCondition("Ready", "True", "InSync", "ok", "t2");
  ASSERT_NE(r.Find("Ready"), nullptr);
  EXPECT_EQ(r.Find("Ready")->last_transition_time, "t1");
  EXPECT_EQ(r.Find("Ready")->reason, "InSync");
  r.SetCondition("Ready", "False", "Broken", "no", "t3");
  EXPECT_EQ(r.Find("Ready")->last_transition_time, "t3");
  EXPECT_FALSE(r.Ready());
}

TEST(StatusTest, RoundTripsThroughTheStateDir) {
  TempDir tmp;
  StateWriter w(tmp.path());
  StatusDoc doc;
  doc.desired_name = "prod";
  doc.desired_digest = "abc";
  doc.resources["ca"].SetCondition("Ready", "True", "InSync", "m", "t");
  doc.resources["ca"].details = {{"fingerprint_sha256", "ff"}};
  doc.extra["verify"] = {{"passed", true}};
  for (int i = 0; i < 15; ++i) doc.AddHistory({"t" + std::to_string(i), "d", "", 0.1, "converged", 0, 0});
  ASSERT_TRUE(SaveStatus(w, doc).ok());
  EXPECT_EQ(ironward::testing::ModeOf(tmp.path() / "status.json"), 0600U);

  auto loaded = LoadStatus(w);
  ASSERT_TRUE(loaded.ok());
  EXPECT_FALSE(loaded->warning);
  EXPECT_EQ(loaded->doc.desired_name, "prod");
  EXPECT_TRUE(loaded->doc.resources.at("ca").Ready());
  EXPECT_EQ(loaded->doc.resources.at("ca").details["fingerprint_sha256"], "ff");
  EXPECT_EQ(loaded->doc.extra["verify"]["passed"], true);
  ASSERT_EQ(loaded->doc.history.size(), StatusDoc::kHistoryLimit);
  EXPECT_EQ(loaded->doc.history.back().time, "t14");
  EXPECT_EQ(loaded->doc.history.front().time, "t5");
}

// Messages come from outside (engine and server errors, log tails): invalid UTF-8 in one must not
// make the status write throw; the bad bytes are replaced.
TEST(StatusTest, InvalidUtf8InAMessageIsReplacedNotThrown) {
  TempDir tmp;
  StateWriter w(tmp.path());
  StatusDoc doc;
  doc.resources["daemon"].SetCondition("Ready", "False", "NotReady", std::string("log tail: \xff\xfe bad"), "t");
  ASSERT_TRUE(SaveStatus(w, doc).ok());
  auto loaded = LoadStatus(w);
  ASSERT_TRUE(loaded.ok());
  EXPECT_NE(loaded->doc.resources.at("daemon").Find("Ready")->message.find("bad"), std::string::npos);
}

TEST(StatusTest, CorruptOrForeignVersionFileGivesFreshDocAndWarning) {
  TempDir tmp;
  StateWriter w(tmp.path());
  ASSERT_TRUE(w.WriteAtomic("status.json", "{not json", 0600).ok());
  auto loaded = LoadStatus(w);
  ASSERT_TRUE(loaded.ok());
  ASSERT_TRUE(loaded->warning);
  EXPECT_NE(loaded->warning->find("corrupt"), std::string::npos);
  EXPECT_TRUE(loaded->doc.resources.empty());

  ASSERT_TRUE(w.WriteAtomic("status.json", R"({"version": 99})", 0600).ok());
  loaded = LoadStatus(w);
  ASSERT_TRUE(loaded.ok());
  ASSERT_TRUE(loaded->warning);
  EXPECT_NE(loaded->warning->find("version 99"), std::string::npos);
}

TEST(WriterLockTest, SecondWriterWaitsThenFailsNamingTheHolder) {
  TempDir tmp;
  StateWriter w(tmp.path());
  {
    auto first = WriterLock::Acquire(w, std::chrono::milliseconds(0));
    ASSERT_TRUE(first.ok());
    const auto start = std::chrono::steady_clock::now();
    auto second = WriterLock::Acquire(w, std::chrono::milliseconds(200));
    ASSERT_FALSE(second.ok());
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(200));
    EXPECT_NE(second.error().message.find("another ironward (pid " + std::to_string(::getpid())), std::string::npos)
        << second.error().message;
  }
  auto again = WriterLock::Acquire(w, std::chrono::milliseconds(0));
  EXPECT_TRUE(again.ok());
}

}  // namespace
}  // namespace ironward::state
