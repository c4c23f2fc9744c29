#include <CLI/CLI.hpp>

#include <iostream>

#include "controller/cli.h"
#include "controller/command_support.h"

namespace ironward {

void AddValidateCommand(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("validate", "Load and validate a desired-state file (exit 0 valid, 1 invalid)");
  auto file = std::make_shared<std::string>();
  cmd->add_option("-f,--file", *file, "Desired-state YAML (apiVersion ironward.dev/v1)")->required();
  cmd->footer(
      "Errors are printed as FILE:LINE:COL: message, all at once.\n\n"
      "Examples:\n"
      "  ironward validate -f gateway.yaml\n"
      "  git show HEAD:gateway.yaml | ironward validate -f -");
  cmd->callback([&ctx, file] {
    auto desired = LoadDesiredState(*file, std::cerr);
    if (!desired) {
      ctx.exit_code = 1;
      return;
    }
    const auto& s = desired->spec;
    std::cout << *file << ": valid (" << desired->kind << " \"" << desired->name << "\", iron-proxy "
              << s.proxy.version << ", " << s.providers.size() << " provider(s), " << s.sandboxes.size()
              << " sandbox(es), digest sha256:" << desired->digest.substr(0, 12) << ")\n";
    ctx.exit_code = 0;
  });
}

}  // namespace ironward
