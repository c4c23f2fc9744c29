// Checks that need more than one section.
#include <algorithm>
#include <map>

#include "controller/spec/parse.h"

namespace ironward::spec::detail {
namespace {

std::string At(const char* list, std::size_t i, const char* key) {
  return std::string(list) + "[" + std::to_string(i) + "]." + key;
}

/// The wiring's names may not collide with each other or with the proxy/CA variables: a token
/// variable named HTTPS_PROXY would replace the proxy address in every wired container.
void CheckWiringNames(Diag& diag, const Spec& spec) {
  const WiringSpec& w = spec.wiring;
  std::vector<std::string> fixed = EgressEnvironmentNames(w);
  fixed.pop_back();  // the marker itself
  if (std::find(fixed.begin(), fixed.end(), w.marker_env) != fixed.end()) {
    diag.Error("spec.wiring.markerEnv", "'" + w.marker_env + "' is one of the proxy/CA variables ironward sets");
  } else if (w.marker_env.rfind(w.token_env_prefix, 0) == 0) {
    diag.Error("spec.wiring.markerEnv",
               "'" + w.marker_env + "' starts with tokenEnvPrefix '" + w.token_env_prefix +
                   "' (it would read as a proxy token)");
  }
  for (std::size_t i = 0; i < spec.providers.size(); ++i) {
    const std::string name = w.token_env_prefix + spec.providers[i].secret;
    if (spec.providers[i].secret.empty()) continue;
    if (std::find(fixed.begin(), fixed.end(), name) != fixed.end() || name == w.marker_env) {
      diag.Error("spec.wiring.tokenEnvPrefix",
                 "provider '" + spec.providers[i].name + "' would get its token as " + name +
                     ", a variable ironward already sets; choose another tokenEnvPrefix");
    }
  }
}

}  // namespace

void CrossCheck(Diag& diag, const Spec& spec) {
  // Unique provider names and secrets.
  std::map<std::string, std::size_t> names;
  std::map<std::string, std::size_t> secrets;
  for (std::size_t i = 0; i < spec.providers.size(); ++i) {
    const Provider& p = spec.providers[i];
    if (!p.name.empty()) {
      if (auto [it, inserted] = names.emplace(p.name, i); !inserted) {
        diag.Error(At("spec.providers", i, "name"),
                   "duplicate provider name '" + p.name + "' (also spec.providers[" +
                       std::to_string(it->second) + "])");
      }
    }
    if (!p.secret.empty()) {
      if (auto [it, inserted] = secrets.emplace(p.secret, i); !inserted) {
        diag.Error(At("spec.providers", i, "secret"),
                   "secret '" + p.secret + "' is already used by provider '" +
                       spec.providers[it->second].name + "' (spec.providers[" +
                       std::to_string(it->second) + "]); each provider needs its own secret");
      }
    }
  }

  // Allowlist entries already covered by a provider get no credential: probably a mistake.
  for (std::size_t i = 0; i < spec.allowlist.size(); ++i) {
    for (const Provider& p : spec.providers) {
      if (std::find(p.hosts.begin(), p.hosts.end(), spec.allowlist[i]) != p.hosts.end()) {
        diag.Warn("spec.allowlist[" + std::to_string(i) + "]",
                  "'" + spec.allowlist[i] + "' is also a host of provider '" + p.name +
                      "'; the provider entry already allows it");
        break;
      }
    }
  }

  CheckWiringNames(diag, spec);

  // Sandboxes: unique names, env that ironward owns.
  const WiringSpec& wiring = spec.wiring;
  const auto egress = EgressEnvironmentNames(wiring);
  std::map<std::string, std::size_t> sandbox_names;
  for (std::size_t i = 0; i < spec.sandboxes.size(); ++i) {
    const Sandbox& s = spec.sandboxes[i];
    if (!s.name.empty()) {
      if (auto [it, inserted] = sandbox_names.emplace(s.name, i); !inserted) {
        diag.Error(At("spec.sandboxes", i, "name"),
                   "duplicate sandbox name '" + s.name + "' (also spec.sandboxes[" +
                       std::to_string(it->second) + "])");
      }
    }
    const std::string env_path = At("spec.sandboxes", i, "env");
    for (const auto& [name, value] : s.env) {
      const std::string path = env_path + "." + name;
      if (std::find(egress.begin(), egress.end(), name) != egress.end()) {
        diag.ErrorAt(diag.Find(path), env_path,
                     "'" + name + "' is set by ironward in every sandbox (egress proxy/CA) and "
                     "may not be overridden");
        continue;
      }
      if (name.rfind(kReservedEnvPrefix, 0) == 0) {
        diag.ErrorAt(diag.Find(path), env_path,
                     "'" + name + "': IRONWARD_* variables are reserved (proxy tokens are "
                     "injected as " + wiring.token_env_prefix + "<SECRET>)");
        continue;
      }
      if (name.rfind(wiring.token_env_prefix, 0) == 0) {
        diag.ErrorAt(diag.Find(path), env_path,
                     "'" + name + "': " + wiring.token_env_prefix +
                         "* variables are the proxy tokens ironward injects (" + wiring.token_env_prefix +
                         "<SECRET>)");
        continue;
      }
      for (const Provider& p : spec.providers) {
        if (p.secret == name) {
          diag.ErrorAt(diag.Find(path), env_path,
                       "'" + name + "' is the real secret of provider '" + p.name +
                           "'; sandboxes get only the proxy token " + wiring.token_env_prefix + name);
          break;
        }
      }
    }
  }

  if (spec.proxy.bind == BindKind::kSandboxNetwork &&
      spec.enforcement.network != NetworkMode::kInternal) {
    diag.Error("spec.proxy.bind",
               "bind: sandbox-network needs enforcement.network: internal (there is no sandbox "
               "network otherwise)");
  }
}

}  // namespace ironward::spec::detail
