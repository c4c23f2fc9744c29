// Benchmark driver (not a test): time of creating N sandboxes (spec.reconcile.parallelism at a time),
// then of a full sandboxes reconcile pass with all N in sync (1 list + N inspects, the one-shot
// commands' and the drift check's) and of a list-proven pass (`run` between drift checks), against
// the engine at $DOCKER_HOST, with the Engine API calls each made. Run by
// bench/sandboxes_sync.sh, which starts a private engine and builds the test image.
//   sandboxes_bench N [PASSES]
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "reconcilers/docker/docker_client.h"
#include "reconcilers/sandboxes/labels.h"
#include "reconcilers/sandboxes/sandboxes_reconciler.h"
#include "state/encoding.h"
#include "state/state_dir.h"
#include "tests/support/temp_dir.h"

namespace iw = ironward;

namespace {

/// Median of `v` (sorted in place); v must not be empty.
double MedianOf(std::vector<double>& v) {
  std::sort(v.begin(), v.end());
  const std::size_t k = v.size();
  return k % 2 == 1 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
}

/// This process's CPU time so far (all threads), in seconds.
double CpuNow() {
  timespec t{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s N [PASSES]\n", argv[0]);
    return 2;
  }
  const int n = std::atoi(argv[1]);
  const int passes = argc > 2 ? std::atoi(argv[2]) : 5;
  iw::CurlHttpClient http;
  iw::RealClock clock;
  auto client = iw::docker::DockerClient::FromEnvironment(http, clock);
  if (!client) {
    std::fprintf(stderr, "%s\n", client.error().message.c_str());
    return 1;
  }
  iw::docker::DockerClient& docker = **client;
  iw::testing::TempDir state_dir, work;
  iw::state::StateWriter writer(state_dir.path());
  const std::string ca = (state_dir.path() / "ca.crt").string();
  iw::testing::WriteFile(ca, "bench CA\n");

  iw::spec::DesiredState desired;
  desired.name = "bench-" + std::to_string(n);
  iw::spec::Provider p;
  p.name = "openrouter";
  p.secret = "OPENROUTER_API_KEY";
  desired.spec.providers.push_back(p);
  for (int i = 0; i < n; ++i) {
    iw::spec::Sandbox s;
    s.name = desired.name + "-" + std::to_string(i);
    s.image = std::getenv("IRONWARD_TEST_IMAGE") != nullptr ? std::getenv("IRONWARD_TEST_IMAGE") : "ironward/test-sandbox:1";
    s.command = {"sleep", "3600"};
    s.resources.memory_bytes = 16LL * 1024 * 1024;
    s.resources.cpus = 0.1;
    s.resources.pids = 16;
    desired.spec.sandboxes.push_back(s);
  }
  iw::Facts facts;
  iw::CaFacts caf;
  caf.cert_path = ca;
  caf.cert_digest = iw::Sha256Hex("bench CA\n");
  facts.ca = caf;
  iw::MappingFacts m;
  m.rotation = 1;
  m.tokens = {{"openrouter", iw::RandomHex(16)}};
  facts.mappings = m;

  iw::sandboxes::SandboxesReconciler reconciler{
      iw::sandboxes::SandboxesOptions{std::string("/nonexistent-home"), std::chrono::seconds(1)}};
  iw::WriteDeps deps{clock, writer, nullptr, nullptr, &docker, nullptr};
  int rc = 0;
  {
    iw::Facts f = facts;
    iw::ReconcileContext ctx{desired, f, false};
    const auto start = std::chrono::steady_clock::now();
    iw::ResourcePlan plan = reconciler.Plan(ctx, deps.Read());
    iw::Outcome o = plan.error ? iw::Outcome::Failed(*plan.error, "PlanFailed") : reconciler.Apply(ctx, plan, deps);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("sandboxes=%d create pass: %.2f s (%s)\n", n, s, o.message.c_str());
    if (o.kind != iw::Outcome::Kind::kDone) rc = 1;
  }
  std::vector<double> times;
  std::uint64_t calls = 0;
  bool in_sync = true;
  for (int i = 0; i < passes && rc == 0; ++i) {
    docker.stats().Reset();
    iw::Facts f = facts;
    iw::ReconcileContext ctx{desired, f, true};
    const auto start = std::chrono::steady_clock::now();
    iw::ResourcePlan plan = reconciler.Plan(ctx, deps.Read());
    times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    calls += docker.stats().Total();
    in_sync = in_sync && plan.InSync();
  }
  if (rc == 0 && !times.empty()) {
    const double median = MedianOf(times);  // sorts: front/back below are min/max
    std::printf("sandboxes=%d in-sync pass: %.1f ms median over %d (min %.1f, max %.1f), %.0f Engine API calls per "
                "pass, in_sync=%s\n",
                n, 1000 * median, passes, 1000 * times.front(), 1000 * times.back(),
                static_cast<double>(calls) / passes, in_sync ? "yes" : "NO");
    if (!in_sync) rc = 1;
  }
  // The passes of `ironward run` between drift checks: list entries that prove a sandbox in sync
  // spare its inspect (DriftCheck::kListed).
  std::vector<double> listed;
  std::vector<double> listed_cpu;  // this process's CPU (all threads): the rest of the wall time is the engine's
  std::uint64_t listed_calls = 0;
  for (int i = 0; i < passes && rc == 0; ++i) {
    docker.stats().Reset();
    iw::Facts f = facts;
    iw::ReconcileContext ctx{desired, f, true, iw::DriftCheck::kListed};
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = CpuNow();
    iw::ResourcePlan plan = reconciler.Plan(ctx, deps.Read());
    listed.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    listed_cpu.push_back(CpuNow() - cpu_start);
    listed_calls += docker.stats().Total();
    if (!plan.InSync()) rc = 1;
  }
  if (rc == 0 && !listed.empty()) {
    std::printf("sandboxes=%d listed pass (run, between drift checks): %.1f ms median over %d, %.0f Engine API calls "
                "per pass, %.1f ms of it ironward's CPU\n",
                n, 1000 * MedianOf(listed), passes, static_cast<double>(listed_calls) / passes,
                1000 * MedianOf(listed_cpu));
  }
  // Clean up everything this run created.
  auto owned = docker.ListContainers(iw::sandboxes::OwnerFilter(desired.name), true);
  if (owned.ok()) {
    for (const auto& c : *owned) (void)docker.RemoveContainer(c.id, true);
  }
  return rc;
}
