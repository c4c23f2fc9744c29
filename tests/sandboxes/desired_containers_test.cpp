// DesiredContainers: the per-pass table of what each declared sandbox should be. Every entry must
// be exactly what the standalone SpecDigest / SecretEnvOf / BuildCreateSpec give (the plan, the
// list-proven check and the create call must keep agreeing), looked up by name or by element.
#include <gtest/gtest.h>

#include <stdexcept>

#include "reconcilers/sandboxes/container_spec.h"
#include "reconcilers/sandboxes/desired_containers.h"
#include "reconcilers/sandboxes/labels.h"
#include "state/encoding.h"
#include "tests/sandboxes/sandbox_test_support.h"

namespace ironward::sandboxes {
namespace {

class DesiredContainersTest : public test_support::SandboxFixture {
 protected:
  void SetUp() override {
    SandboxFixture::SetUp();
    spec::Sandbox second = desired_.spec.sandboxes[0];
    second.name = "agent-2";
    second.env = {{"TASK", "other"}};
    second.secret_env = {{"BOT_TOKEN", "TELEGRAM_BOT_TOKEN"}};
    desired_.spec.sandboxes.push_back(second);
    facts_.secrets->sandbox_values = {{"TELEGRAM_BOT_TOKEN", "bot-token-value"}};
    facts_.secrets->sandbox_digests = {{"TELEGRAM_BOT_TOKEN", Sha256Hex("bot-token-value")}};
  }
};

TEST_F(DesiredContainersTest, EachEntryIsWhatTheStandaloneFunctionsGive) {
  const EgressWiring w = CurrentWiring();
  const DesiredContainers want(desired_.spec.sandboxes, w);
  ASSERT_EQ(want.all().size(), 2U);
  for (const spec::Sandbox& s : desired_.spec.sandboxes) {
    const WantedContainer& c = want.Of(s);
    EXPECT_EQ(c.sandbox, &s);
    EXPECT_EQ(c.spec_digest, SpecDigest(s, w));
    EXPECT_EQ(c.secret_env.digest, SecretEnvOf(s, w).digest);
    const docker::ContainerCreateSpec standalone = BuildCreateSpec(s, w);
    EXPECT_EQ(c.create.env, standalone.env);
    EXPECT_EQ(c.create.labels, standalone.labels);
    EXPECT_EQ(c.create.image, standalone.image);
    EXPECT_EQ(c.create.host.binds, standalone.host.binds);
    EXPECT_EQ(c.create.host.network_mode, standalone.host.network_mode);
  }
  // The two sandboxes differ, and so do their digests; only agent-2 carries a secretEnv label.
  EXPECT_NE(want.all()[0].spec_digest, want.all()[1].spec_digest);
  EXPECT_EQ(want.all()[0].create.labels.count(kSecretEnvLabel), 0U);
  ASSERT_EQ(want.all()[1].create.labels.count(kSecretEnvLabel), 1U);
  EXPECT_EQ(want.all()[1].create.labels.at(kSecretEnvLabel), SecretEnvOf(desired_.spec.sandboxes[1], w).digest);
  EXPECT_EQ(test_support::EnvOf(want.all()[1].create, "BOT_TOKEN"), "bot-token-value");
}

TEST_F(DesiredContainersTest, FindsByNameAndRefusesASandboxFromAnotherList) {
  const DesiredContainers want(desired_.spec.sandboxes, CurrentWiring());
  ASSERT_NE(want.Find("agent-2"), nullptr);
  EXPECT_EQ(want.Find("agent-2")->sandbox, &desired_.spec.sandboxes[1]);
  EXPECT_EQ(want.Find("agent-3"), nullptr);
  const spec::Sandbox copy = desired_.spec.sandboxes[0];  // same name, not an element of the list
  EXPECT_THROW(want.Of(copy), std::logic_error);
}

TEST_F(DesiredContainersTest, PendingNetworkLeavesTheDigestEmptyAsSpecDigestDoes) {
  EgressWiring w = CurrentWiring();
  w.pending.push_back("sandbox network");
  const DesiredContainers want(desired_.spec.sandboxes, w);
  EXPECT_EQ(want.all()[0].spec_digest, "");
  EXPECT_EQ(want.all()[0].create.labels.at(kSpecDigestLabel), "");
}

}  // namespace
}  // namespace ironward::sandboxes
