// The generate-ca subcommand (and the 0.39-only init subcommand's refusal path).
#pragma once

#include <string>
#include <vector>

namespace irondouble {

// Runs `iron-proxy generate-ca ARGS...`; returns the process exit code.
int RunGenerateCa(const std::vector<std::string>& args);

// Runs `iron-proxy init ARGS...` (v0.39–0.41). The double never installs anything system-wide.
int RunInit(const std::vector<std::string>& args);

}  // namespace irondouble
