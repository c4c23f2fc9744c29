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

/// `ironward run` records a refusal of its desired-state file in status ("desired_refused"). A
/// successful pass of that same file (now valid) means the refusal no longer holds.
void ClearRefusalOf(state::StatusDoc& doc, const spec::DesiredState& desired, const RunResult& run) {
  auto it = doc.extra.find("desired_refused");
  if (it == doc.extra.end() || run.failed > 0) return;
  std::error_code a;
  std::error_code b;
  const std::string path = it->is_object() && it->contains("path") && (*it)["path"].is_string()
                               ? (*it)["path"].get<std::string>()
                               : "";
  const auto refused = std::filesystem::weakly_canonical(path, a);
  const auto loaded = std::filesystem::weakly_canonical(desired.source_path, b);
  if (path.empty() || (!a && !b && refused == loaded)) doc.extra.erase(it);
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
  const int drift = run::CountDrift(doc, run);
  RecordRun(doc, desired, run, FormatRfc3339(rt.clock.Now()), GitRevisionOf(desired.source_path));
  ClearRefusalOf(doc, desired, run);
  doc.extra.erase("down");  // `ironward down` is undone by any pass that brings the gateway up
  if (auto s = state::SaveStatus(writer, doc); !s) {
    std::cerr << "Error: saving status: " << s.error().message << "\n";
    return 1;
  }
  if (!options.textfile_dir.empty()) {
    run::Metrics metrics;
    metrics.ObservePass(run, drift);
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
