#include "reconcilers/mappings_reconciler.h"

#include <regex>

#include <gtest/gtest.h>

#include "tests/fakes/fake_clock.h"
#include "tests/support/desired_state.h"
#include "tests/support/gateway_yaml.h"
#include "tests/support/temp_dir.h"

namespace ironward {
namespace {

using testing::Desired;
using testing::ModeOf;
using testing::ReadFile;
using testing::TempDir;
using testing::With;

class MappingsReconcilerTest : public ::testing::Test {
 protected:
  ResourcePlan Plan(const spec::DesiredState& d) {
    facts_ = Facts{};
    ReconcileContext ctx{d, facts_, true};
    return reconciler_.Plan(ctx, ReadDeps{clock_, writer_});
  }
  Outcome Apply(const spec::DesiredState& d) {
    facts_ = Facts{};
    ReconcileContext ctx{d, facts_, false};
    auto plan = reconciler_.Plan(ctx, ReadDeps{clock_, writer_});
    WriteDeps deps{clock_, writer_};
    return reconciler_.Apply(ctx, plan, deps);
  }
  MappingsFile Load() {
    auto f = ParseMappings(ReadFile(dir_.path() / "mappings.json"));
    EXPECT_TRUE(f.ok());
    return f.ok() ? *f : MappingsFile{};
  }

  TempDir dir_;
  FakeClock clock_;
  state::StateWriter writer_{dir_.path()};
  MappingsReconciler reconciler_;
  Facts facts_;
};

TEST_F(MappingsReconcilerTest, MissingFilePlansOneTokenPerProviderKnownAfterApply) {
  const auto d = Desired(testing::kBaseYaml);
  const auto plan = Plan(d);
  ASSERT_FALSE(plan.error);
  ASSERT_EQ(plan.changes.size(), 2U);
  for (const auto& c : plan.changes) {
    EXPECT_EQ(c.action, Action::kCreate);
    EXPECT_EQ(c.after["token"], kKnownAfterApply);
  }
  ASSERT_TRUE(facts_.mappings);
  EXPECT_EQ(facts_.mappings->pending.size(), 2U);
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "mappings.json"));
}

TEST_F(MappingsReconcilerTest, ApplyMintsWellFormedTokensAt0600AndIsIdempotent) {
  const auto d = Desired(testing::kBaseYaml);
  const auto out = Apply(d);
  EXPECT_EQ(out.kind, Outcome::Kind::kDone);
  EXPECT_EQ(out.changed, 2);
  EXPECT_EQ(ModeOf(dir_.path() / "mappings.json"), 0600U);
  const auto first = Load();
  const std::regex shape("ironward-(openrouter|openai)-[0-9a-f]{32}");
  for (const auto& [name, m] : first.providers) EXPECT_TRUE(std::regex_match(m.token, shape)) << m.token;
  EXPECT_NE(first.providers.at("openai").token, first.providers.at("openrouter").token);

  EXPECT_TRUE(Plan(d).changes.empty());
  EXPECT_EQ(Apply(d).changed, 0);
  EXPECT_EQ(Load().providers.at("openai").token, first.providers.at("openai").token);
  ASSERT_TRUE(facts_.mappings);
  EXPECT_EQ(facts_.mappings->tokens.at("openai"), first.providers.at("openai").token);
}

TEST_F(MappingsReconcilerTest, AddedProviderGetsATokenOthersAreKept) {
  auto base = testing::kBaseYaml;
  Apply(Desired(base));
  const auto before = Load();
  const auto more = Desired(With(base, "  allowlist:", R"(    - name: anthropic
      secret: ANTHROPIC_PROXY_KEY
      hosts: ["api.anthropic.com"]
      headers: ["x-api-key"]
  allowlist:)"));
  const auto plan = Plan(more);
  ASSERT_EQ(plan.changes.size(), 1U);
  EXPECT_EQ(plan.changes[0].action, Action::kCreate);
  EXPECT_EQ(plan.changes[0].address, "mappings.token[\"anthropic\"]");
  Apply(more);
  const auto after = Load();
  EXPECT_EQ(after.providers.size(), 3U);
  EXPECT_EQ(after.providers.at("openrouter").token, before.providers.at("openrouter").token);
  EXPECT_EQ(after.providers.at("openai").token, before.providers.at("openai").token);
}

TEST_F(MappingsReconcilerTest, RemovedProviderLosesItsToken) {
  Apply(Desired(testing::kBaseYaml));
  const auto fewer = Desired(With(testing::kBaseYaml, R"(    - name: openai
      secret: OPENAI_API_KEY
      hosts: ["api.openai.com"]
)", ""));
  const auto plan = Plan(fewer);
  ASSERT_EQ(plan.changes.size(), 1U);
  EXPECT_EQ(plan.changes[0].action, Action::kDelete);
  Apply(fewer);
  EXPECT_EQ(Load().providers.count("openai"), 0U);
}

TEST_F(MappingsReconcilerTest, RotationBumpReplacesEveryTokenAndBacksUpTheOldFile) {
  Apply(Desired(testing::kBaseYaml));
  const auto old_file = ReadFile(dir_.path() / "mappings.json");
  const auto old = Load();
  const auto rotated = Desired(std::string(testing::kBaseYaml) + "  tokens:\n    rotation: 2\n");
  const auto plan = Plan(rotated);
  ASSERT_EQ(plan.changes.size(), 2U);
  for (const auto& c : plan.changes) {
    EXPECT_EQ(c.action, Action::kReplace);
    EXPECT_TRUE(c.disruptive);
    EXPECT_NE(c.reason.find("tokens.rotation 1 -> 2"), std::string::npos);
  }
  clock_.Advance(std::chrono::hours(1));
  Apply(rotated);
  const auto fresh = Load();
  EXPECT_EQ(fresh.rotation, 2);
  EXPECT_NE(fresh.providers.at("openai").token, old.providers.at("openai").token);
  auto backups = writer_.List("mappings-backup");
  ASSERT_TRUE(backups.ok());
  ASSERT_EQ(backups->size(), 1U);
  EXPECT_EQ(backups->at(0), "mappings-r1-2026-01-01T01:00:00.json");
  const auto backup_path = dir_.path() / "mappings-backup" / backups->at(0);
  EXPECT_EQ(ModeOf(backup_path), 0600U);
  EXPECT_EQ(ReadFile(backup_path), old_file);
  EXPECT_TRUE(Plan(rotated).changes.empty());
}

TEST_F(MappingsReconcilerTest, CorruptFileIsKeptAndTokensReminted) {
  testing::WriteFile(dir_.path() / "mappings.json", "{\"version\": 1, \"provid");
  ::chmod((dir_.path() / "mappings.json").c_str(), 0600);
  const auto d = Desired(testing::kBaseYaml);
  const auto plan = Plan(d);
  ASSERT_FALSE(plan.error);
  ASSERT_FALSE(plan.changes.empty());
  EXPECT_EQ(plan.changes[0].action, Action::kReplace);
  EXPECT_NE(plan.changes[0].reason.find("unreadable"), std::string::npos);
  Apply(d);
  EXPECT_EQ(Load().providers.size(), 2U);
  bool kept = false;
  for (const auto& e : std::filesystem::directory_iterator(dir_.path())) {
    if (e.path().filename().string().rfind("mappings.json.corrupt-", 0) == 0) {
      kept = ReadFile(e.path()) == "{\"version\": 1, \"provid";
    }
  }
  EXPECT_TRUE(kept);
}

TEST_F(MappingsReconcilerTest, LooseModeIsPlannedAsUpdateAndFixed) {
  const auto d = Desired(testing::kBaseYaml);
  Apply(d);
  ::chmod((dir_.path() / "mappings.json").c_str(), 0644);
  const auto plan = Plan(d);
  ASSERT_EQ(plan.changes.size(), 1U);
  EXPECT_EQ(plan.changes[0].action, Action::kUpdate);
  EXPECT_EQ(plan.changes[0].reason, "mode 0644 is not 0600") << "octal, as people write modes (was 420)";
  Apply(d);
  EXPECT_EQ(ModeOf(dir_.path() / "mappings.json"), 0600U);
}

TEST_F(MappingsReconcilerTest, PlansNeverShowATokenValue) {
  Apply(Desired(testing::kBaseYaml));
  const auto old = Load();
  const auto plan = Plan(Desired(std::string(testing::kBaseYaml) + "  tokens:\n    rotation: 5\n"));
  for (const auto& c : plan.changes) {
    const std::string text = c.before.dump() + c.after.dump() + c.reason;
    for (const auto& [name, m] : old.providers) {
      EXPECT_EQ(text.find(m.token), std::string::npos);
      EXPECT_EQ(text.find(m.token.substr(m.token.size() - 32)), std::string::npos);
    }
    EXPECT_NE(c.before.dump().find("sensitive, sha256:"), std::string::npos);
  }
}

}  // namespace
}  // namespace ironward
