#include "reconcilers/bitwarden/identity.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "reconcilers/bitwarden/api.h"
#include "reconcilers/bitwarden/enc_string.h"
#include "reconcilers/bitwarden/jwt.h"

namespace ironward::bw {

std::string LoginForm(const AccessToken& token) {
  return "scope=api.secrets&client_id=" + UrlEncode(token.access_token_id) +
         "&client_secret=" + UrlEncode(token.client_secret) + "&grant_type=client_credentials";
}

HttpRequest BuildLoginRequest(const Endpoints& endpoints, const AccessToken& token, const std::string& user_agent) {
  HttpRequest req;
  req.method = "POST";
  req.url = endpoints.identity_url + "/connect/token";
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
                 {"Accept", "application/json"},
                 {"Device-Type", kDeviceTypeSdk},
                 {"User-Agent", user_agent}};
  req.body = LoginForm(token);
  req.follow_redirects = false;  // never replay the client secret to another host
  req.use_env_proxy = true;       // ironward's HTTPS_PROXY, if any (docs/bitwarden.md)
  return req;
}

Result<LoginSession> ParseLoginResponse(const HttpResponse& response, const SymmetricKey& token_key, SystemTime now) {
  if (response.status < 200 || response.status > 299) {
    Error e = HttpStatusError(response, "identity login");
    if (response.status == 400 || response.status == 401) {
      e.kind = ErrorKind::kTerminal;
      e.message += " (the access token is wrong, revoked or expired)";
    }
    return e;
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(response.body);
  } catch (const nlohmann::json::exception&) {
    return Error::Transient("identity login: response is not JSON");
  }
  if (!j.is_object()) return Error::Transient("identity login: response is not a JSON object");
  for (const char* field : {"access_token", "token_type", "scope", "encrypted_payload"}) {
    if (!j.contains(field) || !j[field].is_string()) {
      return Error::Transient(std::string("identity login: response is missing the string field '") + field + "'");
    }
  }
  if (!j.contains("expires_in") || !j["expires_in"].is_number_unsigned()) {
    return Error::Transient("identity login: response is missing the unsigned field 'expires_in'");
  }

  auto payload = DecryptText(j["encrypted_payload"].get<std::string>(), token_key);
  if (!payload) {
    Error e = payload.error().Wrap("identity login: encrypted_payload");
    if (IsMacMismatch(payload.error())) {
      e.kind = ErrorKind::kTerminal;
      e.message += " (the access token's encryption key does not belong to this machine account)";
    }
    return e;
  }
  LoginSession session;
  try {
    const auto p = nlohmann::json::parse(*payload);
    if (!p.is_object() || !p.contains("encryptionKey") || !p["encryptionKey"].is_string()) {
      return Error::Transient("identity login: encrypted_payload has no encryptionKey");
    }
    auto key = SymmetricKey::FromBase64(p["encryptionKey"].get<std::string>());
    if (!key) return key.error().Wrap("identity login: organization key");
    session.org_key = std::move(*key);
  } catch (const nlohmann::json::exception&) {
    return Error::Transient("identity login: encrypted_payload is not JSON");
  }

  session.bearer = j["access_token"].get<std::string>();
  auto claims = ParseJwt(session.bearer);
  if (!claims) return claims.error().Wrap("identity login");
  if (!claims->organization) {
    return Error::Terminal("identity login: Access token isn't associated to an organization.");
  }
  session.organization_id = *claims->organization;
  // Clamped to a year: a hostile or broken server's huge value must not overflow the time point.
  constexpr std::uint64_t kMaxExpiresIn = 365ULL * 24 * 3600;
  const std::uint64_t expires_in = std::min(j["expires_in"].get<std::uint64_t>(), kMaxExpiresIn);
  session.expires_at = now + std::chrono::seconds(static_cast<std::int64_t>(expires_in));
  return session;
}

}  // namespace ironward::bw
