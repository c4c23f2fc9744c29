// The `bitwarden` credential source: the Secrets Manager client (reconcilers/bitwarden/) behind
// the secrets reconciler. One object lives as long as the reconciler: in `ironward run` that is
// the whole daemon, so the last good values, the refresh schedule and the login session stay in
// memory between reconciles; a one-shot command starts from the 0600 login cache
// (bitwarden-login.json) and the digest record (secrets.json).
//
//  * Observe never touches the network (a dry run never fetches): it says whether a refresh is
//    due, from memory (schedule, key) and secrets.json.
//  * Refresh (apply only) makes one list + one get-by-ids, updates the schedule (refreshInterval
//    with jitter; retry back-off; Retry-After), and keeps the last good values on failure.
//  * A terminal failure (401/403, a project that does not exist, bad token, invalid endpoints)
//    stops fetching until the key
//    (desired Bitwarden settings + provider names + the access token's digest) changes.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "reconcilers/bitwarden/client.h"
#include "reconcilers/bitwarden/refresh_schedule.h"
#include "reconcilers/bitwarden/state_login_cache.h"
#include "reconcilers/reconciler.h"
#include "reconcilers/secrets/env_source.h"
#include "reconcilers/secrets/secret_record.h"

namespace ironward::secrets {

struct BitwardenOptions {
  std::chrono::milliseconds timeout{30000};  ///< per HTTP request
  double jitter = 0.10;                      ///< of refreshInterval, both ways
  bw::RefreshSchedule::Random random;        ///< tests pin the jitter; default seeded
};

/// What Observe saw; values are copies of the in-memory last good ones (sensitive).
struct BitwardenObservation {
  std::string key;                      ///< digest of settings + names + token digest
  std::optional<Error> token_error;     ///< token variable unset/empty/malformed (terminal)
  std::optional<SecretRecord> record;   ///< secrets.json
  std::string record_problem;
  bool file_delivery = false;
  std::map<std::string, std::string> file_digests;  ///< <state>/secrets/* (file delivery)
  bool due = false;                     ///< a fetch is needed now
  /// Dry run in a process with nothing in memory, and secrets.json is younger than
  /// refreshInterval and covers every wanted name: the plan uses its digests (no change).
  bool from_record = false;
  std::string due_reason;
  std::optional<std::string> stopped;   ///< terminal stop of this key (no fetching)
  std::optional<std::string> last_failure;  ///< why the last fetch failed (cleared by a success)
  std::optional<std::string> next_attempt_in;  ///< "42s" while backing off / waiting
  std::map<std::string, std::string> values;   ///< last good values of the wanted names
  /// secretEnv names and optional providers' keys the last good fetch did not get, with the
  /// reason (a missing one fails only the sandboxes that name it or leaves that provider out,
  /// never the fetch).
  std::map<std::string, std::string> missing;
  std::vector<std::string> value_warnings;  ///< provider keys of the last good fetch trimmed of CR/LF
  std::string last_fetched_at;
};

struct RefreshResult {
  std::optional<Error> error;           ///< the fetch failed (values = last good, if any)
  std::map<std::string, std::string> values;  ///< wanted name -> value (sensitive)
  std::vector<std::string> rotated;     ///< names whose digest moved ("OPENROUTER_API_KEY sha256:a -> sha256:b")
  std::map<std::string, std::string> missing;  ///< as BitwardenObservation::missing
  std::string fetched_at;
};

class BitwardenSource {
 public:
  BitwardenSource(const Environment* env, BitwardenOptions options);

  /// `dry_run`: a fresh process may rely on a recent secrets.json instead of planning a fetch
  /// (apply never does: it needs the values themselves).
  BitwardenObservation Observe(const spec::Spec& spec, const ReadDeps& deps, bool dry_run) const;
  /// Fetches now (apply only) and updates the schedule and memory; writes the login cache and
  /// secrets.json. Never returns a value in an error.
  RefreshResult Refresh(const spec::Spec& spec, WriteDeps& deps);
  /// Last good values of the wanted names (memory only).
  const std::map<std::string, std::string>& last_good() const { return last_good_; }
  /// Warnings about the last good values (provider keys trimmed of a trailing CR/LF).
  const std::vector<std::string>& last_warnings() const { return last_warnings_; }
  /// Time until the next scheduled fetch (nullopt: stopped or never scheduled).
  std::optional<std::chrono::nanoseconds> TimeUntilNext() const;

 private:
  /// Forwards to the clock of the current call, so the schedule and the client can keep a
  /// stable reference across reconciles whose deps are different objects.
  class ClockRelay final : public Clock {
   public:
    SystemTime Now() const override { return target_ != nullptr ? target_->Now() : std::chrono::system_clock::now(); }
    SteadyTime Monotonic() const override {
      return target_ != nullptr ? target_->Monotonic() : std::chrono::steady_clock::now();
    }
    void Set(const Clock* c) { target_ = c; }

   private:
    const Clock* target_ = nullptr;
  };
  class HttpRelay final : public HttpClient {
   public:
    Result<HttpResponse> Send(const HttpRequest& request) override {
      if (target_ == nullptr) return Error::Transient("no HTTP client in this command");
      return target_->Send(request);
    }
    void Set(HttpClient* h) { target_ = h; }

   private:
    HttpClient* target_ = nullptr;
  };

  std::string KeyOf(const spec::Spec& spec, const std::string& token) const;
  /// Rebuilds schedule and client when the key moved (a desired-state or token change).
  void Rekey(const spec::Spec& spec, const std::string& key, const std::string& token);

  const Environment* env_;
  BitwardenOptions options_;
  mutable ClockRelay clock_;
  HttpRelay http_;
  bw::StateLoginCacheStore cache_;
  std::string key_;
  std::string source_id_;  ///< project + endpoints: last good values survive only a token change
  std::unique_ptr<bw::RefreshSchedule> schedule_;
  std::unique_ptr<bw::Client> client_;
  std::map<std::string, std::string> last_good_;
  std::map<std::string, std::string> last_missing_;  ///< secretEnv names and optional providers' keys the last good fetch lacked
  std::vector<std::string> last_warnings_;          ///< provider keys of the last good fetch trimmed
  std::string last_fetched_at_;
  std::optional<std::string> last_failure_;
};

}  // namespace ironward::secrets
