// The `env` credential source: secret values from ironward's own environment and an optional
// env file (KEY=VALUE lines; must be a regular file, 0600, owned by us, not a symlink).
#pragma once

#include <map>
#include <string>

#include "state/result.h"

namespace ironward::secrets {

/// The process environment, as a seam (tests pass their own map).
class Environment {
 public:
  virtual ~Environment() = default;
  virtual std::map<std::string, std::string> All() const = 0;
};

class ProcessEnvironment final : public Environment {
 public:
  std::map<std::string, std::string> All() const override;
};

/// Parses KEY=VALUE lines: blank lines and `#` comments skipped, optional `export `, values
/// optionally in single or double quotes. Errors name the line, never the value.
Result<std::map<std::string, std::string>> ParseEnvFile(const std::string& text, const std::string& path);

/// Reads and parses an env file after checking it is a regular file owned by us with mode 0600.
Result<std::map<std::string, std::string>> ReadEnvFile(const std::string& path);

}  // namespace ironward::secrets
