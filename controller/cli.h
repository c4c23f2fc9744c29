// Command-line entry: CLI11 app with one subcommand per contract command.
// Each command lives in its own file and registers itself through an Add*Command function.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace ironward {

struct GlobalOptions {
  std::string state_dir;            ///< --state-dir / IRONWARD_STATE_DIR / /var/lib/ironward
  std::string log_level = "warn";   ///< --log-level: trace|debug|info|warn|error|off
};

/// Shared between the app and its subcommands. A subcommand's callback sets exit_code.
struct CliContext {
  GlobalOptions global;
  int exit_code = 0;
};

int RunCli(int argc, char** argv);

void AddValidateCommand(CLI::App& app, CliContext& ctx);
void AddReconcileCommand(CLI::App& app, CliContext& ctx);
void AddApplyCommand(CLI::App& app, CliContext& ctx);
void AddStatusCommand(CLI::App& app, CliContext& ctx);
void AddHardenCommand(CLI::App& app, CliContext& ctx);
void AddVerifyCommand(CLI::App& app, CliContext& ctx);
void AddRunCommand(CLI::App& app, CliContext& ctx);
void AddWiringCommand(CLI::App& app, CliContext& ctx);
void AddDownCommand(CLI::App& app, CliContext& ctx);
void AddProvidersCommand(CLI::App& app, CliContext& ctx);
void AddDoctorCommand(CLI::App& app, CliContext& ctx);
void AddAuditCommand(CLI::App& app, CliContext& ctx);

}  // namespace ironward
