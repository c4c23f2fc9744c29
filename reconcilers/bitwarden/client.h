// Bitwarden Secrets Manager client: login (cached), list a project, fetch its secrets.
//
//   bw::Client client(http, clock, {.access_token = token, .endpoints = *bw::ResolveEndpoints(settings)});
//   auto secrets = client.FetchProject(project_id);     // one list + one get-by-ids (see below)
//   if (!secrets) schedule.OnFailure(secrets.error(), client.last_retry_after());
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reconcilers/bitwarden/access_token.h"
#include "reconcilers/bitwarden/api.h"
#include "reconcilers/bitwarden/crypto.h"
#include "reconcilers/bitwarden/endpoints.h"
#include "reconcilers/bitwarden/identity.h"
#include "reconcilers/bitwarden/login_cache.h"
#include "reconcilers/io/clock.h"
#include "reconcilers/io/http_client.h"
#include "state/result.h"

namespace ironward::bw {

/// Renew the bearer when less than this remains (the SDK's rule).
inline constexpr std::chrono::seconds kRenewMargin{300};

struct ClientConfig {
  std::string access_token;  ///< "0.<id>.<secret>:<key>" (sensitive)
  Endpoints endpoints;
  std::string user_agent = std::string("ironward/") + IRONWARD_VERSION;
  std::chrono::milliseconds timeout{30000};  ///< per HTTP request
  std::string ca_file;                        ///< extra CA bundle (tests); empty = system store
  LoginCacheStore* cache = nullptr;           ///< optional; not owned
};

class Client {
 public:
  /// Never fails: a malformed token is reported (kTerminal) by every FetchProject call.
  Client(HttpClient& http, const Clock& clock, ClientConfig config);

  /// All secrets of a project, decrypted: GET /projects/{id}/secrets, then ONE POST
  /// /secrets/get-by-ids for every id (skipped when the project is empty). Logs in first when
  /// there is no session (cache, then identity), renews within kRenewMargin of expiry, and logs
  /// in again once after a 401. A 404 from get-by-ids (a secret deleted between the list and the
  /// get) lists the project once more and retries with the fresh ids. Errors name ids and keys,
  /// never values. Classification:
  ///   kTerminal  bad token, identity 400/401, 401 after a fresh login, 403, 404 from the list
  ///              (no such project), other 4xx;
  ///   kTransient 429 (see last_retry_after), 408, 5xx, timeouts, transport, bad JSON, bad MAC,
  ///              get-by-ids 404 again after a fresh list;
  ///   kInvalidSpec project id not a UUID.
  Result<std::vector<Secret>> FetchProject(std::string_view project_id);

  /// Retry-After of the last call's 429, if it ended with one.
  std::optional<std::chrono::seconds> last_retry_after() const { return last_retry_after_; }
  /// Organization of the current session ("" before the first login).
  const std::string& organization_id() const { return session_ ? session_->organization_id : kEmpty; }
  /// Identity requests this client has made (tests, metrics).
  int identity_requests() const { return identity_requests_; }
  /// Drops the in-memory session (the cache is kept).
  void Logout() { session_.reset(); }

 private:
  static inline const std::string kEmpty;

  Status EnsureSession();
  Status Login(bool allow_cache);
  /// Sends an authorized API request built by `make`; handles renewal, 401 re-login and status
  /// classification. `what` names the call in errors; `status` (optional) gets the last HTTP status.
  template <class MakeRequest>
  Result<HttpResponse> Authorized(MakeRequest make, const std::string& what, bool* relogged,
                                  long* status = nullptr);
  /// The project's secret ids (GET /projects/{id}/secrets).
  Result<std::vector<std::string>> ListIds(const std::string& pid, bool* relogged);
  /// POST /secrets/get-by-ids; `status` gets the HTTP status (404: an id no longer exists).
  Result<HttpResponse> GetByIds(const std::vector<std::string>& ids, bool* relogged, long* status);

  HttpClient& http_;
  const Clock& clock_;
  ClientConfig config_;
  Result<AccessToken> token_;
  Result<SymmetricKey> token_key_;
  std::optional<LoginSession> session_;
  std::optional<std::chrono::seconds> last_retry_after_;
  bool skip_cache_once_ = false;
  int identity_requests_ = 0;
};

}  // namespace ironward::bw
