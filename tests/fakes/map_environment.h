// MapEnvironment: the process environment the secrets reconciler reads (secrets::Environment),
// held in a map the test fills.
#pragma once

#include <map>
#include <string>
#include <utility>

#include "reconcilers/secrets/env_source.h"

namespace ironward::testing {

class MapEnvironment final : public secrets::Environment {
 public:
  MapEnvironment() = default;
  explicit MapEnvironment(std::map<std::string, std::string> initial) : vars(std::move(initial)) {}
  std::map<std::string, std::string> All() const override { return vars; }

  std::map<std::string, std::string> vars;  ///< name -> value
};

}  // namespace ironward::testing
