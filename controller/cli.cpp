#include "controller/cli.h"

#include <CLI/CLI.hpp>

#include "controller/command_support.h"

namespace ironward {

int RunCli(int argc, char** argv) {
  CliContext ctx;
  CLI::App app{
      "ironward: declarative controller for an iron-proxy egress gateway.\n"
      "It makes the host match one desired-state file: the pinned proxy binary, its CA,\n"
      "proxy tokens, proxy config, the supervised daemon, secrets and sandbox containers.",
      "ironward"};
  app.set_version_flag("--version", std::string("ironward ") + IRONWARD_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  app.add_option("--state-dir", ctx.global.state_dir,
                 "State directory (default $IRONWARD_STATE_DIR or " + std::string(kDefaultStateDir) + ")");
  app.add_option("--log-level", ctx.global.log_level, "trace|debug|info|warn|error|off (logs go to stderr)");
  app.footer("Run `ironward COMMAND --help` for a command's options and exit codes.");

  AddValidateCommand(app, ctx);
  AddReconcileCommand(app, ctx);
  AddApplyCommand(app, ctx);
  AddStatusCommand(app, ctx);
  AddHardenCommand(app, ctx);
  AddVerifyCommand(app, ctx);
  AddRunCommand(app, ctx);
  AddWiringCommand(app, ctx);
  app.parse_complete_callback([&ctx] { SetupLogging(ctx.global); });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return ctx.exit_code;
}

}  // namespace ironward
