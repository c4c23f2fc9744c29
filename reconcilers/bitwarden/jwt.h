// The bearer JWT's claims. As in the SDK, the signature is not checked: the token is only ever
// sent back to the server that issued it; we read `exp` and `organization` to schedule renewal
// and to know the organization.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "state/result.h"

namespace ironward::bw {

struct JwtClaims {
  std::int64_t exp = 0;  ///< seconds since the epoch
  std::string sub;
  std::vector<std::string> scope;
  std::optional<std::string> organization;  ///< lowercase UUID when present and valid
};

/// Splits into exactly 3 parts, base64url-decodes the middle one and reads the claims.
/// Required: exp (integer), sub (string), scope (array of strings). `organization` must be a UUID
/// when present. Errors (kTransient) never contain the token.
Result<JwtClaims> ParseJwt(std::string_view token);

}  // namespace ironward::bw
