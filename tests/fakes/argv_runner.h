// A CommandRunner scripted by the whole command line (harden's FakeRunner keys by argv[0] only;
// doctor and the host firewalls run one program with different arguments). Unscripted commands are
// "not found".
#pragma once

#include <map>
#include <string>
#include <vector>

#include "reconcilers/io/command_runner.h"

namespace ironward::testing {

class ArgvRunner final : public CommandRunner {
 public:
  void Set(const std::string& command_line, CommandResult result) { results_[command_line] = std::move(result); }
  CommandResult Run(const std::vector<std::string>& argv, std::chrono::milliseconds) override {
    std::string line;
    for (const auto& a : argv) line += (line.empty() ? "" : " ") + a;
    calls_.push_back(line);
    auto it = results_.find(line);
    if (it == results_.end()) return CommandResult::NotFound(argv.empty() ? "" : argv[0] + " not found");
    return it->second;
  }
  const std::vector<std::string>& calls() const { return calls_; }

 private:
  std::map<std::string, CommandResult> results_;
  std::vector<std::string> calls_;
};

}  // namespace ironward::testing
