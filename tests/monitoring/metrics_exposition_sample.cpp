// Prints the /metrics text `ironward run` serves (Metrics, then ProxyRequestMetrics, as the
// endpoint does), rendered by the real renderers from a status in which every detail a gauge comes
// from is present (a gauge with no source is omitted, so a real daemon on a test host serves only
// some of them). tests/monitoring/check_monitoring.py takes the
// metric names and labels the dashboard and the alert rules may use from this output, and
// promtool_test.sh lints it with `promtool check metrics`.
#include <stdlib.h>

#include <filesystem>
#include <iostream>
#include <string>

#include "controller/run/metrics.h"
#include "controller/run/proxy_metrics.h"

namespace {

using ironward::Outcome;
using ironward::ResourceResult;
using ironward::RunResult;

ResourceResult Result(const std::string& resource, Outcome::Kind kind, double seconds) {
  ResourceResult r;
  r.plan.resource = resource;
  r.outcome = Outcome::Done(0);
  r.outcome->kind = kind;
  r.duration_seconds = seconds;
  return r;
}

ironward::state::StatusDoc FullStatus() {
  ironward::state::StatusDoc doc;
  doc.desired_digest = "sample";
  doc.resources["daemon"].details = {
      {"running", true}, {"consecutive_crashes", 2}, {"crash_causes", {{"killed_by_signal", 1}, {"exited", 1}}}};
  doc.resources["ca"].details = {{"not_after", "2036-01-01T00:00:00Z"}};
  doc.resources["secrets"].details = {{"fetched_at", "2026-01-01T00:00:10Z"}, {"refresh_interval_seconds", 3600}};
  doc.resources["enforcement"].details = {{"compliant", 3}, {"non_compliant", 1}};
  doc.resources["sandboxes"].details = {{"managed", 2}, {"running", 2}};
  for (auto& [name, r] : doc.resources) {
    r.SetCondition("Ready", "True", "Applied", "", "2026-01-01T00:00:00Z");
    r.SetCondition("Reconciling", "False", "Applied", "", "2026-01-01T00:00:00Z");
    r.SetCondition("Stalled", "False", "Applied", "", "2026-01-01T00:00:00Z");
  }
  doc.extra["harden"] = {{"signals", {{{"name", "ufw"}, {"status", "pass"}}}}};
  return doc;
}

}  // namespace

int main() {
  RunResult pass;
  pass.desired_digest = "sample";
  for (const char* name : {"ca", "daemon", "enforcement", "sandboxes", "secrets"}) {
    pass.resources.push_back(Result(name, Outcome::Kind::kDone, 0.01));
  }
  pass.resources.push_back(Result("network", Outcome::Kind::kRetry, 0.02));
  ironward::run::Metrics metrics;
  metrics.ObservePass(pass, {"daemon"});
  metrics.SetFromStatus(FullStatus());
  metrics.SetDesiredRefused(false);
  std::cout << metrics.Render();
  // The request counters read iron-proxy.log in the state dir; an empty one still serves the
  // host="other" series of every base action.
  std::string dir = (std::filesystem::temp_directory_path() / "ironward-sample-XXXXXX").string();
  if (::mkdtemp(dir.data()) == nullptr) return 1;
  {
    ironward::run::ProxyRequestMetrics requests(dir, ironward::run::kDefaultProxyHostLimit);
    std::cout << requests.Render();
  }
  std::filesystem::remove_all(dir);
  return 0;
}
