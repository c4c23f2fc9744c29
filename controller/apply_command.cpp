#include <CLI/CLI.hpp>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "controller/apply_run.h"
#include "controller/cli.h"
#include "controller/command_support.h"
#include "controller/library_preload.h"
#include "controller/plan_file.h"
#include "state/spec/loader.h"
#include "state/encoding.h"

namespace ironward {

void AddApplyCommand(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("apply", "Apply a plan saved by `reconcile --dry-run --out PLAN`, exactly");
  auto plan_path = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>("text");
  cmd->add_option("PLAN", *plan_path, "Plan file")->required();
  cmd->add_option("--output,-o", *output, "Output format")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
  cmd->footer(
      "Applies in the state directory the plan was made for (a different --state-dir is refused).\n"
      "The plan is refused (exit 1) when the observed state moved since it was made;\n"
      "make a new one with `ironward reconcile -f FILE --dry-run --out PLAN`.\n\n"
      "Examples:\n"
      "  ironward reconcile -f gateway.yaml --dry-run --out plan.json   # review it, then:\n"
      "  ironward apply plan.json");
  cmd->callback([&ctx, plan_path, output] {
    const LibraryPreload preload;  // while the plan is read and the first resources observed
    auto saved = ReadPlanFile(*plan_path);
    if (!saved) {
      std::cerr << "Error: " << saved.error().message << "\n";
      ctx.exit_code = 1;
      return;
    }
    // The desired state comes from the plan itself, not from the file on disk today.
    // With overlays the stored text is their merge: its positions are not those of any one file.
    const std::string name =
        saved->desired_paths.size() > 1 ? *plan_path + " (merged desired state)" : saved->desired_path;
    const auto loaded = spec::LoadString(saved->desired_yaml, name);
    if (!loaded.ok()) {
      for (const auto& e : loaded.errors) std::cerr << e.ToString() << "\n";
      std::cerr << "Error: the desired state stored in " << *plan_path << " no longer validates\n";
      ctx.exit_code = 1;
      return;
    }
    spec::DesiredState desired = *loaded.state;
    desired.source_path = saved->desired_path;
    desired.source_paths = saved->desired_paths;
    if (desired.digest != saved->plan.value("desired_digest", "")) {
      std::cerr << "Error: " << *plan_path << " is damaged: its desired-state digest does not match\n";
      ctx.exit_code = 1;
      return;
    }
    if (!saved->plan.value("changes_pending", false)) {
      std::cout << "No changes in " << *plan_path << ". Nothing to apply.\n";
    }
    // The plan observed one state directory: apply there, or refuse a different explicit one
    // before anything is created.
    std::string state_dir = ResolveStateDir(ctx.global);
    const bool explicit_dir = !ctx.global.state_dir.empty() || std::getenv("IRONWARD_STATE_DIR") != nullptr;
    if (!saved->state_dir.empty()) {
      std::error_code ec;
      const auto wanted = std::filesystem::weakly_canonical(saved->state_dir, ec);
      const auto given = std::filesystem::weakly_canonical(state_dir, ec);
      if (explicit_dir && wanted != given) {
        std::cerr << "Error: " << *plan_path << " was made for state directory " << saved->state_dir
                  << " (gateway \"" << saved->gateway << "\"), not " << state_dir
                  << ". Nothing was changed. Apply it there: " << IronwardCommand(saved->state_dir) << " apply "
                  << ShellQuote(*plan_path) << "\n";
        ctx.exit_code = 1;
        return;
      }
      state_dir = saved->state_dir;
    }
    ApplyRunOptions options;
    options.state_dir = state_dir;
    options.output = *output;
    options.precheck = [saved = *saved, plan_path, state_dir](const RunResult& fresh) {
      const std::string why = StaleReason(saved, fresh);
      if (why.empty()) return std::string();
      return "stale plan " + *plan_path + ": " + why + ". Nothing was changed. Make a new plan with `" +
             IronwardCommand(state_dir) + " reconcile " + FileArgs(saved.desired_paths) + " --dry-run --out " +
             ShellQuote(*plan_path) + "`.";
    };
    ctx.exit_code = RunApply(desired, options);
  });
}

}  // namespace ironward
