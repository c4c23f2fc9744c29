// Through the real engine and status: apply, a quiet second apply, a dry run that makes no
// request, Degraded in status.json - and no secret or token in status.json or secrets.json.
#include <gtest/gtest.h>

#include "controller/engine.h"
#include "secrets_fixture.h"
#include "state/status.h"

namespace ironward::secrets::test {
namespace {

class SecretsEngineTest : public BitwardenSecretsTest {
 protected:
  Engine MakeEngine() {
    std::vector<std::unique_ptr<Reconciler>> list;
    list.push_back(NewReconciler());
    return Engine(std::move(list));
  }
  RunResult ApplyRun(Engine& engine) {
    WriteDeps deps{clock_, *state_, &http_};
    RunResult run = engine.Apply(desired_, deps);
    RecordRun(doc_, desired_, run, FormatRfc3339(clock_.Now()), "");
    EXPECT_TRUE(state::SaveStatus(*state_, doc_).ok());
    for (const auto& r : run.resources) {
      seen_ += Describe(r.plan) + "\n";
      if (r.outcome) seen_ += Describe(*r.outcome) + "\n";
    }
    return run;
  }
  state::StatusDoc doc_;
};

TEST_F(SecretsEngineTest, ApplyThenQuietApplyThenDryRunWithoutRequests) {
  Engine engine = MakeEngine();
  RunResult first = ApplyRun(engine);
  ASSERT_FALSE(first.HasErrors());
  EXPECT_EQ(double_.Count("get_by_ids"), 1);
  const auto status = nlohmann::json::parse(ReadFile(StatePath("status.json")));
  const std::string status_text = status.dump();
  EXPECT_NE(status_text.find("sha256:" + Sha256Hex(bwtest::kValueA).substr(0, 12)), std::string::npos)
      << status_text;
  EXPECT_EQ(ModeOf(StatePath("status.json")), 0600U);

  const int requests = Requests();
  RunResult second = ApplyRun(engine);
  EXPECT_FALSE(second.HasChanges());
  EXPECT_EQ(second.changed, 0);
  EXPECT_EQ(Requests(), requests) << "refresh not due: no request";

  Engine fresh = MakeEngine();  // `ironward plan` in another process
  ReadDeps read{clock_, *state_, &http_};
  RunResult dry = fresh.Plan(desired_, read);
  EXPECT_FALSE(dry.HasChanges()) << "secrets.json is recent";
  clock_.Advance(std::chrono::hours(2));
  RunResult stale = fresh.Plan(desired_, read);
  EXPECT_TRUE(stale.HasChanges());
  EXPECT_EQ(Requests(), requests) << "a dry run never fetches";
}

TEST_F(SecretsEngineTest, DegradedShowsInStatusAndTheResourceStaysReady) {
  Engine engine = MakeEngine();
  ASSERT_FALSE(ApplyRun(engine).HasErrors());
  ASSERT_EQ(double_.Admin("fault", {{"mode", "500"}}), 200);
  clock_.Advance(std::chrono::hours(1));
  RunResult run = ApplyRun(engine);
  EXPECT_FALSE(run.HasErrors()) << "last good values keep the proxy's inputs";
  const auto status = nlohmann::json::parse(ReadFile(StatePath("status.json")));
  const std::string text = status.dump();
  EXPECT_NE(text.find("Degraded"), std::string::npos) << text;
  EXPECT_NE(text.find("HTTP 500"), std::string::npos) << text;
}

TEST_F(SecretsEngineTest, UnreachableAtFirstStartFailsClosed) {
  ASSERT_EQ(double_.Admin("fault", {{"mode", "500"}}), 200);
  Engine engine = MakeEngine();
  RunResult run = ApplyRun(engine);
  ASSERT_TRUE(run.HasErrors());
  const auto status = nlohmann::json::parse(ReadFile(StatePath("status.json")));
  EXPECT_NE(status.dump().find("fail closed"), std::string::npos) << status.dump();
}

}  // namespace
}  // namespace ironward::secrets::test
