#include "reconcilers/bitwarden/jwt.h"

#include <nlohmann/json.hpp>

#include "reconcilers/bitwarden/access_token.h"
#include "state/encoding.h"

namespace ironward::bw {

Result<JwtClaims> ParseJwt(std::string_view token) {
  const auto first = token.find('.');
  const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return Error::Transient("access token JWT does not have 3 parts");
  }
  auto payload = Base64UrlDecode(token.substr(first + 1, second - first - 1));
  if (!payload) return Error::Transient("access token JWT payload is not base64url");
  try {
    const auto j = nlohmann::json::parse(ToString(*payload));
    JwtClaims claims;
    if (!j.contains("exp") || !j["exp"].is_number_integer()) {
      return Error::Transient("The response received was missing a required field: access_token_obj.exp");
    }
    claims.exp = j["exp"].get<std::int64_t>();
    if (!j.contains("sub") || !j["sub"].is_string()) {
      return Error::Transient("The response received was missing a required field: access_token_obj.sub");
    }
    claims.sub = j["sub"].get<std::string>();
    if (!j.contains("scope") || !j["scope"].is_array()) {
      return Error::Transient("The response received was missing a required field: access_token_obj.scope");
    }
    for (const auto& s : j["scope"]) {
      if (!s.is_string()) return Error::Transient("access token JWT scope is not an array of strings");
      claims.scope.push_back(s.get<std::string>());
    }
    if (j.contains("organization") && !j["organization"].is_null()) {
      if (!j["organization"].is_string() || !IsUuid(j["organization"].get<std::string>())) {
        return Error::Transient("The response received was invalid and could not be processed");
      }
      claims.organization = LowercaseUuid(j["organization"].get<std::string>());
    }
    return claims;
  } catch (const nlohmann::json::exception&) {
    return Error::Transient("access token JWT payload is not JSON");
  }
}

}  // namespace ironward::bw
