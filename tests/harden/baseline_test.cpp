#include "controller/harden/baseline.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ironward::harden {
namespace {

using ::testing::ElementsAre;

std::vector<SignalResult> AllWith(SignalStatus status) {
  std::vector<SignalResult> out;
  for (auto name : kSignalNames) out.push_back({std::string(name), status, "", ""});
  return out;
}

void SetStatus(std::vector<SignalResult>* signals, std::string_view name, SignalStatus status) {
  for (auto& s : *signals) {
    if (s.name == name) s.status = status;
  }
}

TEST(BaselineTest, MinimalNeedsAnyOneFirewallPlusSshAndProxy) {
  auto signals = AllWith(SignalStatus::kFail);
  SetStatus(&signals, kSshPasswordAuth, SignalStatus::kPass);
  SetStatus(&signals, kIronProxyEnabled, SignalStatus::kPass);
  BaselineVerdict v = EvaluateBaseline(Baseline::kMinimal, signals);
  EXPECT_FALSE(v.satisfied);
  EXPECT_THAT(v.missing, ElementsAre("firewall"));
  for (auto firewall : {kUfw, kFirewalld, kNftables, kTailscale}) {
    auto with_one = signals;
    SetStatus(&with_one, firewall, SignalStatus::kPass);
    EXPECT_TRUE(EvaluateBaseline(Baseline::kMinimal, with_one).satisfied) << firewall;
  }
}

TEST(BaselineTest, MinimalListsEverythingMissingInOrder) {
  BaselineVerdict v = EvaluateBaseline(Baseline::kMinimal, AllWith(SignalStatus::kFail));
  EXPECT_THAT(v.missing, ElementsAre("firewall", "ssh-password-auth", "iron-proxy-enabled"));
}

TEST(BaselineTest, CatalinNeedsItsFiveSignals) {
  auto signals = AllWith(SignalStatus::kFail);
  for (auto name : {kUfw, kSshPasswordAuth, kIronProxyEnabled}) SetStatus(&signals, name, SignalStatus::kPass);
  SetStatus(&signals, kTailscale, SignalStatus::kSkip);
  BaselineVerdict v = EvaluateBaseline(Baseline::kCatalin, signals);
  EXPECT_FALSE(v.satisfied);
  EXPECT_THAT(v.missing, ElementsAre("tailscale", "fail2ban"));
  SetStatus(&signals, kTailscale, SignalStatus::kPass);
  SetStatus(&signals, kFail2ban, SignalStatus::kPass);
  EXPECT_TRUE(EvaluateBaseline(Baseline::kCatalin, signals).satisfied);
  EXPECT_FALSE(EvaluateBaseline(Baseline::kParanoid, signals).satisfied);
}

TEST(BaselineTest, ParanoidNeedsAllTenAndWarnOrSkipCountsAsMissing) {
  auto signals = AllWith(SignalStatus::kPass);
  EXPECT_TRUE(EvaluateBaseline(Baseline::kParanoid, signals).satisfied);
  SetStatus(&signals, kDockerSeccomp, SignalStatus::kSkip);
  SetStatus(&signals, kNftables, SignalStatus::kWarn);
  BaselineVerdict v = EvaluateBaseline(Baseline::kParanoid, signals);
  EXPECT_FALSE(v.satisfied);
  EXPECT_THAT(v.missing, ElementsAre("nftables", "docker-seccomp"));
}

TEST(BaselineTest, NamesRoundTrip) {
  for (Baseline b : {Baseline::kMinimal, Baseline::kCatalin, Baseline::kParanoid}) {
    EXPECT_EQ(ParseBaseline(BaselineName(b)), b);
  }
  EXPECT_EQ(ParseBaseline("Minimal"), std::nullopt);
  EXPECT_EQ(ParseBaseline(""), std::nullopt);
}

}  // namespace
}  // namespace ironward::harden
