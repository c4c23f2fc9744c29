#include "reconcilers/bitwarden/login_cache.h"

#include <nlohmann/json.hpp>

#include "reconcilers/bitwarden/enc_string.h"
#include "reconcilers/bitwarden/jwt.h"

namespace ironward::bw {

std::string EncodeLoginCache(const LoginSession& session, const SymmetricKey& token_key) {
  const nlohmann::json j = {{"version", 1}, {"token", session.bearer}, {"encryption_key", session.org_key.ToBase64()}};
  return Encrypt(j.dump(), token_key).ToString();
}

Result<LoginSession> DecodeLoginCache(std::string_view text, const SymmetricKey& token_key, SystemTime now) {
  // Trailing whitespace (an editor's newline) is tolerated.
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
  auto plain = DecryptText(text, token_key);
  if (!plain) return plain.error().Wrap("login cache");
  LoginSession session;
  try {
    const auto j = nlohmann::json::parse(*plain);
    if (!j.is_object() || !j.contains("version") || j["version"] != 1) {
      return Error::Transient("login cache: unsupported version");
    }
    if (!j.contains("token") || !j["token"].is_string() || !j.contains("encryption_key") ||
        !j["encryption_key"].is_string()) {
      return Error::Transient("login cache: missing token or encryption_key");
    }
    session.bearer = j["token"].get<std::string>();
    auto key = SymmetricKey::FromBase64(j["encryption_key"].get<std::string>());
    if (!key) return key.error().Wrap("login cache");
    session.org_key = std::move(*key);
  } catch (const nlohmann::json::exception&) {
    return Error::Transient("login cache: not JSON");
  }
  auto claims = ParseJwt(session.bearer);
  if (!claims) return claims.error().Wrap("login cache");
  if (!claims->organization) return Error::Transient("login cache: token has no organization");
  session.organization_id = *claims->organization;
  session.expires_at = SystemTime(std::chrono::seconds(claims->exp));
  if (session.expires_at <= now) return Error::Transient("login cache: token expired");
  return session;
}

}  // namespace ironward::bw
