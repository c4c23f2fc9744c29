#include "reconcilers/mappings_reconciler.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "state/encoding.h"
#include "state/fault.h"

namespace ironward {
namespace {

std::string Address(const std::string& provider) { return "mappings.token[\"" + provider + "\"]"; }

std::string DesiredDigest(const spec::DesiredState& desired) {
  nlohmann::json j = {{"rotation", desired.spec.tokens.rotation}};
  for (const auto& p : desired.spec.providers) j["providers"][p.name] = p.secret;
  return Sha256Hex(j.dump());
}

Change TokenChange(Action action, const std::string& provider, std::string reason, bool disruptive,
                   nlohmann::json before, nlohmann::json after) {
  Change c;
  c.action = action;
  c.address = Address(provider);
  c.type = "ironward_proxy_token";
  c.reason = std::move(reason);
  c.disruptive = disruptive;
  c.before = std::move(before);
  c.after = std::move(after);
  return c;
}

nlohmann::json Summary(const std::string& secret, const std::string& token) {
  return {{"secret", secret}, {"token", SensitiveLabel(token)}};
}

nlohmann::json Pending(const std::string& secret) { return {{"secret", secret}, {"token", kKnownAfterApply}}; }

}  // namespace

Result<MappingsFile> ParseMappings(const std::string& text) {
  try {
    const auto j = nlohmann::json::parse(text);
    MappingsFile f;
    f.version = j.at("version").get<int>();
    if (f.version != 1) return Error::Terminal("unsupported mappings.json version " + std::to_string(f.version));
    f.rotation = j.at("rotation").get<std::int64_t>();
    for (const auto& [name, m] : j.at("providers").items()) {
      TokenMapping tm{m.at("secret").get<std::string>(), m.at("token").get<std::string>(), m.value("created", "")};
      if (tm.token.size() < 32) return Error::Terminal("token for provider '" + name + "' is malformed");
      f.providers[name] = std::move(tm);
    }
    return f;
  } catch (const std::exception& e) {
    // e.what() from nlohmann may quote input bytes; keep only the error class, never content.
    return Error::Terminal("not valid mappings JSON");
  }
}

std::string SerializeMappings(const MappingsFile& file) {
  nlohmann::json j = {{"version", file.version}, {"rotation", file.rotation}, {"providers", nlohmann::json::object()}};
  for (const auto& [name, m] : file.providers) {
    j["providers"][name] = {{"secret", m.secret}, {"token", m.token}, {"created", m.created}};
  }
  return j.dump(2) + "\n";
}

std::string MintToken(const std::string& provider) { return "ironward-" + provider + "-" + RandomHex(16); }

Result<ObservedMappings> MappingsReconciler::Observe(const ReconcileContext&, const ReadDeps& deps) const {
  ObservedMappings o;
  auto text = deps.state.Read(kMappingsFile);
  if (!text) return text.error();
  if (!text->has_value()) {
    o.fingerprint = "absent";
    return o;
  }
  auto st = deps.state.Stat(kMappingsFile);
  if (!st) return st.error();
  o.exists = true;
  o.text = **text;
  o.mode = st->mode;
  o.fingerprint = Sha256Hex(**text + "|" + std::to_string(o.mode));
  auto parsed = ParseMappings(**text);
  if (!parsed) {
    o.corrupt = true;
    o.corrupt_reason = parsed.error().message;
  } else {
    o.file = std::move(*parsed);
  }
  return o;
}

ResourcePlan MappingsReconciler::Diff(ReconcileContext& ctx, const ObservedMappings& observed, const Clock&) const {
  const auto& spec = ctx.desired.spec;
  ResourcePlan plan;
  plan.desired_digest = DesiredDigest(ctx.desired);
  plan.observed_fingerprint = observed.fingerprint;
  MappingFacts facts;
  facts.rotation = spec.tokens.rotation;

  const bool rotate = observed.exists && !observed.corrupt && observed.file.rotation < spec.tokens.rotation;
  if (observed.exists && !observed.corrupt && observed.file.rotation > spec.tokens.rotation) {
    plan.warnings.push_back("mappings.json was minted at tokens.rotation " + std::to_string(observed.file.rotation) +
                            ", above the desired " + std::to_string(spec.tokens.rotation) +
                            "; tokens are kept (rotation never goes backwards)");
    facts.rotation = observed.file.rotation;
  }
  if (observed.corrupt) {
    Change c;
    c.action = Action::kReplace;
    c.address = "mappings.file";
    c.type = "ironward_mappings";
    c.reason = "mappings.json is unreadable (" + observed.corrupt_reason +
               "); it is kept as mappings.json.corrupt-<time> and every token is re-minted";
    c.disruptive = true;
    plan.changes.push_back(std::move(c));
  }

  for (const auto& p : spec.providers) {
    const auto it = observed.file.providers.find(p.name);
    const bool have = !observed.corrupt && it != observed.file.providers.end();
    if (!have) {
      plan.changes.push_back(TokenChange(Action::kCreate, p.name,
                                         observed.corrupt ? "re-minted after corrupt mappings.json"
                                                          : "provider '" + p.name + "' has no proxy token yet",
                                         observed.corrupt, nullptr, Pending(p.secret)));
      facts.pending.insert(p.name);
    } else if (rotate) {
      plan.changes.push_back(TokenChange(Action::kReplace, p.name,
                                         "tokens.rotation " + std::to_string(observed.file.rotation) + " -> " +
                                             std::to_string(spec.tokens.rotation),
                                         true, Summary(it->second.secret, it->second.token), Pending(p.secret)));
      facts.pending.insert(p.name);
    } else {
      facts.tokens[p.name] = it->second.token;
      if (it->second.secret != p.secret) {
        plan.changes.push_back(TokenChange(Action::kUpdate, p.name,
                                           "secret " + it->second.secret + " -> " + p.secret + " (token kept)", false,
                                           Summary(it->second.secret, it->second.token),
                                           Summary(p.secret, it->second.token)));
      }
    }
  }
  if (!observed.corrupt) {
    for (const auto& [provider_name, m] : observed.file.providers) facts.recorded_names[m.secret] = provider_name;
    for (const auto& [provider_name, m] : observed.file.providers) {
      const std::string& name = provider_name;  // C++20 lambdas may not capture structured bindings (clang 14)
      const bool declared = std::any_of(spec.providers.begin(), spec.providers.end(),
                                        [&](const spec::Provider& p) { return p.name == name; });
      if (!declared) {
        plan.changes.push_back(TokenChange(Action::kDelete, name, "provider '" + name + "' is no longer declared",
                                           false, Summary(m.secret, m.token), nullptr));
      }
    }
  }
  if (observed.exists && !observed.corrupt && observed.mode != 0600 && plan.changes.empty()) {
    Change c;
    c.action = Action::kUpdate;
    c.address = "mappings.file";
    c.type = "ironward_mappings";
    c.reason = "mode " + OctalMode(observed.mode) + " is not 0600";
    c.before = {{"mode", observed.mode}};
    c.after = {{"mode", 0600}};
    plan.changes.push_back(std::move(c));
  }
  ctx.facts.Publish(std::move(facts));
  return plan;
}

Outcome MappingsReconciler::DoApply(ReconcileContext& ctx, const ResourcePlan&, WriteDeps& deps) {
  // Re-observe: apply acts on what is there now, not on what the plan saw.
  auto observed = Observe(ctx, deps.Read());
  if (!observed) return Outcome::Failed(observed.error(), "ObserveFailed");
  ResourcePlan fresh = Diff(ctx, *observed, deps.clock);
  if (fresh.changes.empty()) return Outcome::Done(0);

  const auto& spec = ctx.desired.spec;
  const std::string now = FormatRfc3339(deps.clock.Now());
  const std::string stamp = now.substr(0, 19);  // 2026-11-23T04:45:14
  const bool rotate = observed->exists && !observed->corrupt && observed->file.rotation < spec.tokens.rotation;

  if (observed->corrupt) {
    // Nothing is lost: the unreadable file is kept for forensics before tokens are re-minted.
    if (auto s = deps.state.WriteAtomic(std::string(kMappingsFile) + ".corrupt-" + stamp, observed->text, 0600); !s)
      return Outcome::Failed(s.error(), "BackupFailed");
  }
  if (rotate) {
    const std::string backup = std::string(kMappingsBackupDir) + "/mappings-r" +
                               std::to_string(observed->file.rotation) + "-" + stamp + ".json";
    if (auto s = deps.state.WriteAtomic(backup, observed->text, 0600); !s)
      return Outcome::Failed(s.error(), "BackupFailed");
    IRONWARD_FAULT_POINT("mappings.after-backup");
  }

  MappingsFile next;
  next.rotation = std::max(spec.tokens.rotation, observed->corrupt ? 0 : observed->file.rotation);
  MappingFacts facts;
  facts.rotation = next.rotation;
  if (!observed->corrupt) {
    for (const auto& [provider_name, m] : observed->file.providers) facts.recorded_names[m.secret] = provider_name;
  }
  for (const auto& p : spec.providers) {
    const auto it = observed->file.providers.find(p.name);
    const bool keep = !observed->corrupt && !rotate && it != observed->file.providers.end();
    TokenMapping m = keep ? it->second : TokenMapping{p.secret, MintToken(p.name), now};
    m.secret = p.secret;
    facts.tokens[p.name] = m.token;
    next.providers[p.name] = std::move(m);
  }
  if (auto s = deps.state.WriteAtomic(kMappingsFile, SerializeMappings(next), 0600); !s)
    return Outcome::Failed(s.error(), "WriteFailed");
  ctx.facts.Publish(std::move(facts));
  return Outcome::Done(static_cast<int>(fresh.changes.size()),
                       std::to_string(next.providers.size()) + " provider token(s), rotation " +
                           std::to_string(next.rotation));
}

}  // namespace ironward
