#include "reconcilers/proxy_config_reconciler.h"

#include <yaml-cpp/yaml.h>

#include "reconcilers/proxy_config/config_summary.h"
#include "reconcilers/proxy_config/render.h"
#include "state/encoding.h"

namespace ironward {
namespace {

constexpr const char* kAddress = "proxy_config.file";
constexpr const char* kType = "ironward_proxy_config";

/// Top-level sections whose content differs, to say *why* the file changes.
std::string ChangedSections(const std::string& current, const YAML::Node& desired) {
  std::string out;
  try {
    const YAML::Node now = YAML::Load(current);
    for (const char* key : {"dns", "proxy", "tls", "metrics", "management", "log", "transforms"}) {
      YAML::Emitter a;
      YAML::Emitter b;
      if (now[key]) a << now[key];
      if (desired[key]) b << desired[key];
      if (std::string(a.c_str()) != std::string(b.c_str())) out += (out.empty() ? "" : ", ") + std::string(key);
    }
    for (const auto& kv : now) {
      const std::string key = kv.first.as<std::string>();
      if (!desired[key]) out += (out.empty() ? "" : ", ") + key + " (unexpected)";
    }
  } catch (const std::exception&) {
    return "unparsable file";
  }
  return out.empty() ? "comments/formatting" : out;
}

/// Inputs are known only when every token exists; otherwise the file is "known after apply".
bool CollectInputs(const ReconcileContext& ctx, const ObservedProxyConfig& observed,
                   proxy_config::RenderInputs* in, std::string* pending_reason) {
  in->desired = &ctx.desired;
  in->bind_ip = observed.bind_ip;
  in->ca_cert_path = ctx.facts.ca() ? ctx.facts.ca()->cert_path : (observed.state_root / "ca.crt").string();
  in->ca_key_path = ctx.facts.ca() ? ctx.facts.ca()->key_path : (observed.state_root / "ca.key").string();
  in->secrets_dir = (observed.state_root / "secrets").string();
  if (!ctx.facts.mappings()) {
    *pending_reason = "token mappings are not known yet";
    return false;
  }
  if (!ctx.facts.mappings()->pending.empty()) {
    std::string names;
    for (const auto& n : ctx.facts.mappings()->pending) names += (names.empty() ? "" : ", ") + n;
    *pending_reason = "proxy tokens for " + names + " are minted at apply";
    return false;
  }
  in->tokens = ctx.facts.mappings()->tokens;
  // Optional providers without a key are left out. While the secrets are not known (the secrets
  // resource failed, a Bitwarden fetch is pending, or a command that does not read secrets such
  // as `wiring`), each optional provider stays as the file on disk has it: no flip either way
  // without knowing its key.
  const auto& secrets = ctx.facts.secrets();
  if (secrets && !secrets->pending) {
    in->skipped_providers = secrets->skipped_providers;
  } else {
    nlohmann::json on_disk = nlohmann::json::object();
    if (observed.exists) {
      try {
        on_disk = proxy_config::SummarizeConfig(YAML::Load(observed.text), {}).value("providers", on_disk);
      } catch (const std::exception&) {
        // Unparsable: rewritten whole; every optional provider waits for its key to be known.
      }
    }
    for (const auto& p : ctx.desired.spec.providers) {
      if (p.optional && !on_disk.contains(p.secret)) in->skipped_providers.insert(p.name);
    }
  }
  return true;
}

}  // namespace

Result<ObservedProxyConfig> ProxyConfigReconciler::Observe(const ReconcileContext& ctx, const ReadDeps& deps) const {
  ObservedProxyConfig o;
  auto bind = proxy_config::ResolveBindAddress(ctx.desired.spec, deps.host);
  if (!bind) return bind.error();
  o.bind_ip = *bind;
  o.state_root = deps.state.root();
  auto text = deps.state.Read(kProxyConfigFile);
  if (!text) return text.error();
  if (text->has_value()) {
    auto st = deps.state.Stat(kProxyConfigFile);
    if (!st) return st.error();
    o.exists = true;
    o.text = **text;
    o.mode = st->mode;
  }
  o.fingerprint = o.exists ? Sha256Hex(o.text + "|" + std::to_string(o.mode)) : "absent";
  return o;
}

ResourcePlan ProxyConfigReconciler::Diff(ReconcileContext& ctx, const ObservedProxyConfig& observed,
                                         const Clock&) const {
  ResourcePlan plan;
  plan.observed_fingerprint = observed.fingerprint;
  const std::string current_digest = observed.exists ? Sha256Hex(observed.text) : "";

  proxy_config::RenderInputs in;
  std::string pending;
  const bool known = CollectInputs(ctx, observed, &in, &pending);

  ConfigFacts facts;
  facts.path = (observed.state_root / kProxyConfigFile).string();
  facts.bind_address = observed.bind_ip;
  facts.tunnel_port = ctx.desired.spec.proxy.tunnel_port;
  facts.http_port = ctx.desired.spec.proxy.http_port;
  Change c;
  c.address = kAddress;
  c.type = kType;
  if (!known) {
    facts.pending = true;
    c.action = observed.exists ? Action::kUpdate : Action::kCreate;
    c.reason = (observed.exists ? "will be re-rendered: " : "proxy.yaml does not exist; ") + pending;
    c.before = observed.exists ? nlohmann::json{{"sha256", ShortDigest(current_digest)}} : nlohmann::json(nullptr);
    c.after = {{"sha256", kKnownAfterApply}};
    plan.desired_digest = kKnownAfterApply;
    plan.changes.push_back(std::move(c));
    ctx.facts.Publish(facts);
    return plan;
  }

  auto rendered = proxy_config::RenderProxyConfig(in);
  if (!rendered) {
    plan.error = rendered.error();
    return plan;
  }
  plan.desired_digest = rendered->digest;
  facts.digest = rendered->digest;
  facts.listeners_digest = rendered->listeners_digest;
  facts.ruleset_digest = rendered->ruleset_digest;
  auto names = proxy_config::ProviderNames(ctx.desired.spec);
  facts.summary = proxy_config::SummarizeConfig(rendered->node, names);
  // The file on disk may still serve providers no longer declared: their recorded names.
  if (const auto& m = ctx.facts.mappings()) names.insert(m->recorded_names.begin(), m->recorded_names.end());
  ctx.facts.Publish(facts);

  if (!observed.exists) {
    c.action = Action::kCreate;
    c.reason = "proxy.yaml does not exist";
    c.after = {{"sha256", ShortDigest(rendered->digest)}, {"version", ctx.desired.spec.proxy.version}};
  } else if (current_digest != rendered->digest) {
    c.action = Action::kUpdate;
    c.before = {{"sha256", ShortDigest(current_digest)}};
    c.after = {{"sha256", ShortDigest(rendered->digest)}};
    try {
      const nlohmann::json now = proxy_config::SummarizeConfig(YAML::Load(observed.text), names);
      c.fields = proxy_config::DiffConfigSummaries(now, facts.summary).All();
      c.before["config"] = now;
      c.after["config"] = facts.summary;
    } catch (const std::exception&) {
      // Unparsable file: the digests and the section list say enough (it is rewritten whole).
    }
    const std::string count =
        c.fields.empty() ? "" : std::to_string(c.fields.size()) + " field change(s); ";
    c.reason = "config digest " + ShortDigest(current_digest) + " != desired " + ShortDigest(rendered->digest) + " (" +
               count + "changed: " + ChangedSections(observed.text, rendered->node) + ")";
  } else if (observed.mode != 0600) {
    c.action = Action::kUpdate;
    c.reason = "mode " + OctalMode(observed.mode) + " is not 0600";
    c.before = {{"mode", observed.mode}};
    c.after = {{"mode", 0600}};
  } else {
    return plan;
  }
  plan.changes.push_back(std::move(c));
  return plan;
}

Outcome ProxyConfigReconciler::DoApply(ReconcileContext& ctx, const ResourcePlan&, WriteDeps& deps) {
  auto observed = Observe(ctx, deps.Read());
  if (!observed) return Outcome::Failed(observed.error(), "ObserveFailed");
  proxy_config::RenderInputs in;
  std::string pending;
  if (!CollectInputs(ctx, *observed, &in, &pending)) {
    return Outcome::Failed(Error::Transient("cannot render proxy.yaml: " + pending), "DependencyNotReady");
  }
  auto rendered = proxy_config::RenderProxyConfig(in);
  if (!rendered) return Outcome::Failed(rendered.error(), "RenderFailed");
  ConfigFacts facts;
  facts.path = deps.state.PathOf(kProxyConfigFile).string();
  facts.digest = rendered->digest;
  facts.listeners_digest = rendered->listeners_digest;
  facts.ruleset_digest = rendered->ruleset_digest;
  facts.summary = proxy_config::SummarizeConfig(rendered->node, proxy_config::ProviderNames(ctx.desired.spec));
  facts.bind_address = observed->bind_ip;
  facts.tunnel_port = ctx.desired.spec.proxy.tunnel_port;
  facts.http_port = ctx.desired.spec.proxy.http_port;
  ctx.facts.Publish(facts);
  if (observed->exists && observed->text == rendered->text && observed->mode == 0600) return Outcome::Done(0);
  if (auto s = deps.state.WriteAtomic(kProxyConfigFile, rendered->text, 0600); !s) {
    return Outcome::Failed(s.error(), "WriteFailed");
  }
  return Outcome::Done(1, "proxy.yaml sha256:" + ShortDigest(rendered->digest));
}

}  // namespace ironward
