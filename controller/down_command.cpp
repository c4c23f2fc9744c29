// `ironward down -f FILE [--dry-run] [--purge] [-o text|json]`: a planned teardown of what this
// state directory created (reconcilers/teardown/teardown.h), with reconcile's exit codes.
#include <CLI/CLI.hpp>

#include <iostream>

#include "controller/cli.h"
#include "controller/cli_conventions.h"
#include "controller/command_support.h"
#include "controller/engine.h"
#include "controller/live_status.h"
#include "controller/plan_output.h"
#include "reconcilers/teardown/teardown.h"
#include "state/lock.h"
#include "state/status.h"

namespace ironward {
namespace {

struct DownOptions {
  std::vector<std::string> files;
  bool dry_run = false;
  bool purge = false;
  std::string output = "text";
  double lock_timeout_seconds = 30;
};

void Print(const spec::DesiredState& desired, const RunResult& run, const DownOptions& o) {
  if (o.output == "json") {
    const auto j = o.dry_run ? RenderPlanJson(desired, run) : RenderRecapJson(desired, run);
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    std::cout << (o.dry_run ? RenderPlanText(desired, run, OutputStyle{StdoutWantsColor()})
                            : RenderRecapText(run, OutputStyle{StdoutWantsColor()}));
  }
}

int RunDown(const spec::DesiredState& desired, const DownOptions& o, const std::string& state_dir) {
  const state::StateReader reader(state_dir);
  // A running `ironward run` would bring everything back at its next pass.
  if (auto status = state::LoadStatus(reader); status && RunProcessAlive(status->doc, RealProcesses{})) {
    std::cerr << "Error: `ironward run` (pid " << status->doc.extra["run"].value("pid", 0L)
              << ") manages this state directory and would bring the gateway back. Stop it first "
                 "(`systemctl stop ironward`), then run `ironward down` again. Nothing was changed.\n";
    return 1;
  }
  Runtime rt;
  Engine engine(teardown::MakeTeardownReconcilers(o.purge));
  if (o.dry_run) {
    const RunResult run = engine.Plan(desired, rt.Reads(reader));
    Print(desired, run, o);
    if (run.HasErrors()) return 1;
    return run.HasChanges() ? 2 : 0;
  }
  state::StateWriter writer(state_dir);
  if (!reader.StatRoot()) {
    std::cout << "Nothing to tear down: " << state_dir << " does not exist.\n";
    return 0;
  }
  auto lock = state::WriterLock::Acquire(
      writer, std::chrono::milliseconds(static_cast<long>(o.lock_timeout_seconds * 1000)));
  if (!lock) {
    std::cerr << "Error: " << lock.error().message << "\n";
    return 1;
  }
  WriteDeps deps = rt.Writes(writer);
  const RunResult run = engine.Apply(desired, deps);
  Print(desired, run, o);
  if (!o.purge) {
    // `status` says the gateway is down until a pass brings it back.
    if (auto loaded = state::LoadStatus(writer); loaded) {
      loaded->doc.extra[teardown::kDownMarker] = {{"time", FormatRfc3339(rt.clock.Now())},
                                                  {"gateway", desired.name},
                                                  {"complete", run.failed == 0}};
      if (auto s = state::SaveStatus(writer, loaded->doc); !s) std::cerr << "Error: " << s.error().message << "\n";
    }
  }
  return run.failed == 0 ? 0 : 1;
}

}  // namespace

void AddDownCommand(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("down", "Tear down what this state directory created (plan it with --dry-run)");
  auto o = std::make_shared<DownOptions>();
  AddDesiredFileOption(cmd, &o->files, "The desired-state YAML that was applied (names the gateway and network)");
  cmd->add_flag("--dry-run", o->dry_run, "Plan only; change nothing (exit 0 nothing to do, 2 changes pending, 1 error)");
  cmd->add_flag("--purge", o->purge, "Also remove the CA, the tokens, the binary and every other state file");
  cmd->add_option("--output,-o", o->output, "Output format")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
  cmd->add_option("--lock-timeout", o->lock_timeout_seconds, "Seconds to wait for another writer to finish")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->footer(
      "Stops iron-proxy, removes the sandbox containers ironward created, the sandbox network and\n"
      "the firewall table this state directory loaded. Containers ironward did not create are\n"
      "listed, never touched. The CA, the tokens and the binary stay unless --purge: a later\n"
      "`ironward reconcile` brings the same gateway back. Refused while `ironward run` manages the\n"
      "state directory (stop the service first).\n"
      "Exit codes: like reconcile (with --dry-run 0 nothing to do, 2 changes pending, 1 error;\n"
      "without it 0 torn down, 1 error).\n\n"
      "Examples:\n"
      "  ironward down -f /etc/ironward/gateway.yaml --dry-run\n"
      "  systemctl stop ironward && ironward down -f /etc/ironward/gateway.yaml\n"
      "  ironward down -f gateway.yaml --purge        # leave an empty state directory");
  cmd->callback([&ctx, o] {
    auto desired = LoadDesiredState(o->files, std::cerr);
    if (!desired) {
      ctx.exit_code = 1;
      return;
    }
    ctx.exit_code = RunDown(*desired, *o, ResolveStateDir(ctx.global));
  });
}

}  // namespace ironward
