#include "reconcilers/secrets/uncovered.h"

#include <algorithm>

namespace ironward::secrets {
namespace {

struct Known {
  const char* name;
  bool strict;
};

constexpr Known kKnown[] = {
    {"ANTHROPIC_API_KEY", true},          {"AZURE_OPENAI_API_KEY", true},
    {"GEMINI_API_KEY", true},             {"AWS_ACCESS_KEY_ID", false},
    {"AWS_SECRET_ACCESS_KEY", false},     {"GOOGLE_APPLICATION_CREDENTIALS", false},
    {"GOOGLE_API_KEY", false},
};

bool Covered(const spec::Spec& spec, const std::string& name) {
  return std::any_of(spec.providers.begin(), spec.providers.end(),
                     [&](const spec::Provider& p) { return p.secret == name; });
}

}  // namespace

std::string UncoveredFinding::Message() const {
  return variable + " is set in " + where +
         (strict ? ": no provider proxies it, so the real key would be exposed; declare a provider with "
                   "secret: " + variable + " (and its header, e.g. x-api-key) or remove it"
                 : ": it cannot be protected by a token swap (signed or file-based credentials); keep it out "
                   "of sandboxes");
}

std::vector<UncoveredFinding> FindUncovered(const spec::Spec& spec, const std::map<std::string, std::string>& own_env) {
  std::vector<UncoveredFinding> out;
  for (const auto& k : kKnown) {
    if (Covered(spec, k.name)) continue;
    if (const auto it = own_env.find(k.name); it != own_env.end() && !it->second.empty()) {
      out.push_back({k.name, "ironward's environment", k.strict});
    }
    for (const auto& s : spec.sandboxes) {
      if (s.env.count(k.name) != 0) out.push_back({k.name, "sandbox '" + s.name + "'", k.strict});
      // secretEnv would hand the real key to the sandbox, under its own name or another.
      for (const auto& [var, secret] : s.secret_env) {
        if (var == k.name || secret == k.name) {
          out.push_back({k.name, "sandbox '" + s.name + "' (secretEnv " + var + ")", k.strict});
        }
      }
    }
  }
  return out;
}

}  // namespace ironward::secrets
