// The command-line conventions every command shares (kubectl and terraform as anchors): usage
// errors exit 64 with a suggestion for a mistyped command, `ironward version`, and
// `ironward completion bash|zsh` generated from the commands and options the binary has.
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace ironward {

struct CliContext;

/// sysexits.h EX_USAGE: a command line that cannot be run as written.
inline constexpr int kUsageExit = 64;

/// The known name closest to `typed` (edit distance at most 2, or a prefix), or "".
std::string ClosestName(const std::string& typed, const std::vector<std::string>& known);

void AddVersionCommand(CLI::App& app, CliContext& ctx);
void AddCompletionCommand(CLI::App& app, CliContext& ctx);

/// Completion scripts for `app` (its subcommands and each one's long options).
std::string BashCompletion(const CLI::App& app);
std::string ZshCompletion(const CLI::App& app);

}  // namespace ironward
