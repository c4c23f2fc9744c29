#include "controller/cli.h"

#include <CLI/CLI.hpp>

#include "controller/cli_conventions.h"
#include "controller/command_support.h"

#include <algorithm>
#include <iostream>

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
  auto* log_level = app.add_option("--log-level", ctx.global.log_level,
                                    "trace|debug|info|warn|error|off (logs go to stderr; default warn, info for run)");
  app.footer(
      "Run `ironward COMMAND --help` for a command's options, examples and exit codes.\n"
      "A command line that cannot be run as written exits 64.\n\n"
      "Examples:\n"
      "  ironward validate -f gateway.yaml\n"
      "  ironward reconcile -f gateway.yaml --dry-run\n"
      "  ironward --state-dir /srv/ironward status -o json");

  AddValidateCommand(app, ctx);
  AddReconcileCommand(app, ctx);
  AddApplyCommand(app, ctx);
  AddStatusCommand(app, ctx);
  AddHardenCommand(app, ctx);
  AddVerifyCommand(app, ctx);
  AddRunCommand(app, ctx);
  AddWiringCommand(app, ctx);
  AddDownCommand(app, ctx);
  AddProvidersCommand(app, ctx);
  AddDoctorCommand(app, ctx);
  AddAuditCommand(app, ctx);
  AddVersionCommand(app, ctx);
  AddCompletionCommand(app, ctx);
  app.parse_complete_callback([&ctx, &app, log_level] {
    // The daemon says what it does (start-up, each pass and its trigger) unless told otherwise.
    if (log_level->count() == 0 && app.got_subcommand("run")) ctx.global.log_level = "info";
    SetupLogging(ctx.global);
  });
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // Usage errors: what is wrong, a suggestion for a mistyped command, and exit 64.
    std::vector<std::string> commands;
    for (const auto* sub : app.get_subcommands([](const CLI::App*) { return true; })) commands.push_back(sub->get_name());
    std::string typed;
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      if (a == "--state-dir" || a == "--log-level") {
        ++i;
        continue;
      }
      if (a.rfind("-", 0) != 0) {
        typed = a;
        break;
      }
    }
    const bool unknown = !typed.empty() && std::find(commands.begin(), commands.end(), typed) == commands.end();
    if (unknown) {
      std::cerr << "Error: unknown command '" << typed << "'";
      if (const std::string near = ClosestName(typed, commands); !near.empty()) {
        std::cerr << "; did you mean '" << near << "'?";
      }
      std::cerr << "\nRun `ironward --help` for the commands.\n";
    } else {
      std::cerr << "Error: " << e.what() << "\nRun `ironward " << (typed.empty() ? "" : typed + " ")
                << "--help` for its options and examples.\n";
    }
    return kUsageExit;
  }
  return ctx.exit_code;
}

}  // namespace ironward
