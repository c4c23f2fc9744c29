#include "controller/run/metrics.h"

#include <sys/stat.h>

#include <regex>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace ironward::run {
namespace {

ResourceResult Done(const std::string& name, double seconds, int changed = 0) {
  ResourceResult r;
  r.plan.resource = name;
  r.outcome = Outcome::Done(changed);
  r.duration_seconds = seconds;
  return r;
}

ResourceResult WithOutcome(const std::string& name, Outcome::Kind kind) {
  ResourceResult r = Done(name, 0.002);
  r.outcome->kind = kind;
  return r;
}

TEST(MetricsTest, CountsResultsErrorsAndTimesPerResource) {
  RunResult run;
  run.resources = {Done("ca", 0.003), WithOutcome("daemon", Outcome::Kind::kRetry),
                   WithOutcome("secrets", Outcome::Kind::kTerminal), WithOutcome("sandboxes", Outcome::Kind::kRequeueAfter)};
  ResourceResult skipped;
  skipped.plan.resource = "config";
  skipped.skipped = true;
  run.resources.push_back(skipped);
  Metrics m;
  m.ObservePass(run, {"ca", "daemon"});
  m.ObservePass(run, {"ca"});
  const std::string text = m.Render();
  EXPECT_NE(text.find("ironward_reconcile_total{resource=\"ca\",result=\"success\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("ironward_reconcile_total{resource=\"daemon\",result=\"requeue\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("ironward_reconcile_total{resource=\"secrets\",result=\"error\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("ironward_reconcile_total{resource=\"sandboxes\",result=\"requeue_after\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("ironward_reconcile_total{resource=\"config\",result=\"skipped\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("ironward_reconcile_errors_total{resource=\"ca\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("ironward_reconcile_errors_total{resource=\"daemon\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("ironward_reconcile_errors_total{resource=\"secrets\"} 2\n"), std::string::npos);
  // 3 ms falls in the 0.005 bucket and every larger one.
  EXPECT_NE(text.find("ironward_reconcile_time_seconds_bucket{resource=\"ca\",le=\"0.005\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("ironward_reconcile_time_seconds_bucket{resource=\"ca\",le=\"+Inf\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("ironward_reconcile_time_seconds_count{resource=\"ca\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("ironward_reconcile_time_seconds_sum{resource=\"ca\"} 0.006\n"), std::string::npos);
  EXPECT_EQ(text.find("ironward_reconcile_time_seconds_count{resource=\"config\"}"), std::string::npos)
      << "a skipped resource did not take time";
  EXPECT_NE(text.find("ironward_drift_events_total 3\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE ironward_reconcile_time_seconds histogram\n"), std::string::npos);
  // Every sample line is NAME{labels} VALUE or NAME VALUE.
  std::istringstream lines(text);
  std::string line;
  const std::regex sample(R"(^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [-+0-9.eInf]+$)");
  while (std::getline(lines, line)) {
    if (line.rfind("# ", 0) == 0) continue;
    EXPECT_TRUE(std::regex_match(line, sample)) << line;
  }
}

TEST(MetricsTest, DomainGaugesComeFromStatusDetailsAndAbsentOnesAreOmitted) {
  Metrics m;
  state::StatusDoc empty;
  m.SetFromStatus(empty);
  std::string text = m.Render();
  for (const char* name : {"ironward_proxy_up", "ironward_ca_not_after_timestamp_seconds",
                           "ironward_secret_last_fetch_timestamp_seconds", "ironward_secret_refresh_interval_seconds",
                           "ironward_sandboxes{", "ironward_harden_signal", "ironward_resource_condition"}) {
    EXPECT_EQ(text.find(name), std::string::npos) << name;
  }

  state::StatusDoc doc;
  doc.resources["daemon"].details = {{"running", true}, {"pid", 42}};
  doc.resources["ca"].details = {{"not_after", "2036-01-01T00:00:00Z"}};
  doc.resources["secrets"].details = {{"fetched_at", "2026-01-01T00:00:10Z"}, {"refresh_interval_seconds", 3600}};
  doc.resources["enforcement"].details = {{"compliant", 3}, {"non_compliant", 1}};
  doc.resources["sandboxes"].details = {{"managed", 2}, {"running", 1}};
  doc.extra["harden"] = {{"signals", {{{"name", "ufw"}, {"status", "fail"}}, {{"name", "ssh-root-login"}, {"status", "pass"}}}}};
  m.SetFromStatus(doc);
  m.SetDesiredRefused(true);
  text = m.Render();
  EXPECT_NE(text.find("ironward_proxy_up 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("ironward_ca_not_after_timestamp_seconds 2082758400\n"), std::string::npos);
  EXPECT_NE(text.find("ironward_secret_last_fetch_timestamp_seconds 1767225610\n"), std::string::npos);
  EXPECT_NE(text.find("ironward_secret_refresh_interval_seconds 3600\n"), std::string::npos);
  EXPECT_NE(text.find("ironward_sandboxes{state=\"compliant\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("ironward_sandboxes{state=\"non_compliant\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("ironward_sandboxes_managed 2\n"), std::string::npos);
  EXPECT_NE(text.find("ironward_sandboxes_running 1\n"), std::string::npos);
  EXPECT_NE(text.find("ironward_harden_signal{name=\"ufw\",status=\"fail\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("ironward_harden_signal{name=\"ufw\",status=\"pass\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("ironward_harden_signal{name=\"ssh-root-login\",status=\"pass\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("ironward_desired_state_refused 1\n"), std::string::npos);
  EXPECT_NE(text.find("ironward_ready 0\n"), std::string::npos) << "no resource has a Ready condition";
}

TEST(MetricsTest, ConditionsPerResourceAreOneWhileTrue) {
  state::StatusDoc doc;
  doc.resources["ca"].SetCondition("Ready", "True", "Applied", "", "t");
  doc.resources["ca"].SetCondition("Stalled", "False", "", "", "t");
  doc.resources["daemon"].SetCondition("Ready", "False", "CrashLoop", "crash loop", "t");
  doc.resources["daemon"].SetCondition("Reconciling", "True", "ProgressingWithRetry", "", "t");
  doc.resources["daemon"].SetCondition("Stalled", "True", "CrashLoop", "crash loop", "t");
  doc.resources["secrets"];  // no condition recorded yet: all 0, never "True"
  Metrics m;
  m.SetFromStatus(doc);
  const std::string text = m.Render();
  EXPECT_NE(text.find("# TYPE ironward_resource_condition gauge\n"), std::string::npos) << text;
  for (const auto& [line, present] : std::vector<std::pair<std::string, bool>>{
           {"ironward_resource_condition{resource=\"ca\",condition=\"Ready\"} 1\n", true},
           {"ironward_resource_condition{resource=\"ca\",condition=\"Reconciling\"} 0\n", true},
           {"ironward_resource_condition{resource=\"ca\",condition=\"Stalled\"} 0\n", true},
           {"ironward_resource_condition{resource=\"daemon\",condition=\"Ready\"} 0\n", true},
           {"ironward_resource_condition{resource=\"daemon\",condition=\"Reconciling\"} 1\n", true},
           {"ironward_resource_condition{resource=\"daemon\",condition=\"Stalled\"} 1\n", true},
           {"ironward_resource_condition{resource=\"secrets\",condition=\"Ready\"} 0\n", true},
           {"ironward_resource_condition{resource=\"secrets\",condition=\"Stalled\"} 1\n", false}}) {
    EXPECT_EQ(text.find(line) != std::string::npos, present) << line << text;
  }
}

TEST(MetricsTest, UnhealedDriftCountsPassesUntilTheResourceConverges) {
  auto pass = [](std::initializer_list<ResourceResult> resources) {
    RunResult run;
    run.resources = resources;
    return run;
  };
  auto unhealed = [](const Metrics& m, const std::string& resource) -> long {
    const std::string text = m.Render();
    const std::string key = "ironward_drift_unhealed_passes{resource=\"" + resource + "\"} ";
    const auto at = text.find(key);
    return at == std::string::npos ? -1 : std::stol(text.substr(at + key.size()));
  };
  Metrics m;
  // Drift found and healed in the same pass: 0.
  m.ObservePass(pass({Done("daemon", 0.1), Done("ca", 0.1)}), {"daemon"});
  EXPECT_EQ(unhealed(m, "daemon"), 0);
  EXPECT_EQ(unhealed(m, "ca"), 0);
  // Drift found, the heal failed: 1; then retried without success: 2; held by its back-off
  // (skipped) is not healed either: 3.
  m.ObservePass(pass({WithOutcome("daemon", Outcome::Kind::kRetry), Done("ca", 0.1)}), {"daemon"});
  EXPECT_EQ(unhealed(m, "daemon"), 1);
  m.ObservePass(pass({WithOutcome("daemon", Outcome::Kind::kRetry), Done("ca", 0.1)}), {});
  EXPECT_EQ(unhealed(m, "daemon"), 2);
  ResourceResult held;
  held.plan.resource = "daemon";
  held.skipped = true;
  m.ObservePass(pass({held, Done("ca", 0.1)}), {});
  EXPECT_EQ(unhealed(m, "daemon"), 3);
  EXPECT_EQ(unhealed(m, "ca"), 0) << "only the drifted resource counts";
  // A failure that was not drift (the resource was not Ready before) never counts.
  m.ObservePass(pass({WithOutcome("daemon", Outcome::Kind::kRetry), WithOutcome("ca", Outcome::Kind::kTerminal)}), {});
  EXPECT_EQ(unhealed(m, "daemon"), 4);
  EXPECT_EQ(unhealed(m, "ca"), 0);
  // Converged: back to 0, and a later failure is not counted without new drift.
  m.ObservePass(pass({Done("daemon", 0.1), Done("ca", 0.1)}), {});
  EXPECT_EQ(unhealed(m, "daemon"), 0);
  m.ObservePass(pass({WithOutcome("daemon", Outcome::Kind::kRetry)}), {});
  EXPECT_EQ(unhealed(m, "daemon"), 0);
  EXPECT_EQ(unhealed(m, "ca"), -1) << "a resource no longer reconciled is dropped";
}

TEST(MetricsTest, DriftCountsChangesToReadyResourcesUnderAnUnchangedDesiredState) {
  state::StatusDoc before;
  before.desired_digest = "desired-1";
  before.resources["daemon"].SetCondition("Ready", "True", "Applied", "", "t");
  before.resources["proxy_config"].SetCondition("Ready", "False", "Failed", "", "t");
  RunResult run;
  run.desired_digest = "desired-1";
  ResourceResult daemon;
  daemon.plan.resource = "daemon";
  daemon.plan.changes.push_back(Change{});
  ResourceResult config;  // was not Ready: a retry, not drift
  config.plan.resource = "proxy_config";
  config.plan.changes.push_back(Change{});
  ResourceResult ca;  // in sync
  ca.plan.resource = "ca";
  run.resources = {daemon, config, ca};
  EXPECT_EQ(CountDrift(before, run), 1);
  EXPECT_EQ(DriftedResources(before, run), std::vector<std::string>{"daemon"});
  run.desired_digest = "desired-2";
  EXPECT_EQ(CountDrift(before, run), 0) << "a new desired state is a change, not drift";
}

TEST(MetricsTest, TextfileIsReplacedAtomicallyAndWorldReadable) {
  testing::TempDir dir;
  ASSERT_TRUE(WriteTextfile(dir.path().string(), "ironward_drift_events_total 1\n").ok());
  ASSERT_TRUE(WriteTextfile(dir.path().string(), "ironward_drift_events_total 2\n").ok());
  EXPECT_EQ(testing::ReadFile(dir.path() / "ironward.prom"), "ironward_drift_events_total 2\n");
  EXPECT_EQ(testing::ModeOf(dir.path() / "ironward.prom"), 0644U);
  int files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++files;
  EXPECT_EQ(files, 1) << "no temp file left behind";
  EXPECT_FALSE(WriteTextfile("/nonexistent/dir", "x").ok());
}

}  // namespace
}  // namespace ironward::run
