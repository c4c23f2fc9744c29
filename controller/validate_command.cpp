#include <CLI/CLI.hpp>

#include <iostream>

#include <nlohmann/json.hpp>

#include "controller/cli.h"
#include "controller/command_support.h"
#include "state/encoding.h"

namespace ironward {

void AddValidateCommand(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("validate", "Load and validate a desired-state file (exit 0 valid, 1 invalid)");
  auto files = std::make_shared<std::vector<std::string>>();
  auto output = std::make_shared<std::string>("text");
  AddDesiredFileOption(cmd, files.get(), "Desired-state YAML (apiVersion ironward.dev/v1)");
  cmd->add_option("--output,-o", *output,
                  "Output format (json: valid, name, digest, counts; yaml: the merged document; errors go to stderr)")
      ->check(CLI::IsMember({"text", "json", "yaml"}))
      ->capture_default_str();
  cmd->footer(
      "Errors are printed as FILE:LINE:COL: message, all at once. With overlays (several -f) each\n"
      "names the file that set the value; -o yaml prints the merged document (nothing when invalid).\n\n"
      "Examples:\n"
      "  ironward validate -f gateway.yaml\n"
      "  git show HEAD:gateway.yaml | ironward validate -f -\n"
      "  ironward validate -f base.yaml -f hosts/web1.yaml -o yaml   # what this host runs");
  cmd->callback([&ctx, files, output] {
    const std::string file = FilesLabel(*files);
    auto desired = LoadDesiredState(*files, std::cerr);
    if (!desired) {
      if (*output == "json") {
        std::cout << nlohmann::json{{"valid", false}, {"file", file}, {"files", *files}}.dump() << "\n";
      }
      ctx.exit_code = 1;
      return;
    }
    const auto& s = desired->spec;
    if (*output == "yaml") {
      // One file is printed as written; several as the merged document (a first comment names
      // the files), which loads back to the same desired state and digest.
      std::cout << desired->raw_text;
      if (!desired->raw_text.empty() && desired->raw_text.back() != '\n') std::cout << "\n";
      ctx.exit_code = 0;
      return;
    }
    if (*output == "json") {
      std::cout << nlohmann::json{{"valid", true},
                                  {"file", file},
                                  {"files", *files},
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
    std::cout << file << ": valid (" << desired->kind << " \"" << desired->name << "\", iron-proxy "
              << s.proxy.version << ", " << s.providers.size() << " provider(s), " << s.sandboxes.size()
              << " sandbox(es), digest sha256:" << ShortDigest(desired->digest) << ")\n";
    ctx.exit_code = 0;
  });
}

}  // namespace ironward
