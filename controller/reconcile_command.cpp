#include <CLI/CLI.hpp>

#include <iostream>

#include "controller/apply_run.h"
#include "controller/cli.h"
#include "controller/cli_conventions.h"
#include "controller/command_support.h"
#include "controller/library_preload.h"
#include "controller/plan_file.h"
#include "controller/plan_output.h"
#include "state/encoding.h"

namespace ironward {
namespace {

struct ReconcileOptions {
  std::vector<std::string> files;
  bool dry_run = false;
  std::string output = "text";
  std::string out;
  double lock_timeout_seconds = 30;
  std::string textfile_dir;
};

/// Observe + plan only. Exit 0 in sync, 2 changes pending, 1 error.
int RunDryRun(const spec::DesiredState& desired, const ReconcileOptions& o, const std::string& state_dir) {
  Runtime rt;
  const state::StateReader reader(state_dir);  // no StateWriter exists on this path
  if (auto root = reader.StatRoot(); !root) {
    std::cerr << "Error: " << root.error().message << "\n";
    return 1;
  }
  Engine engine(MakeReconcilers());
  const RunResult run = engine.Plan(desired, rt.Reads(reader));
  if (o.output == "json") {
    std::cout << RenderPlanJson(desired, run).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    std::cout << RenderPlanText(desired, run, OutputStyle{StdoutWantsColor()});
  }
  if (!o.out.empty()) {
    if (auto s = WritePlanFile(o.out, desired, run, state_dir); !s) {
      std::cerr << "Error: " << s.error().message << "\n";
      return 1;
    }
    if (o.output != "json") {
      std::cout << "\nSaved the plan to " << o.out << ". Apply it with: " << IronwardCommand(state_dir) << " apply "
                << ShellQuote(o.out) << "\n";
    }
  }
  if (run.HasErrors()) return 1;
  return run.HasChanges() ? 2 : 0;
}

}  // namespace

void AddReconcileCommand(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("reconcile", "Make the host match the desired state once (or plan it with --dry-run)");
  auto o = std::make_shared<ReconcileOptions>();
  AddDesiredFileOption(cmd, &o->files, "Desired-state YAML");
  cmd->add_flag("--dry-run", o->dry_run, "Observe and plan only; change nothing (exit 0 in sync, 2 changes pending, 1 error)");
  cmd->add_option("--output,-o", o->output, "Output format")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
  cmd->add_option("--out", o->out, "With --dry-run: save the plan to this file for `ironward apply`");
  cmd->add_option("--textfile-dir", o->textfile_dir,
                  "After applying, write the run's metrics to DIR/ironward.prom atomically (node_exporter "
                  "textfile collector; same names as `ironward run`'s /metrics)");
  cmd->add_option("--lock-timeout", o->lock_timeout_seconds, "Seconds to wait for another writer to finish")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->footer(
      "Exit codes: with --dry-run 0 = in sync, 2 = changes pending, 1 = error;\n"
      "without it 0 = converged, 1 = error. The recap line reads\n"
      "  Recap: ok=N changed=N failed=N skipped=N\n\n"
      "Examples:\n"
      "  ironward reconcile -f gateway.yaml --dry-run            # the plan, nothing changed\n"
      "  ironward reconcile -f gateway.yaml --dry-run -o json | jq '.resource_changes[].field_changes'\n"
      "  ironward reconcile -f gateway.yaml                      # apply once\n"
      "  ironward reconcile -f base.yaml -f hosts/web1.yaml      # a base and this host's overlay\n"
      "  sops -d gateway.yaml | ironward reconcile -f - --dry-run");
  cmd->callback([&ctx, o] {
    if (!o->textfile_dir.empty() && o->dry_run) {
      std::cerr << "Error: --textfile-dir records an apply; it cannot be combined with --dry-run\n";
      ctx.exit_code = kUsageExit;
      return;
    }
    if (!o->out.empty() && !o->dry_run) {
      std::cerr << "Error: --out saves a plan and needs --dry-run\n";
      ctx.exit_code = kUsageExit;
      return;
    }
    const LibraryPreload preload;  // while the file is read and the first resources observed
    auto desired = LoadDesiredState(o->files, std::cerr);
    if (!desired) {
      ctx.exit_code = 1;
      return;
    }
    const std::string state_dir = ResolveStateDir(ctx.global);
    if (o->dry_run) {
      ctx.exit_code = RunDryRun(*desired, *o, state_dir);
      return;
    }
    ApplyRunOptions options;
    options.state_dir = state_dir;
    options.output = o->output;
    options.textfile_dir = o->textfile_dir;
    options.lock_timeout = std::chrono::milliseconds(static_cast<long>(o->lock_timeout_seconds * 1000));
    ctx.exit_code = RunApply(*desired, options);
  });
}

}  // namespace ironward
