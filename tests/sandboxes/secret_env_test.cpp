// spec.sandboxes[].secretEnv through the sandboxes reconciler on FakeDocker: the value is set in the
// container that names it and never appears in a plan or outcome; a rotation replaces only that
// sandbox; a secret without a value holds back only its sandbox and never removes a running one.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "reconcilers/sandboxes/labels.h"
#include "reconcilers/sandboxes/sandboxes_reconciler.h"
#include "tests/sandboxes/sandbox_test_support.h"

namespace ironward::sandboxes {
namespace {

using ::testing::HasSubstr;
using test_support::EnvOf;
using test_support::kHome;

constexpr const char* kBotV1 = "bot-token-v1-0f9e8d7c6b5a";
constexpr const char* kBotV2 = "bot-token-v2-a5b6c7d8e9f0";

class SecretEnvTest : public test_support::SandboxFixture {
 protected:
  void SetUp() override {
    SandboxFixture::SetUp();
    spec::Sandbox plain = desired_.spec.sandboxes[0];
    plain.name = "agent-2";
    plain.mounts = {"/srv/agent-2:/work:rw"};
    desired_.spec.sandboxes.push_back(plain);
    desired_.spec.sandboxes[0].secret_env = {{"BOT_TOKEN", "TELEGRAM_BOT_TOKEN"}};
    SetBot(kBotV1);
  }
  void SetBot(const std::string& value) {
    facts_.secrets->sandbox_values = {{"TELEGRAM_BOT_TOKEN", value}};
    facts_.secrets->sandbox_digests = {{"TELEGRAM_BOT_TOKEN", Sha256Hex(value)}};
    facts_.secrets->sandbox_missing.clear();
  }
  void SetMissing() {
    facts_.secrets->sandbox_values.clear();
    facts_.secrets->sandbox_digests.clear();
    facts_.secrets->sandbox_missing = {{"TELEGRAM_BOT_TOKEN", "not set (or empty) in ironward's environment"}};
  }
  void Converge() {
    const Outcome o = ApplyWith(r_, &docker_);
    ASSERT_EQ(o.kind, Outcome::Kind::kDone) << o.message;
    docker_.ClearCalls();
  }
  std::string IdOf(const std::string& name) {
    auto info = docker_.InspectContainer(name);
    return info.ok() && *info ? (*info)->id : "";
  }

  SandboxesReconciler r_{SandboxesOptions{std::string(kHome), std::chrono::seconds(1)}};
};

TEST_F(SecretEnvTest, TheValueIsInItsContainerOnlyAndNeverInAPlan) {
  ResourcePlan plan;
  const Outcome o = ApplyWith(r_, &docker_, &plan);
  ASSERT_EQ(o.kind, Outcome::Kind::kDone) << o.message;
  const auto bot = *docker_.CreateSpecOf("agent-1");
  EXPECT_EQ(EnvOf(bot, "BOT_TOKEN"), kBotV1);
  EXPECT_FALSE(LabelValue(bot.labels, kSecretEnvLabel).empty());
  EXPECT_EQ(EnvOf(*docker_.CreateSpecOf("agent-2"), "BOT_TOKEN"), "<unset>");
  EXPECT_TRUE(LabelValue(docker_.CreateSpecOf("agent-2")->labels, kSecretEnvLabel).empty());

  const std::string visible = Visible(plan) + Visible(o);
  EXPECT_EQ(visible.find(kBotV1), std::string::npos);
  EXPECT_THAT(visible, HasSubstr("TELEGRAM_BOT_TOKEN"));
  EXPECT_THAT(visible, HasSubstr("sha256:" + Sha256Hex(kBotV1).substr(0, 12)));
  for (const auto& label : bot.labels) EXPECT_EQ(label.second.find(kBotV1), std::string::npos) << label.first;
  EXPECT_TRUE(PlanWith(r_, &docker_).InSync());
}

TEST_F(SecretEnvTest, ARotationReplacesOnlyTheSandboxThatNamesIt) {
  Converge();
  const std::string plain_id = IdOf("agent-2");
  ASSERT_FALSE(plain_id.empty());
  SetBot(kBotV2);
  ResourcePlan plan;
  const Outcome o = ApplyWith(r_, &docker_, &plan);
  ASSERT_EQ(o.kind, Outcome::Kind::kDone) << o.message;
  ASSERT_EQ(plan.changes.size(), 1U) << Visible(plan);
  EXPECT_EQ(plan.changes[0].action, Action::kReplace);
  EXPECT_THAT(plan.changes[0].address, HasSubstr("agent-1"));
  EXPECT_THAT(plan.changes[0].reason, HasSubstr("a secretEnv secret changed"));
  EXPECT_EQ(IdOf("agent-2"), plain_id) << "the other sandbox is untouched";
  EXPECT_EQ(EnvOf(*docker_.CreateSpecOf("agent-1"), "BOT_TOKEN"), kBotV2);
  const std::string visible = Visible(plan) + Visible(o);
  EXPECT_EQ(visible.find(kBotV1), std::string::npos);
  EXPECT_EQ(visible.find(kBotV2), std::string::npos);
}

TEST_F(SecretEnvTest, AMissingSecretHoldsBackOnlyItsSandbox) {
  SetMissing();
  ResourcePlan plan;
  const Outcome o = ApplyWith(r_, &docker_, &plan);
  ASSERT_EQ(plan.changes.size(), 2U) << Visible(plan);
  EXPECT_THAT(Visible(plan), HasSubstr("blocked: sandbox 'agent-1' waits for its secretEnv secret(s): "
                                       "TELEGRAM_BOT_TOKEN (BOT_TOKEN): not set"));
  EXPECT_EQ(o.kind, Outcome::Kind::kRetry) << "fixable without editing the desired state";
  EXPECT_EQ(o.reason, "SandboxFailed");
  EXPECT_THAT(o.message, HasSubstr("agent-1: sandbox 'agent-1' waits for its secretEnv secret(s)"));
  EXPECT_FALSE(IdOf("agent-2").empty()) << "the other sandbox is created";
  EXPECT_TRUE(IdOf("agent-1").empty());

  SetBot(kBotV1);
  Converge();
  EXPECT_EQ(EnvOf(*docker_.CreateSpecOf("agent-1"), "BOT_TOKEN"), kBotV1);
}

TEST_F(SecretEnvTest, ARunningSandboxWhoseSecretIsGoneKeepsRunningAndIsNeverRemovedForAChange) {
  Converge();
  const std::string id = IdOf("agent-1");
  SetMissing();
  const ResourcePlan quiet = PlanWith(r_, &docker_);
  EXPECT_TRUE(quiet.changes.empty()) << Visible(quiet);
  ASSERT_EQ(quiet.warnings.size(), 1U);
  EXPECT_THAT(quiet.warnings[0], HasSubstr("keeps running with the secretEnv values it was created with"));

  // A spec change wants a replace, which cannot happen without the value: the old one stays.
  desired_.spec.sandboxes[0].env["TASK"] = "other";
  const Outcome o = ApplyWith(r_, &docker_);
  EXPECT_EQ(o.kind, Outcome::Kind::kRetry) << o.message;
  EXPECT_EQ(IdOf("agent-1"), id);
  EXPECT_EQ(docker_.CallCount("RemoveContainer"), 0U);
}

TEST_F(SecretEnvTest, ADigestWithoutAValueInThisProcessComparesButCannotCreate) {
  Converge();
  facts_.secrets->sandbox_values.clear();  // a fresh process: secrets.json knows the digest only
  EXPECT_TRUE(PlanWith(r_, &docker_).InSync()) << "the label still matches the recorded digest";

  ASSERT_TRUE(docker_.RemoveContainer("agent-1", true).ok());
  const Outcome o = ApplyWith(r_, &docker_);
  EXPECT_EQ(o.kind, Outcome::Kind::kRetry);
  EXPECT_THAT(o.message, HasSubstr("secretEnv value(s) not in this process: TELEGRAM_BOT_TOKEN"));
  EXPECT_TRUE(IdOf("agent-1").empty()) << "never created without its value";
}

}  // namespace
}  // namespace ironward::sandboxes
