#include "reconcilers/bitwarden/client.h"

#include <spdlog/spdlog.h>

#include "reconcilers/bitwarden/enc_string.h"

namespace ironward::bw {
namespace {

Result<SymmetricKey> KeyOf(const Result<AccessToken>& token) {
  if (!token) return token.error();
  return DeriveAccessTokenKey(token->encryption_key);
}

bool Is2xx(long status) { return status >= 200 && status <= 299; }

}  // namespace

Client::Client(HttpClient& http, const Clock& clock, ClientConfig config)
    : http_(http),
      clock_(clock),
      config_(std::move(config)),
      token_(ParseAccessToken(config_.access_token)),
      token_key_(KeyOf(token_)) {
  config_.access_token.assign(config_.access_token.size(), '\0');  // keep one parsed copy only
  config_.access_token.clear();
}

Status Client::Login(bool allow_cache) {
  const SystemTime now = clock_.Now();
  if (allow_cache && config_.cache != nullptr && !skip_cache_once_) {
    auto text = config_.cache->Load();
    if (text && text->has_value() && !(*text)->empty()) {
      auto cached = DecodeLoginCache(**text, *token_key_, now);
      if (cached && cached->expires_at - kRenewMargin > now) {
        spdlog::debug("bitwarden: reusing cached login for organization {} (bearer valid until {})",
                      cached->organization_id, FormatRfc3339(cached->expires_at));
        session_ = std::move(*cached);
        return Status::Ok();
      }
      spdlog::debug("bitwarden: ignoring login cache: {}",
                    cached ? std::string("bearer expires within the renewal margin") : cached.error().message);
    } else if (!text) {
      spdlog::warn("bitwarden: cannot read login cache: {}", text.error().message);
    }
  }
  skip_cache_once_ = false;

  HttpRequest req = BuildLoginRequest(config_.endpoints, *token_, config_.user_agent);
  req.timeout = config_.timeout;
  req.ca_file = config_.ca_file;
  ++identity_requests_;
  auto resp = http_.Send(req);
  if (!resp) return Error::Transient("identity login: " + resp.error().message);
  if (resp->status == 429) last_retry_after_ = RetryAfter(*resp);
  auto session = ParseLoginResponse(*resp, *token_key_, clock_.Now());
  if (!session) return session.error();
  session_ = std::move(*session);
  spdlog::info("bitwarden: logged in to organization {} via {} ({}), bearer valid until {}", session_->organization_id,
               config_.endpoints.identity_url, DeploymentName(config_.endpoints.deployment),
               FormatRfc3339(session_->expires_at));
  if (config_.cache != nullptr) {
    if (Status s = config_.cache->Store(EncodeLoginCache(*session_, *token_key_)); !s) {
      spdlog::warn("bitwarden: cannot write login cache: {}", s.error().message);
    }
  }
  return Status::Ok();
}

Status Client::EnsureSession() {
  if (!token_) return token_.error();
  if (!token_key_) return token_key_.error();
  if (!session_) return Login(/*allow_cache=*/true);
  if (session_->expires_at - kRenewMargin > clock_.Now()) return Status::Ok();
  spdlog::debug("bitwarden: bearer expires at {}; logging in again", FormatRfc3339(session_->expires_at));
  return Login(/*allow_cache=*/false);
}

template <class MakeRequest>
Result<HttpResponse> Client::Authorized(MakeRequest make, const std::string& what, bool* relogged, long* status) {
  if (Status s = EnsureSession(); !s) return s.error();
  while (true) {
    HttpRequest req = make(session_->bearer);
    req.timeout = config_.timeout;
    req.ca_file = config_.ca_file;
    auto resp = http_.Send(req);
    if (!resp) return Error::Transient(what + ": " + resp.error().message);
    if (status != nullptr) *status = resp->status;
    if (resp->status == 401 && !*relogged) {
      *relogged = true;
      spdlog::info("bitwarden: {}: HTTP 401; logging in again", what);
      session_.reset();
      if (Status s = Login(/*allow_cache=*/false); !s) return s.error();
      continue;
    }
    if (resp->status == 401) {
      return Error::Terminal(what + ": HTTP 401 even after a fresh login (the machine account was revoked or "
                                    "lacks access)");
    }
    if (resp->status == 429) last_retry_after_ = RetryAfter(*resp);
    if (!Is2xx(resp->status)) return HttpStatusError(*resp, what);
    return resp;
  }
}

Result<std::vector<std::string>> Client::ListIds(const std::string& pid, bool* relogged) {
  auto list = Authorized(
      [&](const std::string& bearer) { return BuildListRequest(config_.endpoints, bearer, pid, config_.user_agent); },
      "list secrets", relogged);
  if (!list) return list.error();
  return ParseSecretIds(list->body);
}

Result<HttpResponse> Client::GetByIds(const std::vector<std::string>& ids, bool* relogged, long* status) {
  return Authorized(
      [&](const std::string& bearer) {
        return BuildGetByIdsRequest(config_.endpoints, bearer, ids, config_.user_agent);
      },
      "get " + std::to_string(ids.size()) + " secrets", relogged, status);
}

Result<std::vector<Secret>> Client::FetchProject(std::string_view project_id) {
  last_retry_after_.reset();
  if (!IsUuid(project_id)) {
    return Error::Invalid("bitwarden projectId must be a UUID, got \"" + std::string(project_id) + "\"");
  }
  const std::string pid = LowercaseUuid(project_id);
  const std::string context = "bitwarden project " + pid;
  bool relogged = false;

  auto ids = ListIds(pid, &relogged);
  if (!ids) return ids.error().Wrap(context);
  if (ids->empty()) {
    spdlog::debug("bitwarden: project {} has no secrets", pid);
    return std::vector<Secret>{};
  }

  long status = 0;
  auto got = GetByIds(*ids, &relogged, &status);
  if (!got && status == 404) {
    // The server answers 404 when any requested id no longer exists: a secret was deleted
    // between the list and the get. List once more and ask for the ids that exist now.
    spdlog::info("bitwarden: project {}: get-by-ids answered HTTP 404 (a secret was deleted after the list); "
                 "listing the project again",
                 pid);
    ids = ListIds(pid, &relogged);
    if (!ids) return ids.error().Wrap(context);
    if (ids->empty()) return std::vector<Secret>{};
    status = 0;
    got = GetByIds(*ids, &relogged, &status);
    if (!got && status == 404) {
      return Error::Transient(context + ": a secret was deleted while being fetched (get-by-ids answered HTTP 404 "
                                        "again after a fresh list); retrying later");
    }
  }
  if (!got) return got.error().Wrap(context);
  auto secrets = ParseSecrets(got->body, session_->org_key);
  if (!secrets) {
    if (IsMacMismatch(secrets.error())) {
      // Integrity failure: data or key changed under us. Log in afresh next time (a rotated org
      // key would otherwise stay cached); the caller retries with back-off.
      session_.reset();
      skip_cache_once_ = true;
    }
    return secrets.error().Wrap(context);
  }
  std::string keys;
  for (const auto& s : *secrets) keys += (keys.empty() ? "" : ", ") + s.key;
  spdlog::debug("bitwarden: project {}: {} secrets ({})", pid, secrets->size(), keys);
  return secrets;
}

}  // namespace ironward::bw
