#include "controller/cli.h"

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>

namespace ironward {

int RunCli(int argc, char** argv) {
  CliContext ctx;
  CLI::App app{"ironward: declarative egress-gateway controller for iron-proxy", "ironward"};
  app.set_version_flag("--version", std::string("ironward ") + IRONWARD_VERSION);
  app.require_subcommand(1);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return ctx.exit_code;
}

}  // namespace ironward
