// A CommandRunner scripted by the whole command line (harden's FakeRunner keys by argv[0] only;
// doctor runs firewall-cmd twice with different arguments). Unscripted commands are "not found".
#pragma once

#include <map>
#include <string>
#include <vector>

#include "controller/harden/command_runner.h"

namespace ironward::doctor::testing {

class ArgvRunner final : public harden::CommandRunner {
 public:
  void Set(const std::string& command_line, harden::CommandResult result) { results_[command_line] = std::move(result); }
  harden::CommandResult Run(const std::vector<std::string>& argv, std::chrono::milliseconds) override {
    std::string line;
    for (const auto& a : argv) line += (line.empty() ? "" : " ") + a;
    calls_.push_back(line);
    auto it = results_.find(line);
    if (it == results_.end()) return harden::CommandResult::NotFound(argv.empty() ? "" : argv[0] + " not found");
    return it->second;
  }
  const std::vector<std::string>& calls() const { return calls_; }

 private:
  std::map<std::string, harden::CommandResult> results_;
  std::vector<std::string> calls_;
};

}  // namespace ironward::doctor::testing
