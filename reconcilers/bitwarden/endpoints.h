// Which identity and API base URLs to talk to.
#pragma once

#include <string>

#include "state/result.h"

namespace ironward::bw {

inline constexpr const char* kUsIdentityUrl = "https://identity.bitwarden.com";
inline constexpr const char* kUsApiUrl = "https://api.bitwarden.com";
inline constexpr const char* kEuIdentityUrl = "https://identity.bitwarden.eu";
inline constexpr const char* kEuApiUrl = "https://api.bitwarden.eu";

/// The user's settings (spec.credentials.bitwarden): serverUrl, or apiUrl + identityUrl.
struct EndpointSettings {
  std::string server_url = "https://vault.bitwarden.com";
  std::string api_url;       ///< explicit; must be given together with identity_url
  std::string identity_url;  ///< explicit; must be given together with api_url
};

enum class Deployment { kUsCloud, kEuCloud, kSelfHosted, kExplicit };

struct Endpoints {
  std::string identity_url;  ///< no trailing '/'; login is identity_url + "/connect/token"
  std::string api_url;       ///< no trailing '/'
  Deployment deployment = Deployment::kUsCloud;
};

/// Rules, in order:
///  * api_url and identity_url both set: used as given (trailing '/' trimmed); one alone is an error;
///  * server_url https://vault.bitwarden.com (or empty) -> US cloud, https://vault.bitwarden.eu -> EU cloud;
///  * any other server_url B (self-hosted) -> B + "/identity", B + "/api".
/// Every URL must be https://, except http:// to a loopback host (127.0.0.1, ::1, localhost), which
/// test servers use. Errors are kInvalidSpec.
Result<Endpoints> ResolveEndpoints(const EndpointSettings& settings);

const char* DeploymentName(Deployment d);

}  // namespace ironward::bw
