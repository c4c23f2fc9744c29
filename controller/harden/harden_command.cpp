// `ironward harden [--baseline minimal|catalin|paranoid] [--all] [--json]`: read-only survey,
// always exit 0 (the contract); usage errors are CLI11's as for every command.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "controller/cli.h"
#include "controller/harden/survey.h"

namespace ironward {
namespace {

struct HardenOptions {
  std::string baseline = "minimal";
  bool all = false;
  bool json = false;           ///< --json: kept as an alias of --output json
  std::string output = "text";
};

std::string ResolveStateDir(const CliContext& ctx) {
  if (!ctx.global.state_dir.empty()) return ctx.global.state_dir;
  const char* env = std::getenv("IRONWARD_STATE_DIR");
  if (env != nullptr && *env != '\0') return env;
  return "/var/lib/ironward";
}

// https://no-color.org: any non-empty NO_COLOR disables colour; so do pipes and TERM=dumb.
bool UseColour() {
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && *no_color != '\0') return false;
  const char* term = std::getenv("TERM");
  if (term != nullptr && std::string(term) == "dumb") return false;
  return ::isatty(STDOUT_FILENO) == 1;
}

void RunHarden(const HardenOptions& opts, CliContext& ctx) {
  ctx.exit_code = 0;  // the survey never fails the command
  try {
    harden::SurveyDeps deps;
    deps.state_dir = ResolveStateDir(ctx);
    deps.baseline = harden::ParseBaseline(opts.baseline).value_or(harden::Baseline::kMinimal);
    harden::HardenReport report = harden::RunSurvey(deps);
    if (opts.json || opts.output == "json") {
      std::cout << harden::ToJson(report).dump(2) << "\n";
    } else {
      std::cout << harden::RenderText(report, opts.all, UseColour());
    }
    std::cout.flush();
  } catch (const std::exception& e) {
    std::cerr << "ironward harden: survey failed: " << e.what() << "\n";
  }
}

}  // namespace

void AddHardenCommand(CLI::App& app, CliContext& ctx) {
  auto opts = std::make_shared<HardenOptions>();
  CLI::App* cmd = app.add_subcommand("harden", "Read-only host hardening survey (always exits 0)");
  cmd->add_option("--baseline", opts->baseline, "Baseline for the summary line: minimal, catalin or paranoid")
      ->check(CLI::IsMember({"minimal", "catalin", "paranoid"}))
      ->capture_default_str();
  cmd->add_flag("--all", opts->all, "Show every signal, not only failing and warning ones");
  cmd->add_option("--output,-o", opts->output, "Output format (json: always every signal)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd->add_flag("--json", opts->json, "Same as --output json (kept for scripts)");
  cmd->footer(
      "Examples:\n"
      "  ironward harden\n"
      "  ironward harden --baseline catalin --all\n"
      "  ironward harden -o json | jq '.signals[] | select(.status != \"pass\")'");
  cmd->callback([opts, &ctx] { RunHarden(*opts, ctx); });
}

}  // namespace ironward
