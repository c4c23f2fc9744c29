// The Bitwarden Secrets Manager half of the secrets reconciler: its diff (refresh schedule,
// back-off, what a fetch would change) and its apply (fetch, record, deliver).
#include "reconcilers/secrets/secrets_reconciler.h"

#include <algorithm>

#include "reconcilers/secrets/secret_facts.h"
#include "reconcilers/secrets/secret_value.h"
#include "reconcilers/secrets/secrets_plan_parts.h"
#include "state/encoding.h"
#include "state/spec/units.h"

namespace ironward::secrets {

using detail::AddFileChange;
using detail::kFailClosed;
using detail::Seconds;
using detail::SkippedWarnings;

ResourcePlan SecretsReconciler::DiffBitwarden(ReconcileContext& ctx, const ObservedSecrets& o, const Clock& clock) const {
  const auto& spec = ctx.desired.spec;
  const auto& cred = spec.credentials;
  const auto& b = *o.bitwarden;
  ResourcePlan plan;
  plan.observed_fingerprint = o.fingerprint;
  plan.desired_digest = Sha256Hex(nlohmann::json{{"source", "bitwarden"},
                                                 {"project", cred.bitwarden.project_id},
                                                 {"server", cred.bitwarden.server_url},
                                                 {"api", cred.bitwarden.api_url},
                                                 {"identity", cred.bitwarden.identity_url},
                                                 {"token_env", cred.bitwarden.access_token_env},
                                                 {"refresh", cred.bitwarden.refresh_interval.count()},
                                                 {"retry", cred.bitwarden.retry_interval.count()},
                                                 {"fallback", cred.allow_env_fallback},
                                                 {"names", spec::AllSecretNames(spec)}}
                                      .dump());
  const bool complete = Covers(b.values, spec);
  const std::vector<std::string> wanted = spec::AllSecretNames(spec);
  const bool env_ready = cred.allow_env_fallback && !o.source_error && o.missing.empty();
  plan.details = {{"source", "bitwarden"},
                  {"project_id", cred.bitwarden.project_id},
                  {"refresh_interval_seconds", cred.bitwarden.refresh_interval.count()},
                  {"delivery", b.file_delivery ? "file" : "env"},
                  {"secrets", complete ? DigestSummary(b.values) : RecordSummary(b.record)},
                  {"fetched_at", !b.last_fetched_at.empty() ? b.last_fetched_at
                                                            : (b.record ? b.record->fetched_at : "")},
                  {"checked_at", FormatRfc3339(clock.Now())}};
  if (b.next_attempt_in) plan.details["next_fetch_in"] = *b.next_attempt_in;
  if (!b.record_problem.empty()) plan.warnings.push_back(std::string(kSecretRecordFile) + ": " + b.record_problem);

  // Serve `values` (last good or the env fallback) with a Degraded warning.
  auto serve_degraded = [&](const std::string& problem) {
    if (complete) {
      plan.warnings.push_back("Degraded: " + problem + "; keeping the last good values (fetched at " +
                              b.last_fetched_at + "); iron-proxy is left as it is");
      ctx.facts.Publish(FactsOf(b.values, b.file_delivery, spec, b.missing));
    } else {
      plan.warnings.push_back("Degraded: " + problem + "; using the values from ironward's environment "
                              "(allowEnvFallback: true)");
      ctx.facts.Publish(FactsOf(o.values, b.file_delivery, spec, o.sandbox_missing));
    }
    plan.details["degraded"] = problem;
  };

  std::string refused;
  if (b.token_error) refused = b.token_error->message;
  else if (b.stopped) {
    refused = "Bitwarden refused the last fetch: " + *b.stopped + "; not fetching again until credentials.bitwarden, "
              "the providers' secrets or $" + cred.bitwarden.access_token_env + " change";
  }
  if (!refused.empty()) {
    if (complete || env_ready) {
      serve_degraded(refused);
      if (b.file_delivery) AddFileChange(plan, ctx.facts.secrets()->digests, b.file_digests);
    } else {
      plan.error = Error::Terminal(refused + kFailClosed);
      plan.error_reason = b.stopped && !b.token_error ? "BitwardenRefused" : "AccessTokenInvalid";
    }
    return plan;
  }

  if (b.due) {
    Change c;
    c.action = (complete || b.record) ? Action::kUpdate : Action::kCreate;
    c.address = kBitwardenAddress;
    c.type = kSecretsType;
    c.reason = b.due_reason;
    c.before = {{"secrets", complete ? DigestSummary(b.values) : RecordSummary(b.record)}};
    c.after = {{"secrets", kKnownAfterApply}};
    plan.changes.push_back(std::move(c));
    std::map<std::string, std::string> recorded;
    if (b.record) {
      for (const auto& [name, e] : b.record->secrets) recorded[name] = e.sha256;
    }
    SecretFacts pending = DigestFacts(recorded, b.file_delivery, spec);
    pending.pending = true;
    pending.combined_digest.clear();  // the proxy's inputs are only known after the fetch
    ctx.facts.Publish(std::move(pending));
    if (b.last_failure && complete) plan.details["degraded"] = *b.last_failure;
    return plan;
  }

  if (b.from_record) {
    // Dry run of a fresh process: what the proxy runs with is known from secrets.json.
    std::map<std::string, std::string> recorded;
    for (const auto& [name, e] : b.record->secrets) {
      if (IsIn(wanted, name)) recorded[name] = e.sha256;
    }
    ctx.facts.Publish(DigestFacts(recorded, b.file_delivery, spec));
    plan.details["known_from"] = std::string(kSecretRecordFile) + " (values are fetched at apply)";
    if (b.file_delivery) AddFileChange(plan, ctx.facts.secrets()->digests, b.file_digests);
    return plan;
  }

  if (!complete) {
    const std::string failure = "Bitwarden fetch failed: " + b.last_failure.value_or("no successful fetch yet") +
                                "; next attempt in " + b.next_attempt_in.value_or("?");
    if (env_ready) {
      serve_degraded(failure);
    } else if (auto recorded = RecordedFacts(b, spec)) {
      // As in ApplyBitwarden: no values in memory, the digests the proxy runs with are recorded.
      ctx.facts.Publish(std::move(*recorded));
      plan.warnings.push_back("Degraded: " + failure + "; no values in this process, " + kSecretRecordFile +
                              " records the last good ones: a running iron-proxy keeps them");
      plan.details["degraded"] = failure;
      plan.details["values_in_memory"] = false;
    } else {
      plan.error = Error::Transient(failure + kFailClosed);
    }
    return plan;
  }

  ctx.facts.Publish(FactsOf(b.values, b.file_delivery, spec, b.missing));
  if (b.last_failure) serve_degraded("the last fetch failed: " + *b.last_failure);
  if (b.file_delivery) AddFileChange(plan, ctx.facts.secrets()->digests, b.file_digests);
  return plan;
}

Outcome SecretsReconciler::ApplyBitwarden(ReconcileContext& ctx, WriteDeps& deps) {
  const auto& spec = ctx.desired.spec;
  const auto& cred = spec.credentials;
  auto observed = Observe(ctx, deps.Read());
  if (!observed) return Outcome::Failed(observed.error(), "ObserveFailed");
  const BitwardenObservation& b = *observed->bitwarden;

  RefreshResult r;
  if (b.due) {
    r = bitwarden_->Refresh(spec, deps);
  } else {
    r.values = b.values;
    r.fetched_at = b.last_fetched_at;
    if (b.token_error) r.error = *b.token_error;
    else if (b.stopped) r.error = Error::Terminal(*b.stopped);
    else if (b.last_failure) r.error = Error::Transient(*b.last_failure);
  }
  std::map<std::string, std::string> values = r.values;
  std::map<std::string, std::string> missing = r.missing;
  std::string degraded;
  if (!Covers(values, spec)) {
    const Error e = r.error.value_or(Error::Transient("Bitwarden returned no values yet"));
    if (cred.allow_env_fallback && !observed->source_error && observed->missing.empty()) {
      values = observed->values;
      missing = observed->sandbox_missing;
      degraded = e.message + "; using the values from ironward's environment (allowEnvFallback: true)";
    } else if (auto recorded = RecordedFacts(b, spec)) {
      // Nothing in memory, but secrets.json says which values the proxy was given: a running proxy
      // keeps them (the daemon compares digests, so it is left alone); only a (re)start needs the
      // values, and the daemon refuses that (SecretValuesUnavailable). Secret files are not synced.
      ctx.facts.Publish(std::move(*recorded));
      Outcome done = Outcome::Done(0);
      done.reason = "Degraded";
      const auto next = bitwarden_->TimeUntilNext();
      if (next && !e.terminal()) {
        done.after = std::chrono::duration_cast<std::chrono::seconds>(*next + std::chrono::milliseconds(999));
      }
      done.message = "Degraded: Bitwarden: " + e.message + "; no values in this process, " + kSecretRecordFile +
                     " records the last good ones (fetched at " + b.record->fetched_at +
                     "): a running iron-proxy keeps them, none is started or restarted until a fetch succeeds; "
                     "next fetch in " + Seconds(e.terminal() ? std::nullopt : next);
      done.details = {{"source", "bitwarden"},
                      {"project_id", cred.bitwarden.project_id},
                      {"refresh_interval_seconds", cred.bitwarden.refresh_interval.count()},
                      {"delivery", b.file_delivery ? "file" : "env"},
                      {"secrets", RecordSummary(b.record)},
                      {"fetched_at", b.record->fetched_at},
                      {"next_fetch_in", Seconds(e.terminal() ? std::nullopt : next)},
                      {"values_in_memory", false},
                      {"degraded", "Bitwarden: " + e.message},
                      {"checked_at", FormatRfc3339(deps.clock.Now())}};
      AddSkippedProviders(done, SkippedWarnings(spec, *ctx.facts.secrets()), *ctx.facts.secrets());
      return done;
    } else {
      const std::string message = "Bitwarden: " + e.message + kFailClosed;
      if (e.terminal()) return Outcome::Failed(Error{e.kind, message}, "BitwardenRefused");
      // Retried when the client's schedule says (its back-off, or the server's Retry-After).
      std::chrono::seconds after{0};
      if (auto left = bitwarden_->TimeUntilNext()) {
        after = std::chrono::duration_cast<std::chrono::seconds>(*left + std::chrono::milliseconds(999));
      }
      return Outcome::Retry("BitwardenUnavailable", message, after);
    }
  } else if (r.error) {
    degraded = r.error->message + "; keeping the last good values (fetched at " + r.fetched_at +
               "); iron-proxy is left as it is";
  }

  int files_changed = 0;
  if (b.file_delivery) {
    auto synced = SyncSecretFiles(deps.state, ProviderValues(values, spec));
    if (!synced) return Outcome::Failed(synced.error(), "WriteFailed");
    files_changed = *synced;
  }
  ctx.facts.Publish(FactsOf(values, b.file_delivery, spec, missing));

  std::string message;
  if (b.due && !r.error) {
    message = "fetched " + std::to_string(values.size()) + " secret(s) from Bitwarden project " +
              cred.bitwarden.project_id;
    if (!r.rotated.empty()) {
      message += "; rotated:";
      for (const auto& rot : r.rotated) message += " " + rot;
    }
  }
  if (files_changed > 0) {
    message += std::string(message.empty() ? "" : "; ") + "wrote " + std::to_string(files_changed) +
               " secret file change(s) under " + kSecretsDir + "/ (0600)";
  }
  Outcome done = Outcome::Done(static_cast<int>(r.rotated.size()) + files_changed);
  if (!degraded.empty()) {
    done.reason = "Degraded";
    message = "Degraded: " + degraded + (message.empty() ? "" : "; " + message);
  } else if (!r.rotated.empty()) {
    done.reason = "Rotated";
  } else if (b.due) {
    done.reason = "Fetched";
  }
  const auto next = bitwarden_->TimeUntilNext();
  // `ironward run` comes back when the next fetch is due (one-shot commands ignore it).
  if (next) done.after = std::chrono::duration_cast<std::chrono::seconds>(*next + std::chrono::milliseconds(999));
  message += std::string(message.empty() ? "" : "; ") + "next fetch in " + Seconds(next);
  done.message = message;
  done.details = {{"source", "bitwarden"},
                  {"project_id", cred.bitwarden.project_id},
                  {"refresh_interval_seconds", cred.bitwarden.refresh_interval.count()},
                  {"delivery", b.file_delivery ? "file" : "env"},
                  {"secrets", DigestSummary(values)},
                  {"fetched_at", r.fetched_at},
                  {"next_fetch_in", Seconds(next)},
                  {"checked_at", FormatRfc3339(deps.clock.Now())}};
  if (!degraded.empty()) done.details["degraded"] = degraded;
  if (!bitwarden_->last_warnings().empty()) {
    done.details["warnings"] = bitwarden_->last_warnings();
    done.message += "; " + std::to_string(bitwarden_->last_warnings().size()) +
                    " secret value(s) trimmed of a trailing line break (details.warnings name them)";
  }
  const SecretFacts& published = *ctx.facts.secrets();
  if (!published.sandbox_missing.empty()) done.details["sandbox_secrets_missing"] = published.sandbox_missing;
  AddSkippedProviders(done, SkippedWarnings(spec, published), published);
  return done;
}

}  // namespace ironward::secrets
