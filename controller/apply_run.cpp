#include "controller/apply_run.h"

#include <iostream>

#include <spdlog/spdlog.h>

#include "controller/command_support.h"
#include "controller/plan_output.h"
#include "state/lock.h"
#include "state/status.h"

namespace ironward {

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
    const RunResult fresh = engine.Plan(desired, ReadDeps{rt.clock, writer, &rt.read_only_http, &rt.host});
    if (const std::string why = options.precheck(fresh); !why.empty()) {
      std::cerr << "Error: " << why << "\n";
      return 1;
    }
  }
  WriteDeps deps{rt.clock, writer, &rt.http, &rt.host};
  const RunResult run = engine.Apply(desired, deps);

  state::StatusDoc doc = std::move(loaded->doc);
  RecordRun(doc, desired, run, FormatRfc3339(rt.clock.Now()), GitRevisionOf(desired.source_path));
  if (auto s = state::SaveStatus(writer, doc); !s) {
    std::cerr << "Error: saving status: " << s.error().message << "\n";
    return 1;
  }
  if (options.output == "json") {
    std::cout << RenderRecapJson(desired, run).dump(2) << "\n";
  } else {
    std::cout << RenderRecapText(run, OutputStyle{StdoutWantsColor()});
  }
  return run.failed > 0 ? 1 : 0;
}

}  // namespace ironward
