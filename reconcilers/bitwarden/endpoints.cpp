#include "reconcilers/bitwarden/endpoints.h"

#include <algorithm>
#include <cctype>
#include <string_view>

#include "state/encoding.h"

namespace ironward::bw {
namespace {

std::string TrimSlash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

// Host part of scheme://host[:port][/path], lowercase, brackets kept for IPv6.
std::string HostOf(std::string_view url) {
  const auto scheme_end = url.find("://");
  std::string_view rest = url.substr(scheme_end + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (const auto at = rest.rfind('@'); at != std::string_view::npos) rest = rest.substr(at + 1);
  if (!rest.empty() && rest.front() == '[') return AsciiLower(rest.substr(0, rest.find(']') + 1));
  return AsciiLower(rest.substr(0, rest.find(':')));
}

Result<std::string> CheckUrl(const std::string& raw, const char* field) {
  const std::string url = TrimSlash(raw);
  const std::string lower = AsciiLower(url);
  const bool https = lower.rfind("https://", 0) == 0;
  const bool http = lower.rfind("http://", 0) == 0;
  if ((!https && !http) || HostOf(url).empty()) {
    return Error::Invalid(std::string(field) + " must be an http(s) URL, got \"" + raw + "\"");
  }
  if (url.find_first_of("?#@ ") != std::string::npos) {
    return Error::Invalid(std::string(field) + " must not contain a query, fragment, user info or spaces");
  }
  if (http) {
    const std::string host = HostOf(url);
    const bool loopback = host == "localhost" || host == "[::1]" || host.rfind("127.", 0) == 0;
    if (!loopback) {
      return Error::Invalid(std::string(field) + " must use https:// (plain http:// is only allowed to a loopback "
                                                 "test server); got \"" + raw + "\"");
    }
  }
  return url;
}

}  // namespace

Result<Endpoints> ResolveEndpoints(const EndpointSettings& settings) {
  if (!settings.api_url.empty() || !settings.identity_url.empty()) {
    if (settings.api_url.empty() || settings.identity_url.empty()) {
      return Error::Invalid("bitwarden apiUrl and identityUrl must be set together");
    }
    auto api = CheckUrl(settings.api_url, "bitwarden apiUrl");
    if (!api) return api.error();
    auto identity = CheckUrl(settings.identity_url, "bitwarden identityUrl");
    if (!identity) return identity.error();
    return Endpoints{*identity, *api, Deployment::kExplicit};
  }
  if (settings.server_url.empty()) return Endpoints{kUsIdentityUrl, kUsApiUrl, Deployment::kUsCloud};
  auto base = CheckUrl(settings.server_url, "bitwarden serverUrl");
  if (!base) return base.error();
  const std::string lower = AsciiLower(*base);
  if (lower == "https://vault.bitwarden.com") return Endpoints{kUsIdentityUrl, kUsApiUrl, Deployment::kUsCloud};
  if (lower == "https://vault.bitwarden.eu") return Endpoints{kEuIdentityUrl, kEuApiUrl, Deployment::kEuCloud};
  return Endpoints{*base + "/identity", *base + "/api", Deployment::kSelfHosted};
}

const char* DeploymentName(Deployment d) {
  switch (d) {
    case Deployment::kUsCloud: return "US cloud";
    case Deployment::kEuCloud: return "EU cloud";
    case Deployment::kSelfHosted: return "self-hosted";
    case Deployment::kExplicit: return "explicit URLs";
  }
  return "?";
}

}  // namespace ironward::bw
