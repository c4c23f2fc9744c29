#include "reconcilers/secrets/uncovered.h"

#include <algorithm>

#include "state/spec/provider_catalog.h"

namespace ironward::secrets {
namespace {

struct Known {
  std::string name;
  bool strict;
  std::string catalog_name;  ///< the catalog entry that declares it ("" for the warn-only ones)
};

/// Strict: the keys of catalog providers whose key goes in another header than Authorization
/// (provider_catalog.h; today anthropic, azure-openai, gemini). Warn-only: credentials a header
/// swap cannot cover.
const std::vector<Known>& KnownVariables() {
  static const std::vector<Known> kKnown = [] {
    std::vector<Known> out;
    for (const auto& p : spec::ProviderCatalog()) {
      if (p.headers != spec::Provider{}.headers) out.push_back({p.secret, true, p.name});
    }
    for (const char* name : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_API_KEY"}) {
      out.push_back({name, false, ""});
    }
    return out;
  }();
  return kKnown;
}

bool Covered(const spec::Spec& spec, const std::string& name) {
  return std::any_of(spec.providers.begin(), spec.providers.end(),
                     [&](const spec::Provider& p) { return p.secret == name; });
}

}  // namespace

std::string UncoveredFinding::Message() const {
  return variable + " is set in " + where +
         (strict ? ": no provider proxies it, so the real key would be exposed; declare the provider (`- name: " +
                       (catalog_name.empty() ? std::string("NAME") : catalog_name) +
                       "` under spec.providers: the built-in catalog fills its secret, hosts and header) or remove it"
                 : ": it cannot be protected by a token swap (signed or file-based credentials); keep it out "
                   "of sandboxes");
}

std::vector<UncoveredFinding> FindUncovered(const spec::Spec& spec, const std::map<std::string, std::string>& own_env) {
  std::vector<UncoveredFinding> out;
  for (const auto& k : KnownVariables()) {
    if (Covered(spec, k.name)) continue;
    if (const auto it = own_env.find(k.name); it != own_env.end() && !it->second.empty()) {
      out.push_back({k.name, "ironward's environment", k.strict, k.catalog_name});
    }
    for (const auto& s : spec.sandboxes) {
      if (s.env.count(k.name) != 0) out.push_back({k.name, "sandbox '" + s.name + "'", k.strict, k.catalog_name});
      // secretEnv would hand the real key to the sandbox, under its own name or another.
      for (const auto& [var, secret] : s.secret_env) {
        if (var == k.name || secret == k.name) {
          out.push_back({k.name, "sandbox '" + s.name + "' (secretEnv " + var + ")", k.strict, k.catalog_name});
        }
      }
    }
  }
  return out;
}

}  // namespace ironward::secrets
