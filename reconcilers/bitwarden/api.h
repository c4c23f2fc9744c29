// Secrets Manager API: list a project's secrets, then fetch them all with one get-by-ids.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reconcilers/bitwarden/crypto.h"
#include "reconcilers/bitwarden/endpoints.h"
#include "reconcilers/io/http_client.h"
#include "state/result.h"

namespace ironward::bw {

/// A decrypted secret. `value` and `note` are sensitive: never log them; use SensitiveLabel().
struct Secret {
  std::string id;              ///< lowercase UUID
  std::string key;             ///< the secret's name, e.g. OPENROUTER_API_KEY
  std::string value;           ///< sensitive
  std::string note;            ///< sensitive
  std::string revision_date;   ///< RFC 3339 as sent by the server
};

/// GET {api}/projects/{projectId}/secrets.
HttpRequest BuildListRequest(const Endpoints& endpoints, const std::string& bearer, std::string_view project_id,
                             const std::string& user_agent);
/// The `secrets[].id`s of a SecretWithProjectsList body (absent list = empty). kTransient on bad JSON.
Result<std::vector<std::string>> ParseSecretIds(std::string_view body);

/// POST {api}/secrets/get-by-ids with {"ids":[...]} (all ids at once).
HttpRequest BuildGetByIdsRequest(const Endpoints& endpoints, const std::string& bearer,
                                 const std::vector<std::string>& ids, const std::string& user_agent);
/// Decrypts `data[]` of a get-by-ids body: key, value and note of each (MAC checked first).
/// Errors name the secret id (never a value); a MAC mismatch keeps IsMacMismatch() true.
Result<std::vector<Secret>> ParseSecrets(std::string_view body, const SymmetricKey& org_key);

/// Error for a non-2xx API response: 401/403/404 and other 4xx -> kTerminal; 408, 429 and 5xx ->
/// kTransient. The text is "<what>: HTTP <code>[: <server message>]"; the raw body is not echoed.
Error HttpStatusError(const HttpResponse& response, std::string_view what);
/// Retry-After as delta-seconds (the form Bitwarden sends); nullopt when absent or not a number.
std::optional<std::chrono::seconds> RetryAfter(const HttpResponse& response);

}  // namespace ironward::bw
