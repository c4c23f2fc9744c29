#include <CLI/CLI.hpp>

#include <iostream>

#include <nlohmann/json.hpp>

#include "controller/cli.h"
#include "controller/command_support.h"

namespace ironward {

void AddValidateCommand(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("validate", "Load and validate a desired-state file (exit 0 valid, 1 invalid)");
  auto file = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>("text");
  cmd->add_option("-f,--file", *file, "Desired-state YAML (apiVersion ironward.dev/v1)")->required();
  cmd->add_option("--output,-o", *output, "Output format (json: valid, name, digest, counts; errors go to stderr)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd->footer(
      "Errors are printed as FILE:LINE:COL: message, all at once.\n\n"
      "Examples:\n"
      "  ironward validate -f gateway.yaml\n"
      "  git show HEAD:gateway.yaml | ironward validate -f -");
  cmd->callback([&ctx, file, output] {
    auto desired = LoadDesiredState(*file, std::cerr);
    if (!desired) {
      if (*output == "json") std::cout << nlohmann::json{{"valid", false}, {"file", *file}}.dump() << "\n";
      ctx.exit_code = 1;
      return;
    }
    const auto& s = desired->spec;
    if (*output == "json") {
      std::cout << nlohmann::json{{"valid", true},
                                  {"file", *file},
                                  {"kind", desired->kind},
                                  {"name", desired->name},
                                  {"proxy_version", s.proxy.version},
                                  {"providers", s.providers.size()},
                                  {"sandboxes", s.sandboxes.size()},
                                  {"digest", desired->digest}}
                       .dump()
                << "\n";
      ctx.exit_code = 0;
      return;
    }
    std::cout << *file << ": valid (" << desired->kind << " \"" << desired->name << "\", iron-proxy "
              << s.proxy.version << ", " << s.providers.size() << " provider(s), " << s.sandboxes.size()
              << " sandbox(es), digest sha256:" << desired->digest.substr(0, 12) << ")\n";
    ctx.exit_code = 0;
  });
}

}  // namespace ironward
