#include "controller/harden/baseline.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ironward::harden {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

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

TEST(BaselineTest, AGroupIsSatisfiedByAnyOneMember) {
  auto signals = AllWith(SignalStatus::kFail);
  SetStatus(&signals, kSshPasswordAuth, SignalStatus::kPass);
  SetStatus(&signals, kIronProxyEnabled, SignalStatus::kPass);
  EXPECT_FALSE(EvaluateBaseline(Baseline::kMinimal, signals).satisfied);
  for (auto firewall : {kUfw, kFirewalld, kNftables, kTailscale}) {
    auto with_one = signals;
    SetStatus(&with_one, firewall, SignalStatus::kPass);
    BaselineVerdict v = EvaluateBaseline(Baseline::kMinimal, with_one);
    EXPECT_TRUE(v.satisfied) << firewall;
    EXPECT_THAT(v.missing, IsEmpty()) << firewall;
  }
}

TEST(BaselineTest, AnUnmetGroupListsEveryAcceptableMember) {
  auto signals = AllWith(SignalStatus::kFail);
  SetStatus(&signals, kSshPasswordAuth, SignalStatus::kPass);
  SetStatus(&signals, kIronProxyEnabled, SignalStatus::kPass);
  SetStatus(&signals, kTailscale, SignalStatus::kSkip);  // an acceptable fix all the same
  BaselineVerdict v = EvaluateBaseline(Baseline::kMinimal, signals);
  EXPECT_FALSE(v.satisfied);
  EXPECT_THAT(v.missing, ElementsAre("ufw", "firewalld", "nftables", "tailscale"));
  ASSERT_EQ(v.unmet.size(), 1U);
  EXPECT_THAT(v.unmet[0], ElementsAre("ufw", "firewalld", "nftables", "tailscale"));
}

TEST(BaselineTest, MinimalListsEverythingMissingInOrder) {
  BaselineVerdict v = EvaluateBaseline(Baseline::kMinimal, AllWith(SignalStatus::kFail));
  EXPECT_THAT(v.missing,
              ElementsAre("ufw", "firewalld", "nftables", "tailscale", "ssh-password-auth", "iron-proxy-enabled"));
  EXPECT_EQ(v.unmet.size(), 3U);
}

TEST(BaselineTest, SkipIsNeverMissing) {
  // A host without sshd: both ssh signals skip, and minimal is still satisfiable.
  auto signals = AllWith(SignalStatus::kFail);
  SetStatus(&signals, kUfw, SignalStatus::kPass);
  SetStatus(&signals, kIronProxyEnabled, SignalStatus::kPass);
  SetStatus(&signals, kSshPasswordAuth, SignalStatus::kSkip);
  SetStatus(&signals, kSshRootLogin, SignalStatus::kSkip);
  BaselineVerdict v = EvaluateBaseline(Baseline::kMinimal, signals);
  EXPECT_TRUE(v.satisfied);
  EXPECT_THAT(v.missing, IsEmpty());
  // A group whose members all skip is a host without any firewall: unmet, every member missing.
  auto no_firewall_tools = AllWith(SignalStatus::kPass);
  for (auto name : {kUfw, kFirewalld, kNftables, kTailscale}) SetStatus(&no_firewall_tools, name, SignalStatus::kSkip);
  const BaselineVerdict none = EvaluateBaseline(Baseline::kMinimal, no_firewall_tools);
  EXPECT_FALSE(none.satisfied);
  EXPECT_THAT(none.missing, ElementsAre("ufw", "firewalld", "nftables", "tailscale"));
}

TEST(BaselineTest, CatalinNeedsItsFiveSignals) {
  auto signals = AllWith(SignalStatus::kFail);
  for (auto name : {kUfw, kSshPasswordAuth, kIronProxyEnabled}) SetStatus(&signals, name, SignalStatus::kPass);
  SetStatus(&signals, kTailscale, SignalStatus::kWarn);
  BaselineVerdict v = EvaluateBaseline(Baseline::kCatalin, signals);
  EXPECT_FALSE(v.satisfied);
  EXPECT_THAT(v.missing, ElementsAre("tailscale", "fail2ban"));
  SetStatus(&signals, kTailscale, SignalStatus::kPass);
  SetStatus(&signals, kFail2ban, SignalStatus::kPass);
  EXPECT_TRUE(EvaluateBaseline(Baseline::kCatalin, signals).satisfied);
  EXPECT_FALSE(EvaluateBaseline(Baseline::kParanoid, signals).satisfied);
}

TEST(BaselineTest, ParanoidNeedsAllTenAndWarnCountsAsMissingButSkipDoesNot) {
  auto signals = AllWith(SignalStatus::kPass);
  EXPECT_TRUE(EvaluateBaseline(Baseline::kParanoid, signals).satisfied);
  SetStatus(&signals, kDockerSeccomp, SignalStatus::kSkip);
  SetStatus(&signals, kNftables, SignalStatus::kWarn);
  BaselineVerdict v = EvaluateBaseline(Baseline::kParanoid, signals);
  EXPECT_FALSE(v.satisfied);
  EXPECT_THAT(v.missing, ElementsAre("nftables"));
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
