#include "controller/pass.h"

#include <filesystem>

#include <spdlog/spdlog.h>

#include "controller/run/metrics.h"
#include "reconcilers/io/clock.h"
#include "state/lock.h"

namespace ironward {

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

std::variant<PassResult, PassRefused> RunOnePass(Engine& engine, Runtime& rt, state::StateWriter& writer,
                                                 const spec::DesiredState& desired, const PassOptions& options) {
  auto lock = state::WriterLock::Acquire(writer, options.lock_timeout);
  if (!lock) return PassRefused{PassRefused::Why::kLockBusy, lock.error().message};
  auto loaded = state::LoadStatus(writer);
  if (!loaded) return PassRefused{PassRefused::Why::kStatusUnreadable, loaded.error().message};
  if (loaded->warning) spdlog::warn("{}", *loaded->warning);

  if (options.precheck) {
    const RunResult fresh = engine.Plan(desired, rt.Reads(writer));
    if (std::string why = options.precheck(fresh); !why.empty()) {
      return PassRefused{PassRefused::Why::kPrecheck, std::move(why)};
    }
  }
  if (options.before_apply) options.before_apply();
  WriteDeps deps = rt.Writes(writer);
  PassResult out;
  out.run = engine.Apply(desired, deps, options.apply);
  if (options.after_apply) options.after_apply();

  out.doc = std::move(loaded->doc);
  out.drifted = run::DriftedResources(out.doc, out.run);
  RecordRun(out.doc, desired, out.run, FormatRfc3339(rt.clock.Now()), GitRevisionOf(desired.source_paths));
  ClearRefusalOf(out.doc, desired, out.run);
  out.doc.extra.erase("down");  // `ironward down` is undone by any pass that brings the gateway up
  if (options.annotate) options.annotate(out.doc);
  if (auto s = state::SaveStatus(writer, out.doc); !s) out.save_error = s.error();
  return out;
}

}  // namespace ironward
