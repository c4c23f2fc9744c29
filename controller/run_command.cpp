#include <CLI/CLI.hpp>

#include <algorithm>
#include <iostream>

#include "controller/cli.h"
#include "controller/cli_conventions.h"
#include "controller/command_support.h"
#include "controller/run/run_loop.h"

namespace ironward {

void AddRunCommand(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("run", "Reconcile continuously: watch the desired state and the host, self-heal, serve health and metrics");
  auto o = std::make_shared<run::RunOptions>();
  auto harden_seconds = std::make_shared<long>(3600);
  AddDesiredFileOption(cmd, &o->files, "Desired-state YAML (watched; a new valid version is applied at once)");
  cmd->add_option("--metrics-addr", o->metrics_addr,
                  "Loopback HOST:PORT for the status page (/), /livez /readyz /metrics (\"off\" disables; non-loopback is refused)")
      ->capture_default_str();
  cmd->add_option("--metrics-host-limit", o->metrics_host_limit,
                  "Hosts with their own label value in ironward_proxy_requests_total; the rest count as host=\"other\"")
      ->check(CLI::Range(0, 10000))
      ->capture_default_str();
  cmd->add_option("--harden-interval", *harden_seconds,
                  "Seconds between host hardening surveys recorded in status and /metrics (0 = never)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->footer(
      "Passes run when the file changes (by content; with overlays, any of the files), the proxy\n"
      "exits, a Docker object labelled ironward.dev/owner=<metadata.name> changes, at\n"
      "spec.reconcile.interval (jittered), on SIGHUP (re-read the files, clear back-off, force a\n"
      "pass) and when a resource asks to be requeued. An invalid new file is refused and reported\n"
      "in `ironward status`; the last\n"
      "good desired state keeps running. The writer lock is held per pass only, so\n"
      "`ironward status` and `ironward reconcile --dry-run` work while it runs.\n"
      "The status page: http://127.0.0.1:9466/ (read-only; over SSH: ssh -L 9466:127.0.0.1:9466 HOST).\n"
      "Runs until SIGTERM/SIGINT, then exits 0; the proxy keeps running.\n"
      "Exit 1 at startup: unusable --metrics-addr, state dir or file directory.\n"
      "Logs at info unless --log-level says otherwise.\n\n"
      "Examples:\n"
      "  ironward run -f /etc/ironward/gateway.yaml\n"
      "  ironward run -f /etc/ironward/base.yaml -f /etc/ironward/hosts/$(hostname).yaml\n"
      "  ironward --state-dir /srv/ironward run -f gateway.yaml --metrics-addr 127.0.0.1:9466");
  cmd->callback([&ctx, o, harden_seconds] {
    if (std::find(o->files.begin(), o->files.end(), "-") != o->files.end()) {  // a stream cannot be watched
      std::cerr << "Error: run watches its desired-state file for changes; `-f -` (stdin) is not possible here. "
                   "Give it a file.\n";
      ctx.exit_code = kUsageExit;
      return;
    }
    o->state_dir = ResolveStateDir(ctx.global);
    o->harden_interval = std::chrono::seconds(*harden_seconds);
    ctx.exit_code = run::RunDaemon(*o);
  });
}

}  // namespace ironward
