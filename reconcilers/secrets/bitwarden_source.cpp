#include "reconcilers/secrets/bitwarden_source.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "state/spec/units.h"
#include "reconcilers/secrets/secret_delivery.h"
#include "reconcilers/secrets/secret_value.h"
#include "state/encoding.h"

namespace ironward::secrets {
namespace {

/// Every name fetched, sorted (the key's "names" stays stable under reordered providers).
std::vector<std::string> SortedNames(const spec::Spec& spec) {
  std::vector<std::string> names = spec::AllSecretNames(spec);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

bw::EndpointSettings SettingsOf(const spec::BitwardenSpec& b) {
  bw::EndpointSettings s;
  s.server_url = b.server_url;
  s.api_url = b.api_url;
  s.identity_url = b.identity_url;
  return s;
}

std::string Seconds(std::chrono::nanoseconds d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d + std::chrono::milliseconds(999)).count()) +
         "s";
}

/// secrets.json is of this project, names every provider's secret and is younger than
/// refreshInterval. (A secretEnv secret it lacks is unknown to the plan: its sandbox waits.)
bool RecordFresh(const std::optional<SecretRecord>& record, const spec::Spec& spec, SystemTime now,
                 std::optional<std::string>* next_in) {
  const auto& b = spec.credentials.bitwarden;
  if (!record || record->project_id != b.project_id) return false;
  for (const auto& name : spec::RequiredProviderSecretNames(spec)) {
    if (record->secrets.count(name) == 0) return false;
  }
  SystemTime fetched;
  if (!ParseRfc3339(record->fetched_at, &fetched) || fetched > now) return false;
  const auto next = fetched + b.refresh_interval;
  if (next <= now) return false;
  *next_in = Seconds(next - now);
  return true;
}

/// Why a key may be missing. Bitwarden answers a project the machine account cannot read with an
/// empty list (200), not 403/404, so a missing key is often a missing grant.
const char* NotFoundHint(bool project_listed_empty) {
  return project_listed_empty
             ? "(the project lists no secrets for this machine account: it needs read access to the project, "
               "and the key must equal the provider's `secret`)"
             : "(the key must equal the provider's `secret`, and the machine account needs read access to the "
               "project)";
}

}  // namespace

BitwardenSource::BitwardenSource(const Environment* env, BitwardenOptions options)
    : env_(env), options_(std::move(options)) {}

std::string BitwardenSource::KeyOf(const spec::Spec& spec, const std::string& token) const {
  const auto& b = spec.credentials.bitwarden;
  const nlohmann::json j = {{"project", b.project_id},
                            {"server", b.server_url},
                            {"api", b.api_url},
                            {"identity", b.identity_url},
                            {"token_env", b.access_token_env},
                            {"refresh", b.refresh_interval.count()},
                            {"retry", b.retry_interval.count()},
                            {"names", SortedNames(spec)},
                            {"token", Sha256Hex(token)}};
  return Sha256Hex(j.dump());
}

std::optional<std::chrono::nanoseconds> BitwardenSource::TimeUntilNext() const {
  if (!schedule_) return std::nullopt;
  return schedule_->TimeUntilNext();
}

void BitwardenSource::Rekey(const spec::Spec& spec, const std::string& key, const std::string& token) {
  const auto& b = spec.credentials.bitwarden;
  const std::string source_id = Sha256Hex(b.project_id + "|" + b.server_url + "|" + b.api_url + "|" + b.identity_url);
  if (source_id != source_id_) {
    // Another project or server: the old values are not "last good" for this one.
    last_good_.clear();
    last_missing_.clear();
    last_warnings_.clear();
    last_fetched_at_.clear();
  }
  source_id_ = source_id;
  key_ = key;
  last_failure_.reset();
  bw::RefreshPolicy policy;
  policy.refresh_interval = b.refresh_interval;
  policy.retry_interval = b.retry_interval;
  policy.jitter = options_.jitter;
  schedule_ = std::make_unique<bw::RefreshSchedule>(clock_, policy, options_.random);
  client_.reset();
  auto endpoints = bw::ResolveEndpoints(SettingsOf(b));
  if (!endpoints) {
    schedule_->OnFailure(endpoints.error());
    last_failure_ = endpoints.error().message;
    return;
  }
  bw::ClientConfig config;
  config.access_token = token;
  config.endpoints = *endpoints;
  config.timeout = options_.timeout;
  config.cache = &cache_;
  client_ = std::make_unique<bw::Client>(http_, clock_, std::move(config));
}

BitwardenObservation BitwardenSource::Observe(const spec::Spec& spec, const ReadDeps& deps, bool dry_run) const {
  clock_.Set(&deps.clock);
  const auto& b = spec.credentials.bitwarden;
  BitwardenObservation o;
  const auto own = env_->All();
  std::string token;
  if (auto it = own.find(b.access_token_env); it != own.end()) token = it->second;
  if (token.empty()) {
    o.token_error = Error::Terminal("$" + b.access_token_env +
                                    " (credentials.bitwarden.accessTokenEnv) is not set or empty in ironward's "
                                    "environment; it must hold the machine account's access token");
  } else if (auto parsed = bw::ParseAccessToken(token); !parsed) {
    o.token_error = parsed.error().Wrap("$" + b.access_token_env);
  }
  o.key = KeyOf(spec, token);

  if (auto text = deps.state.Read(kSecretRecordFile); !text) {
    o.record_problem = text.error().message;
  } else if (text->has_value()) {
    if (auto rec = ParseSecretRecord(**text); rec) o.record = std::move(*rec);
    else o.record_problem = rec.error().message;
  }
  o.file_delivery = FileDelivery(spec);
  if (o.file_delivery) {
    if (auto files = DeliveredFileDigests(deps.state); files) o.file_digests = std::move(*files);
  }

  bool complete = true;
  for (const auto& name : SortedNames(spec)) {
    if (auto it = last_good_.find(name); it != last_good_.end()) o.values[name] = it->second;
    else if (auto m = last_missing_.find(name); m != last_missing_.end()) o.missing[name] = m->second;
    else complete = false;
  }
  o.last_fetched_at = last_fetched_at_;
  o.value_warnings = last_warnings_;
  const bool same_key = schedule_ && o.key == key_;
  if (same_key) o.last_failure = last_failure_;
  if (o.token_error) return o;
  if (!same_key) {
    if (dry_run && key_.empty() && RecordFresh(o.record, spec, deps.clock.Now(), &o.next_attempt_in)) {
      o.from_record = true;
      return o;
    }
    o.due = true;
    o.due_reason = key_.empty()
                       ? "no values in memory: fetch from Bitwarden at apply (one list + one get-by-ids)"
                       : "credentials.bitwarden, the providers' secrets or the access token changed: fetch again";
    return o;
  }
  if (schedule_->stopped()) {
    o.stopped = schedule_->stop_reason();
    return o;
  }
  if (schedule_->Due()) {
    o.due = true;
    o.due_reason = schedule_->consecutive_failures() > 0
                       ? "retry after " + std::to_string(schedule_->consecutive_failures()) + " failed fetch(es)"
                       : "refresh due (refreshInterval " + spec::FormatDuration(b.refresh_interval) + " elapsed)";
    return o;
  }
  if (!complete) {
    // Only after a failed fetch (a success always fills every wanted name).
    if (auto left = schedule_->TimeUntilNext()) o.next_attempt_in = Seconds(*left);
    return o;
  }
  if (auto left = schedule_->TimeUntilNext()) o.next_attempt_in = Seconds(*left);
  return o;
}

RefreshResult BitwardenSource::Refresh(const spec::Spec& spec, WriteDeps& deps) {
  clock_.Set(&deps.clock);
  http_.Set(deps.http);
  cache_.Attach(&deps.state, &deps.state);
  struct Detach {
    bw::StateLoginCacheStore& c;
    ~Detach() { c.Detach(); }
  } detach{cache_};

  const auto& b = spec.credentials.bitwarden;
  const auto own = env_->All();
  std::string token;
  if (auto it = own.find(b.access_token_env); it != own.end()) token = it->second;
  const std::string key = KeyOf(spec, token);
  if (key != key_ || !schedule_) Rekey(spec, key, token);

  RefreshResult r;
  const std::vector<std::string> wanted = SortedNames(spec);
  auto fill_last_good = [&] {
    for (const auto& name : wanted) {
      if (auto it = last_good_.find(name); it != last_good_.end()) r.values[name] = it->second;
      else if (auto m = last_missing_.find(name); m != last_missing_.end()) r.missing[name] = m->second;
    }
    r.fetched_at = last_fetched_at_;
  };
  auto fail = [&](const Error& e, std::optional<std::chrono::seconds> retry_after) {
    schedule_->OnFailure(e, retry_after);
    last_failure_ = e.message;
    r.error = e;
    fill_last_good();
    spdlog::warn("bitwarden: fetch of project {} failed ({}): {}", b.project_id,
                 e.terminal() ? "terminal, not retrying until the settings or the token change" : "will retry",
                 e.message);
    return r;
  };

  if (schedule_->stopped()) return fail(Error::Terminal(schedule_->stop_reason()), std::nullopt);
  if (!schedule_->Due()) {  // a second apply right after the first: nothing to fetch
    fill_last_good();
    return r;
  }
  if (token.empty()) {
    return fail(Error::Terminal("$" + b.access_token_env + " is not set or empty in ironward's environment"),
                std::nullopt);
  }
  if (auto parsed = bw::ParseAccessToken(token); !parsed) {
    return fail(parsed.error().Wrap("$" + b.access_token_env), std::nullopt);
  }
  if (!client_) return fail(Error::Invalid(last_failure_.value_or("Bitwarden endpoints are invalid")), std::nullopt);

  auto secrets = client_->FetchProject(b.project_id);
  if (!secrets) return fail(secrets.error(), client_->last_retry_after());

  std::map<std::string, std::string> values;
  std::map<std::string, int> seen;
  for (const auto& s : *secrets) {
    if (std::find(wanted.begin(), wanted.end(), s.key) == wanted.end()) continue;
    ++seen[s.key];
    values[s.key] = s.value;
  }
  std::string missing;
  std::map<std::string, std::string> soft_missing;  // secretEnv and optional providers: not a failure
  std::vector<std::string> warnings;
  bool not_found = false;
  const std::vector<std::string> providers = spec::ProviderSecretNames(spec);
  const std::vector<std::string> required = spec::RequiredProviderSecretNames(spec);
  for (const auto& name : wanted) {
    std::string problem;
    const bool provider = std::find(providers.begin(), providers.end(), name) != providers.end();
    const bool optional = provider && std::find(required.begin(), required.end(), name) == required.end();
    if (seen[name] == 0) problem = "not found";
    else if (seen[name] > 1) problem = "found " + std::to_string(seen[name]) + " times (keys must be unique)";
    else if (values[name].empty()) problem = "empty";
    else if (provider) {
      CheckedValue checked = CheckProviderValue(name, "in Bitwarden project " + b.project_id, values[name]);
      if (!checked.problem.empty()) {
        missing += (missing.empty() ? "" : "; ") + checked.problem;
        continue;
      }
      if (!checked.warning.empty()) {
        spdlog::warn("bitwarden: {}", checked.warning);
        warnings.push_back(checked.warning);
      }
      values[name] = std::move(checked.value);
    }
    if (problem.empty()) continue;
    if (!provider || (optional && (seen[name] == 0 || problem == "empty"))) {
      // A secretEnv secret: only the sandboxes that name it wait for it. An optional provider's
      // key: only that provider is left out (SecretFacts::skipped_providers).
      soft_missing[name] = problem + " in Bitwarden project " + b.project_id +
                              (seen[name] == 0 ? std::string(" ") + NotFoundHint(secrets->empty()) : "");
      values.erase(name);
      continue;
    }
    not_found = not_found || seen[name] == 0;
    missing += (missing.empty() ? "" : "; ") + std::string("secret '") + name + "' " + problem;
  }
  if (!missing.empty()) {
    // Fixable in Bitwarden without touching the desired state: retry on the back-off schedule.
    if (missing.find(" in Bitwarden project ") == std::string::npos) missing += " in Bitwarden project " + b.project_id;
    if (not_found) missing += std::string(" ") + NotFoundHint(secrets->empty());
    return fail(Error::Transient(missing), std::nullopt);
  }

  const std::string now = FormatRfc3339(deps.clock.Now());
  std::optional<SecretRecord> previous;
  if (auto text = deps.state.Read(kSecretRecordFile); text.ok() && text->has_value()) {
    if (auto rec = ParseSecretRecord(**text); rec && rec->project_id == b.project_id) previous = std::move(*rec);
  }
  std::map<std::string, std::string> digests;
  for (const auto& [name, value] : values) {
    digests[name] = Sha256Hex(value);
    std::string before;
    if (auto it = last_good_.find(name); it != last_good_.end()) before = Sha256Hex(it->second);
    else if (previous) {
      if (auto pit = previous->secrets.find(name); pit != previous->secrets.end()) before = pit->second.sha256;
    }
    if (!before.empty() && before != digests[name]) {
      r.rotated.push_back(name + " sha256:" + ShortDigest(before) + " -> sha256:" + ShortDigest(digests[name]));
    }
  }
  const SecretRecord next = NextRecord(previous ? &*previous : nullptr, b.project_id, digests, now);
  if (Status s = deps.state.WriteAtomic(kSecretRecordFile, SerializeSecretRecord(next), 0600); !s) {
    spdlog::warn("secrets: cannot write {}: {}", kSecretRecordFile, s.error().message);
  }
  last_good_ = values;
  last_missing_ = soft_missing;
  last_warnings_ = warnings;
  last_fetched_at_ = now;
  last_failure_.reset();
  schedule_->OnSuccess();
  r.values = std::move(values);
  r.missing = std::move(soft_missing);
  r.fetched_at = now;
  spdlog::info("bitwarden: fetched {} secret(s) of project {}{}", r.values.size(), b.project_id,
               r.rotated.empty() ? "" : " (" + std::to_string(r.rotated.size()) + " rotated)");
  return r;
}

}  // namespace ironward::secrets
