#include "controller/harden/report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace ironward::harden {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

HardenReport Sample() {
  HardenReport r;
  for (auto name : kSignalNames) r.signals.push_back({std::string(name), SignalStatus::kPass, "fine", ""});
  r.signals[0] = {"tailscale", SignalStatus::kSkip, "tailscale not installed", "install it"};
  r.signals[2] = {"firewalld", SignalStatus::kFail, "firewalld is not running", "systemctl enable --now firewalld"};
  r.signals[4] = {"fail2ban", SignalStatus::kWarn, "fail2ban-client timed out after 3000 ms", "check it"};
  r.verdict = EvaluateBaseline(Baseline::kCatalin, r.signals);
  return r;
}

TEST(ReportTest, JsonHasTheDocumentedShape) {
  nlohmann::json j = ToJson(Sample());
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j.size(), 4U);
  ASSERT_TRUE(j["signals"].is_array());
  ASSERT_EQ(j["signals"].size(), 10U);
  for (const auto& s : j["signals"]) {
    EXPECT_EQ(s.size(), 4U);
    for (auto key : {"name", "status", "detail", "fix"}) EXPECT_TRUE(s[key].is_string()) << key;
  }
  EXPECT_EQ(j["signals"][2]["name"], "firewalld");
  EXPECT_EQ(j["signals"][2]["status"], "fail");
  EXPECT_EQ(j["signals"][4]["status"], "warn");
  EXPECT_EQ(j["signals"][0]["status"], "skip");
  EXPECT_EQ(j["signals"][1]["status"], "pass");
  EXPECT_EQ(j["baseline"], "catalin");
  EXPECT_EQ(j["satisfied"], false);
  EXPECT_EQ(j["missing"], nlohmann::json({"fail2ban"}));  // tailscale skipped: not missing
}

// The names are a contract with SIEM users: exactly the upstream survey's, in its order.
TEST(ReportTest, SignalNamesAreTheUpstreamOnes) {
  const std::vector<std::string> upstream = {"tailscale",          "ufw",
                                             "firewalld",          "nftables",
                                             "fail2ban",           "ssh-password-auth",
                                             "ssh-root-login",     "iron-proxy-enabled",
                                             "iron-proxy-running", "docker-seccomp"};
  const nlohmann::json j = ToJson(Sample());
  std::vector<std::string> names;
  for (const auto& s : j["signals"]) names.push_back(s["name"].get<std::string>());
  EXPECT_EQ(names, upstream);
}

TEST(ReportTest, TableShowsOnlyFailingSignalsByDefault) {
  std::string text = RenderText(Sample(), /*show_all=*/false, /*colour=*/false);
  EXPECT_THAT(text, HasSubstr("SIGNAL"));
  EXPECT_THAT(text, HasSubstr("firewalld"));
  EXPECT_THAT(text, HasSubstr("fail2ban"));
  EXPECT_THAT(text, Not(HasSubstr("ufw")));
  EXPECT_THAT(text, Not(HasSubstr("tailscale not installed")));
  EXPECT_THAT(text, HasSubstr("8 passing or skipped signals not shown (use --all)"));
  EXPECT_THAT(text, HasSubstr("Baseline catalin: NOT satisfied (missing: fail2ban)\n"));
  EXPECT_THAT(text, Not(HasSubstr("\033[")));
}

TEST(ReportTest, AllShowsEverySignal) {
  std::string text = RenderText(Sample(), /*show_all=*/true, /*colour=*/false);
  for (auto name : kSignalNames) EXPECT_THAT(text, HasSubstr(std::string(name))) << name;
  EXPECT_THAT(text, Not(HasSubstr("not shown")));
}

TEST(ReportTest, ColumnsAreAligned) {
  std::string text = RenderText(Sample(), /*show_all=*/true, /*colour=*/false);
  std::string header = text.substr(0, text.find('\n'));
  std::size_t status_col = header.find("STATUS");
  std::size_t pos = text.find("\nfirewalld");
  ASSERT_NE(pos, std::string::npos);
  EXPECT_EQ(text.substr(pos + 1 + status_col, 4), "fail");
}

TEST(ReportTest, OnlyTheSummaryIsColoured) {
  HardenReport r = Sample();
  std::string text = RenderText(r, true, /*colour=*/true);
  EXPECT_THAT(text, HasSubstr("\033[31mBaseline catalin: NOT satisfied"));
  EXPECT_EQ(text.find("\033["), text.find("\033[31mBaseline"));
  r.verdict = EvaluateBaseline(Baseline::kMinimal, r.signals);
  EXPECT_THAT(RenderText(r, false, true), HasSubstr("\033[32mBaseline minimal: satisfied\033[0m\n"));
}

TEST(ReportTest, NothingFailingSaysSo) {
  HardenReport r;
  for (auto name : kSignalNames) r.signals.push_back({std::string(name), SignalStatus::kPass, "ok", ""});
  r.verdict = EvaluateBaseline(Baseline::kParanoid, r.signals);
  std::string text = RenderText(r, false, false);
  EXPECT_THAT(text, HasSubstr("No failing signals."));
  EXPECT_THAT(text, HasSubstr("Baseline paranoid: satisfied"));
}

TEST(ReportTest, AnUnmetGroupIsSpelledOutAsOneOf) {
  HardenReport r;
  for (auto name : kSignalNames) r.signals.push_back({std::string(name), SignalStatus::kFail, "no", ""});
  r.verdict = EvaluateBaseline(Baseline::kMinimal, r.signals);
  EXPECT_EQ(SummaryLine(r.verdict),
            "Baseline minimal: NOT satisfied (missing: one of ufw/firewalld/nftables/tailscale, ssh-password-auth, "
            "iron-proxy-enabled)");
  EXPECT_EQ(ToJson(r)["missing"], nlohmann::json({"ufw", "firewalld", "nftables", "tailscale", "ssh-password-auth",
                                                  "iron-proxy-enabled"}));
}

}  // namespace
}  // namespace ironward::harden
