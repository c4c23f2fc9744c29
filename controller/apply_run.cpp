#include "controller/apply_run.h"

#include <filesystem>
#include <iostream>

#include <spdlog/spdlog.h>

#include "controller/command_support.h"
#include "controller/plan_output.h"
#include "controller/run/metrics.h"
#include "state/lock.h"
#include "state/status.h"

namespace ironward {
namespace {

/// `ironward run` records a refusal of its desired-state files in status ("desired_refused"). A
/// successful pass of those same files (now valid) means the refusal no longer holds.
void ClearRefusalOf(state::StatusDoc& doc, const spec::DesiredState& desired, const RunResult& run) {
  auto it = doc.extra.find("desired_refused");
  if (it == doc.extra.end() || run.failed > 0) return;
  const std::vector<std::string> refused = RefusedPaths(*it);
  if (refused.empty()) {
    doc.extra.erase(it);
    return;
  }
  if (refused.size() != desired.source_paths.size()) return;
  for (std::size_t i = 0; i < refused.size(); ++i) {
    std::error_code a;
    std::error_code b;
    const auto r = std::filesystem::weakly_canonical(refused[i], a);
    const auto l = std::filesystem::weakly_canonical(desired.source_paths[i], b);
    if (a || b || r != l) return;
  }
  doc.extra.erase(it);
}

}  // namespace

int RunApply(const spec::DesiredState& desired, const ApplyRunOptions& options) {
  Runtime rt;
  state::StateWriter writer(options.state_dir);
  auto lock = state::WriterLock::Acquire(writer, options.lock_timeout);
  if (!lock) {
    std::cerr << "Error: " << lock.error().message << "\n";
    return 1;
  }
  auto loaded = state::LoadStatus(writer);
  if (!loaded) {
    std::cerr << "Error: " << loaded.error().message << "\n";
    return 1;
  }
  if (loaded->warning) spdlog::warn("{}", *loaded->warning);

  Engine engine(MakeReconcilers());
  if (options.precheck) {
    const RunResult fresh = engine.Plan(desired, rt.Reads(writer));
    if (const std::string why = options.precheck(fresh); !why.empty()) {
      std::cerr << "Error: " << why << "\n";
      return 1;
    }
  }
  WriteDeps deps = rt.Writes(writer);
  const RunResult run = engine.Apply(desired, deps);

  state::StatusDoc doc = std::move(loaded->doc);
  const std::vector<std::string> drifted = run::DriftedResources(doc, run);
  RecordRun(doc, desired, run, FormatRfc3339(rt.clock.Now()), GitRevisionOf(desired.source_paths));
  ClearRefusalOf(doc, desired, run);
  doc.extra.erase("down");  // `ironward down` is undone by any pass that brings the gateway up
  if (auto s = state::SaveStatus(writer, doc); !s) {
    std::cerr << "Error: saving status: " << s.error().message << "\n";
    return 1;
  }
  if (!options.textfile_dir.empty()) {
    run::Metrics metrics;
    metrics.ObservePass(run, drifted);
    metrics.SetFromStatus(doc);
    if (auto s = run::WriteTextfile(options.textfile_dir, metrics.Render()); !s) {
      std::cerr << "Error: " << s.error().message << "\n";
      return 1;
    }
  }
  if (options.output == "json") {
    std::cout << RenderRecapJson(desired, run).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    std::cout << RenderRecapText(run, OutputStyle{StdoutWantsColor()});
  }
  return run.failed > 0 ? 1 : 0;
}

}  // namespace ironward
