// Checks that need more than one section.
#include <algorithm>
#include <map>

#include "state/spec/parse.h"
#include "state/spec/validators.h"

namespace ironward::spec::detail {
namespace {

std::string At(const char* list, std::size_t i, const char* key) {
  return std::string(list) + "[" + std::to_string(i) + "]." + key;
}

/// Why an image reference without a digest is not pinned: "untagged", "tagged :latest", or "" when
/// it carries another tag (or a digest). A registry's ":port" is not a tag.
std::string Unpinned(const std::string& image) {
  if (image.find('@') != std::string::npos) return "";
  const auto slash = image.rfind('/');
  const auto colon = image.rfind(':');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) return "untagged";
  return image.substr(colon + 1) == "latest" ? "tagged :latest" : "";
}

bool IsDigestPinned(const std::string& image) {
  const auto at = image.find("@sha256:");
  if (at == std::string::npos) return false;
  const std::string hex = image.substr(at + 8);
  return hex.size() == 64 && std::all_of(hex.begin(), hex.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

/// Ports against the network mode, image pinning, NO_PROXY names against the proxied hosts.
void CheckSandboxRuntime(Diag& diag, const Spec& spec, std::size_t i) {
  const Sandbox& s = spec.sandboxes[i];
  if (!s.ports.empty() && spec.enforcement.network == NetworkMode::kInternal) {
    diag.Error(At("spec.sandboxes", i, "ports"),
               "Docker publishes no port of a container on an internal network (enforcement.network: internal); "
               "reach the sandbox from this host at its address on the sandbox network instead, or use "
               "enforcement.network: none");
  }
  if (!s.image.empty()) {
    const std::string image_path = At("spec.sandboxes", i, "image");
    const bool required = s.require_digest || spec.enforcement.require_digest;
    if (required && !IsDigestPinned(s.image)) {
      diag.Error(image_path, "'" + s.image + "' is not pinned by digest (" +
                                 std::string(s.require_digest ? "requireDigest" : "enforcement.requireDigest") +
                                 " is true): write it as NAME@sha256:<64 hex>");
    } else if (const std::string why = Unpinned(s.image); !why.empty()) {
      diag.Warn(image_path, "'" + s.image + "' is " + why +
                                ": whatever image carries that name next runs in the sandbox; pin a version tag or a "
                                "digest (@sha256:…)");
    }
  }
  for (std::size_t j = 0; j < s.no_proxy.size(); ++j) {
    const std::string& name = s.no_proxy[j];
    for (const Provider& p : spec.providers) {
      for (const auto& h : p.hosts) {
        if (HostPatternMatches(h, name)) {
          diag.Error(At("spec.sandboxes", i, "noProxy") + "[" + std::to_string(j) + "]",
                     "'" + name + "' is a host of provider '" + p.name +
                         "': exempt from the proxy, its token would never be swapped for the key");
        }
      }
    }
  }
}

/// Why a sandbox may not set variable `name` itself (env or secretEnv); "" when it may.
std::string ReservedVarProblem(const Spec& spec, const std::vector<std::string>& egress, const std::string& name) {
  const std::string& prefix = spec.wiring.token_env_prefix;
  if (std::find(egress.begin(), egress.end(), name) != egress.end()) {
    return "'" + name + "' is set by ironward in every sandbox (egress proxy/CA) and may not be overridden";
  }
  if (name.rfind(kReservedEnvPrefix, 0) == 0) {
    return "'" + name + "': IRONWARD_* variables are reserved (proxy tokens are injected as " + prefix + "<SECRET>)";
  }
  if (name.rfind(prefix, 0) == 0) {
    return "'" + name + "': " + prefix + "* variables are the proxy tokens ironward injects (" + prefix + "<SECRET>)";
  }
  for (const Provider& p : spec.providers) {
    if (p.secret == name) {
      return "'" + name + "' is the real secret of provider '" + p.name + "'; sandboxes get only the proxy token " +
             prefix + name;
    }
  }
  return "";
}

/// secretEnv: the variable follows env's rules and is not also in env; the secret is neither a
/// provider's key (the proxy swaps those in, a sandbox never holds one) nor Bitwarden's access token.
void CheckSecretEnv(Diag& diag, const Spec& spec, const std::vector<std::string>& egress, std::size_t i) {
  const Sandbox& s = spec.sandboxes[i];
  const std::string base = At("spec.sandboxes", i, "secretEnv");
  for (const auto& [var, secret] : s.secret_env) {
    const std::string path = base + "." + var;
    if (std::string why = ReservedVarProblem(spec, egress, var); !why.empty()) {
      diag.ErrorAt(diag.Find(path), base, why);
      continue;
    }
    if (s.env.count(var) != 0) {
      diag.ErrorAt(diag.Find(path), base, "'" + var + "' is also set in env; a variable comes from one of the two");
      continue;
    }
    for (const Provider& p : spec.providers) {
      if (p.secret == secret) {
        diag.ErrorAt(diag.Find(path), path,
                     "'" + secret + "' is the key of provider '" + p.name +
                         "': a provider's key never enters a sandbox (it gets the proxy token " +
                         spec.wiring.token_env_prefix + secret + " instead)");
        break;
      }
    }
    if (secret == spec.credentials.bitwarden.access_token_env) {
      diag.ErrorAt(diag.Find(path), path,
                   "'" + secret + "' is ironward's Bitwarden access token (credentials.bitwarden.accessTokenEnv); "
                   "it never enters a sandbox");
    }
  }
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
    CheckSandboxRuntime(diag, spec, i);
    const std::string env_path = At("spec.sandboxes", i, "env");
    for (const auto& [name, value] : s.env) {
      const std::string path = env_path + "." + name;
      if (name == "NODE_OPTIONS") {
        // Kept, with --use-openssl-ca appended (Node then trusts the system store, where the CA is).
        if (value.find("--use-bundled-ca") != std::string::npos) {
          diag.ErrorAt(diag.Find(path), path,
                       "--use-bundled-ca makes Node.js ignore the egress CA (ironward appends --use-openssl-ca)");
        }
        continue;
      }
      if (const std::string why = ReservedVarProblem(spec, egress, name); !why.empty()) {
        diag.ErrorAt(diag.Find(path), env_path, why);
      }
    }
    CheckSecretEnv(diag, spec, egress, i);
  }

  if (spec.proxy.bind == BindKind::kSandboxNetwork &&
      spec.enforcement.network != NetworkMode::kInternal) {
    diag.Error("spec.proxy.bind",
               "bind: sandbox-network needs enforcement.network: internal (there is no sandbox "
               "network otherwise)");
  }
}

}  // namespace ironward::spec::detail
