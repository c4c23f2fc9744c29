#include "reconcilers/sandboxes/sandbox_plan.h"

#include "reconcilers/sandboxes/spec_fields.h"

#include <algorithm>
#include <exception>
#include <set>

#include "reconcilers/sandboxes/container_spec.h"
#include "state/encoding.h"

namespace ironward::sandboxes {
namespace {


/// The exit code in a list entry's status ("Exited (3) 2 minutes ago"), if any.
std::optional<int> ExitCodeOf(const std::string& status) {
  const auto open = status.find('(');
  const auto close = status.find(')', open);
  if (status.rfind("Exited", 0) != 0 || open == std::string::npos || close == std::string::npos) return std::nullopt;
  try {
    return std::stoi(status.substr(open + 1, close - open - 1));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

/// A container that is not running and should stay so: a oneshot or `restart: no` sandbox that
/// exited, an `on-failure` one that exited 0, or one the engine is restarting under its own policy.
/// nullopt: not such a case (the usual checks decide); otherwise a note ("" = nothing to report).
std::optional<std::string> Settled(const spec::Sandbox& s, const OwnedContainer& c) {
  const std::string& state = c.summary.state;
  const bool engine_restarts = s.restart == spec::RestartPolicy::kAlways || s.restart == spec::RestartPolicy::kOnFailure;
  if (state == "restarting" && engine_restarts) {
    return "sandbox '" + s.name + "' is restarting (restart: " + spec::ToString(s.restart) + ", " + c.summary.status +
           ")";
  }
  if (state != "exited") return std::nullopt;
  const auto code = ExitCodeOf(c.summary.status);
  if (s.oneshot) {
    if (code && *code == 0) return "";
    return "oneshot sandbox '" + s.name + "' failed: " + c.summary.status + "; it is re-run when its spec changes";
  }
  if (s.restart == spec::RestartPolicy::kNo) {
    return "sandbox '" + s.name + "' " + c.summary.status + " and stays stopped (restart: no); it is re-created when "
           "its spec changes";
  }
  if (s.restart == spec::RestartPolicy::kOnFailure && code && *code == 0) return "";
  return std::nullopt;
}

/// Why sandbox `want` cannot be (re)created now; "" when it can.
std::string Blocked(const WantedContainer& want) {
  if (want.secret_env.missing.empty()) return "";
  return "sandbox '" + want.sandbox->name + "' waits for its secretEnv secret(s): " + want.secret_env.missing;
}

/// Why the owned container `c` must be replaced to become `want` under `w`; "" when it is in sync.
std::string ReplaceReason(const WantedContainer& want, const EgressWiring& w, const OwnedContainer& c) {
  const std::string& state = c.summary.state;
  if (state != "running") {
    if (state == "exited" || state == "dead") return "container " + state + " (" + c.summary.status + ")";
    return "container is " + (state.empty() ? std::string("not running") : state) + ", not running";
  }
  const std::string& want_spec = want.spec_digest;
  if (want_spec.empty()) return "the sandbox network (proxy address) is only known after apply";
  if (c.labels.spec_digest != want_spec) {
    return "spec changed (digest " + ShortDigest(c.labels.spec_digest) + " -> " + ShortDigest(want_spec) + ")";
  }
  // Posture: what the sandbox trusts (CA) and presents (tokens).
  if (!w.ca_digest.empty() && c.labels.egress_ca != w.ca_digest) {
    return "egress CA changed (" + ShortDigest(c.labels.egress_ca) + " -> " + ShortDigest(w.ca_digest) + ")";
  }
  if (!c.labels.token_rotation || *c.labels.token_rotation != w.token_rotation) {
    return "tokens.rotation " + (c.labels.token_rotation ? std::to_string(*c.labels.token_rotation) : "?") + " -> " +
           std::to_string(w.token_rotation);
  }
  if (w.Pending()) return "egress posture only known after apply (pending: " + Join(w.pending) + ")";
  if (c.labels.posture != w.PostureDigest()) return "proxy tokens changed (posture digest differs)";
  // secretEnv: compared when every digest is known (a value still to be fetched may not change).
  if (const SecretEnvState& st = want.secret_env; !st.digest.empty() && c.labels.secret_env != st.digest) {
    return "a secretEnv secret changed (digest " + ShortDigest(c.labels.secret_env) + " -> " + ShortDigest(st.digest) +
           ")";
  }
  if (c.info) {
    const auto drift = DriftOf(*c.info, want.create);
    if (!drift.empty()) return "changed out of band: " + Join(drift);
  }
  return "";
}

}  // namespace

bool ListProvesInSync(const DesiredContainers& desired, const OwnedContainer& c) {
  const EgressWiring& w = desired.wiring();
  if (c.summary.state != "running" || w.Pending()) return false;
  const WantedContainer* wanted = desired.Find(c.labels.sandbox);
  if (wanted == nullptr || c.summary.name != wanted->sandbox->name) return false;
  if (!ReplaceReason(*wanted, w, OwnedContainer{c.summary, c.labels, std::nullopt}).empty()) return false;
  const docker::ContainerCreateSpec& want = wanted->create;
  if (c.summary.image != want.image || c.summary.network_mode != want.host.network_mode) return false;
  for (const auto& [network, endpoint] : c.summary.networks) {
    if (network != want.host.network_mode) return false;
  }
  return true;
}

std::size_t ObservedSandboxes::Running() const {
  std::size_t n = 0;
  for (const auto& c : owned) n += c.summary.state == "running" ? 1 : 0;
  return n;
}

SandboxDecision Decide(const spec::DesiredState& desired, const DesiredContainers& want,
                       const ObservedSandboxes& o) {
  const EgressWiring& w = want.wiring();
  SandboxDecision d;
  const auto& declared = desired.spec.sandboxes;
  std::set<std::size_t> matched;  // indexes into o.owned
  std::vector<std::string> taken;

  for (const spec::Sandbox& s : declared) {
    const WantedContainer& wanted = want.Of(s);
    // The owned container for this sandbox: the one with its name first, then any with its label.
    std::optional<std::size_t> pick;
    for (std::size_t i = 0; i < o.owned.size(); ++i) {
      if (o.owned[i].labels.sandbox != s.name || matched.count(i) != 0) continue;
      if (!pick || o.owned[i].summary.name == s.name) pick = i;
    }
    if (!pick) {
      if (auto f = o.foreign.find(s.name); f != o.foreign.end()) {
        taken.push_back("'" + s.name + "' (container " + f->second.substr(0, 12) + ")");
        continue;
      }
      d.steps.push_back(Step{Step::Kind::kCreate, s.name, "", s.name, "sandbox '" + s.name + "' has no container", &s,
                             Blocked(wanted)});
      continue;
    }
    matched.insert(*pick);
    const OwnedContainer& c = o.owned[*pick];
    if (c.summary.name != s.name) {
      if (o.foreign.count(s.name) != 0) {
        taken.push_back("'" + s.name + "' (container " + o.foreign.at(s.name).substr(0, 12) + ")");
        continue;
      }
      d.steps.push_back(Step{Step::Kind::kReplace, s.name, c.summary.id, c.summary.name,
                             "container was renamed to '" + c.summary.name + "'", &s, Blocked(wanted)});
      continue;
    }
    if (const auto settled = Settled(s, c)) {
      // Finished (or left to the engine): only a spec change re-creates it, not a rotation.
      const std::string& want_spec = wanted.spec_digest;
      if (!want_spec.empty() && c.labels.spec_digest != want_spec) {
        d.steps.push_back(Step{Step::Kind::kReplace, s.name, c.summary.id, c.summary.name,
                               "spec changed (digest " + ShortDigest(c.labels.spec_digest) + " -> " +
                                   ShortDigest(want_spec) + "): re-run",
                               &s, Blocked(wanted)});
        continue;
      }
      if (!settled->empty()) d.warnings.push_back(*settled);
      d.in_sync[s.name] = c.summary.id;
      continue;
    }
    if (std::string why = ReplaceReason(wanted, w, c); !why.empty()) {
      std::vector<FieldChange> fields;
      if (why.rfind("spec changed", 0) == 0 && c.info) {
        fields = SpecFieldChanges(*c.info, wanted.create);
        std::vector<std::string> names;
        for (const auto& f : fields) {
          if (std::find(names.begin(), names.end(), f.field) == names.end()) names.push_back(f.field);
        }
        if (!names.empty()) why += ": " + Join(names);
      }
      d.steps.push_back(
          Step{Step::Kind::kReplace, s.name, c.summary.id, c.summary.name, why, &s, Blocked(wanted), std::move(fields)});
    } else {
      if (const SecretEnvState& st = wanted.secret_env; !st.missing.empty()) {
        d.warnings.push_back("sandbox '" + s.name + "' keeps running with the secretEnv values it was created with; " +
                             "no value now for " + st.missing);
      }
      d.in_sync[s.name] = c.summary.id;
    }
  }
  if (!taken.empty()) {
    d.error = Error::Terminal("container name(s) " + Join(taken) +
                              " already used by containers ironward does not own; remove or rename them, or rename "
                              "the sandbox");
    return d;
  }

  // Owned containers no declared sandbox wants.
  std::set<std::string> names;
  for (const auto& s : declared) names.insert(s.name);
  std::vector<const OwnedContainer*> orphans;
  for (std::size_t i = 0; i < o.owned.size(); ++i) {
    if (matched.count(i) != 0) continue;
    const OwnedContainer& c = o.owned[i];
    if (names.count(c.labels.sandbox) != 0) {
      // A second container for a declared sandbox (e.g. renamed out of band): never wanted.
      d.steps.push_back(Step{Step::Kind::kDelete, c.labels.sandbox, c.summary.id, c.summary.name,
                             "duplicate container for sandbox '" + c.labels.sandbox + "'", nullptr, ""});
      continue;
    }
    orphans.push_back(&c);
  }
  if (orphans.empty()) return d;
  std::string list;
  for (const auto* c : orphans) list += (list.empty() ? "" : ", ") + c->summary.name;
  if (!desired.spec.reconcile.prune) {
    d.warnings.push_back(std::to_string(orphans.size()) + " container(s) owned by '" + desired.name +
                         "' are no longer declared and are kept (" + list +
                         "); set reconcile.prune: true to remove them");
  } else if (declared.empty()) {
    d.warnings.push_back("refusing to prune: spec.sandboxes is empty but " + std::to_string(orphans.size()) +
                         " owned container(s) exist (" + list +
                         "). An empty list is more likely a mistake than an intent; declare at least one "
                         "sandbox or remove them by hand (docker rm -f)");
  } else {
    for (const auto* c : orphans) {
      d.steps.push_back(Step{Step::Kind::kDelete, c->labels.sandbox, c->summary.id, c->summary.name,
                             "sandbox '" + c->labels.sandbox + "' is no longer declared (reconcile.prune: true)",
                             nullptr, ""});
    }
  }
  return d;
}

}  // namespace ironward::sandboxes
