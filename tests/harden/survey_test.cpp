// RunSurvey's guarantees (ten signals, in order, bounded, never throws), the CLI, and one run
// on the real machine.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "controller/cli.h"
#include "tests/harden/survey_fixture.h"
#include "tests/support/temp_dir.h"

namespace ironward::harden::testing {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;

class SurveyTest : public SurveyFixture {};

class SlowRunner final : public CommandRunner {
 public:
  CommandResult Run(const std::vector<std::string>&, milliseconds) override {
    std::this_thread::sleep_for(milliseconds(2000));  // a runner that ignores its own timeout
    return CommandResult::Exited(0, "");
  }
};

class ThrowingRunner final : public CommandRunner {
 public:
  CommandResult Run(const std::vector<std::string>&, milliseconds) override { throw std::runtime_error("boom"); }
};

void ExpectWellFormed(const HardenReport& report) {
  ASSERT_EQ(report.signals.size(), kSignalNames.size());
  for (std::size_t i = 0; i < kSignalNames.size(); ++i) {
    const SignalResult& s = report.signals[i];
    EXPECT_EQ(s.name, kSignalNames[i]);
    EXPECT_FALSE(s.detail.empty()) << s.name;
    const std::string status(StatusName(s.status));
    EXPECT_TRUE(status == "pass" || status == "fail" || status == "warn" || status == "skip") << status;
  }
  nlohmann::json j = ToJson(report);
  EXPECT_EQ(j["signals"].size(), kSignalNames.size());
  EXPECT_TRUE(nlohmann::json::accept(j.dump()));
}

TEST_F(SurveyTest, HealthyHostSatisfiesEveryBaseline) {
  for (Baseline b : {Baseline::kMinimal, Baseline::kCatalin, Baseline::kParanoid}) {
    auto deps = std::make_shared<SurveyDeps>(Deps());
    deps->baseline = b;
    deps_override_ = deps;
    HardenReport report = Survey();
    ExpectWellFormed(report);
    EXPECT_TRUE(report.verdict.satisfied) << BaselineName(b) << ": " << SummaryLine(report.verdict);
  }
}

TEST_F(SurveyTest, TheBaselineIsEvaluatedOnTheSurveyedSignals) {
  runner_->Set("fail2ban-client", CommandResult::Exited(0, "Status\n|- Number of jail:\t0\n"));
  auto deps = std::make_shared<SurveyDeps>(Deps());
  deps->baseline = Baseline::kCatalin;
  deps_override_ = deps;
  HardenReport report = Survey();
  EXPECT_FALSE(report.verdict.satisfied);
  EXPECT_EQ(report.verdict.missing, std::vector<std::string>{"fail2ban"});
}

TEST_F(SurveyTest, MinimalIsSatisfiableOnAHostWithoutSshd) {
  files_->Remove(kSshd);
  HardenReport report = Survey();
  EXPECT_EQ(report.signals[5].status, SignalStatus::kSkip) << report.signals[5].detail;
  EXPECT_EQ(report.signals[6].status, SignalStatus::kSkip) << report.signals[6].detail;
  EXPECT_TRUE(report.verdict.satisfied) << SummaryLine(report.verdict);
}

TEST_F(SurveyTest, AHungRunnerIsCutOffByTheOverallBound) {
  SurveyDeps deps = Deps();
  deps.runner = std::make_shared<SlowRunner>();
  deps.overall_timeout = milliseconds(300);
  const auto start = std::chrono::steady_clock::now();
  HardenReport report = RunSurvey(deps);
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(1500));
  ExpectWellFormed(report);
  SignalResult ufw = report.signals[1];
  EXPECT_EQ(ufw.status, SignalStatus::kWarn);
  EXPECT_THAT(ufw.detail, HasSubstr("did not finish within 300 ms"));
  EXPECT_EQ(report.signals[7].status, SignalStatus::kPass) << "file-based probes are not held up";
}

TEST_F(SurveyTest, AThrowingProbeBecomesAWarn) {
  SurveyDeps deps = Deps();
  deps.runner = std::make_shared<ThrowingRunner>();
  HardenReport report = RunSurvey(deps);
  ExpectWellFormed(report);
  EXPECT_EQ(report.signals[0].status, SignalStatus::kWarn);
  EXPECT_EQ(report.signals[0].detail, "probe failed: boom");
}

TEST(RealSurveyTest, RunOnThisMachineIsBoundedAndWellFormed) {
  SurveyDeps deps;  // real runner, real files, real sshd_config
  const ironward::testing::TempDir state;
  deps.state_dir = state.str();
  const auto start = std::chrono::steady_clock::now();
  HardenReport report = RunSurvey(deps);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, deps.overall_timeout + milliseconds(2000));
  ExpectWellFormed(report);
  EXPECT_EQ(report.signals[7].status, SignalStatus::kFail) << "empty state dir has no proxy.yaml";
}

TEST(HardenCommandTest, JsonOutputIsTheReportAndExitIsZero) {
  CLI::App app{"test"};
  CliContext ctx;
  const ironward::testing::TempDir state;
  ctx.global.state_dir = state.str();
  ctx.exit_code = 7;
  AddHardenCommand(app, ctx);
  ::testing::internal::CaptureStdout();
  app.parse("harden --json --baseline paranoid", false);
  std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(ctx.exit_code, 0);
  nlohmann::json j = nlohmann::json::parse(out);
  EXPECT_EQ(j["baseline"], "paranoid");
  EXPECT_EQ(j["signals"].size(), 10U);
  EXPECT_EQ(j["satisfied"], false);
}

TEST(HardenCommandTest, TextOutputIsUncolouredWhenNotATty) {
  CLI::App app{"test"};
  CliContext ctx;
  const ironward::testing::TempDir state;
  ctx.global.state_dir = state.str();
  AddHardenCommand(app, ctx);
  ::testing::internal::CaptureStdout();
  app.parse("harden --all", false);
  std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(ctx.exit_code, 0);
  EXPECT_THAT(out, HasSubstr("Baseline minimal: "));
  EXPECT_THAT(out, HasSubstr("iron-proxy-enabled"));
  EXPECT_EQ(out.find("\033["), std::string::npos);
}

TEST(HardenCommandTest, UnknownBaselineIsAUsageError) {
  CLI::App app{"test"};
  CliContext ctx;
  AddHardenCommand(app, ctx);
  EXPECT_THROW(app.parse("harden --baseline strict", false), CLI::ValidationError);
}

}  // namespace
}  // namespace ironward::harden::testing
