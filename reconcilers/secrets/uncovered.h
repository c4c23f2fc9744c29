// Uncovered providers: real provider credentials that a bearer-token swap cannot protect, found
// in the sandboxes' declared env or in ironward's own environment.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "state/spec/spec.h"

namespace ironward::secrets {

struct UncoveredFinding {
  std::string variable;
  std::string where;  ///< "ironward's environment" or "sandbox 'agent-1'"
  bool strict = false;  ///< strict ones fail under enforcement.uncoveredProviders: fail
  std::string catalog_name;  ///< the catalog provider whose key it is ("" for warn-only ones)
  std::string Message() const;
};

/// Strict: the catalog keys that go in another header than Authorization (ANTHROPIC_API_KEY,
/// AZURE_OPENAI_API_KEY, GEMINI_API_KEY; swappable only when a provider declares them, which the
/// catalog name alone does with the right header). Warn-only: AWS_ACCESS_KEY_ID,
/// AWS_SECRET_ACCESS_KEY, GOOGLE_APPLICATION_CREDENTIALS, GOOGLE_API_KEY (signed or file-based
/// credentials a header swap cannot cover). A variable a provider declares as its `secret` is
/// covered and never reported for ironward's own environment.
std::vector<UncoveredFinding> FindUncovered(const spec::Spec& spec, const std::map<std::string, std::string>& own_env);

}  // namespace ironward::secrets
