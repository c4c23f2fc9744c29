// A desired state loaded from YAML text with the project's loader (links ironward_spec).
#pragma once

#include <string>

#include <gtest/gtest.h>

#include "state/spec/loader.h"
#include "tests/support/gateway_yaml.h"

namespace ironward::testing {

/// Loads YAML text that must be valid; fails the test otherwise.
inline spec::DesiredState Desired(const std::string& yaml) {
  auto r = spec::LoadString(yaml, "test.yaml");
  std::string errors;
  for (const auto& e : r.errors) errors += e.ToString() + "\n";
  EXPECT_TRUE(r.ok()) << errors;
  return r.ok() ? *r.state : spec::DesiredState{};
}

}  // namespace ironward::testing
