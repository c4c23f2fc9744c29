// Identity login (OAuth2 client_credentials, scope api.secrets) and its response.
#pragma once

#include <string>

#include "reconcilers/bitwarden/access_token.h"
#include "reconcilers/bitwarden/crypto.h"
#include "reconcilers/bitwarden/endpoints.h"
#include "reconcilers/io/clock.h"
#include "reconcilers/io/http_client.h"
#include "state/result.h"

namespace ironward::bw {

/// Device-Type header value of the SDK ("SDK" = 21).
inline constexpr const char* kDeviceTypeSdk = "21";

/// What a login gives: the bearer for the API, when it expires, the organization and its key.
struct LoginSession {
  std::string bearer;  ///< JWT (sensitive)
  SystemTime expires_at{};
  std::string organization_id;  ///< lowercase UUID from the JWT `organization` claim
  SymmetricKey org_key;         ///< 64-byte organization key (sensitive)
};

/// "scope=api.secrets&client_id=<uuid>&client_secret=<secret>&grant_type=client_credentials".
std::string LoginForm(const AccessToken& token);

/// POST {identity}/connect/token with the SDK's headers.
HttpRequest BuildLoginRequest(const Endpoints& endpoints, const AccessToken& token, const std::string& user_agent);

/// Reads a login response. Non-2xx statuses are classified by HttpStatusError (api.h); a 400/401
/// from identity is kTerminal (wrong, revoked or expired token). A 2xx body must have
/// access_token, expires_in, token_type, scope and encrypted_payload; the payload must decrypt
/// under `token_key` (MAC mismatch = the token's key is wrong: kTerminal) to a 64-byte key; the
/// JWT must carry `organization` (else kTerminal). expires_at = now + expires_in.
Result<LoginSession> ParseLoginResponse(const HttpResponse& response, const SymmetricKey& token_key, SystemTime now);

}  // namespace ironward::bw
