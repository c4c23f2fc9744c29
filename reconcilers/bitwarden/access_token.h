// Machine-account access token: "0.<client-id>.<client-secret>:<base64 16-byte key>".
#pragma once

#include <string>
#include <string_view>

#include "state/encoding.h"
#include "state/result.h"

namespace ironward::bw {

struct AccessToken {
  std::string access_token_id;  ///< OAuth client_id, lowercase hyphenated UUID
  std::string client_secret;    ///< OAuth client_secret (sensitive)
  Bytes encryption_key;         ///< 16 bytes (sensitive); input of DeriveAccessTokenKey
};

/// Parses a token with the SDK's rules and error texts ("Access token is not in a valid format:
/// ..."). Errors are kTerminal and never contain the token or any part of it.
Result<AccessToken> ParseAccessToken(std::string_view text);

/// True for a canonical or mixed-case hyphenated UUID (8-4-4-4-12 hex).
bool IsUuid(std::string_view text);
/// Lowercase copy of a UUID (the form used in URLs and the login form).
std::string LowercaseUuid(std::string_view text);

}  // namespace ironward::bw
