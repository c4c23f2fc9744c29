// Desired-state documents for tests. GatewayYaml renders an EgressGateway from the parts tests
// vary; its defaults render kBaseYaml, the document most tests start from (two providers, one
// allowlisted host, a release that is never downloaded). With() edits a rendered document where a
// test needs one line changed. Header-only and free of ironward libraries.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace ironward::testing {

/// One entry of spec.providers.
struct ProviderYaml {
  std::string name;
  std::string secret;  ///< the environment variable (or Bitwarden key) holding the real secret
  std::string hosts;   ///< a YAML flow list: ["api.example.com", "*.example.com"]
};

/// An EgressGateway document; Render() writes it. The defaults are kBaseYaml.
struct GatewayYaml {
  std::string name = "test";
  std::string version = "0.39.0";
  std::string bind = "loopback";
  int tunnel_port = 19090;
  std::string release_url = "file:///nonexistent/iron-proxy_{version}_{os}_{arch}.tar.gz";
  std::string sha256 = std::string(64, '0');
  std::string proxy_extra;  ///< more lines under spec.proxy, indented four spaces
  std::vector<ProviderYaml> providers = {
      {"openrouter", "OPENROUTER_API_KEY", R"(["openrouter.ai", "*.openrouter.ai"])"},
      {"openai", "OPENAI_API_KEY", R"(["api.openai.com"])"}};
  std::string allowlist = R"(["api.github.com"])";  ///< a YAML flow list; "" leaves spec.allowlist out
  std::string ca_extra;  ///< more lines under spec.ca, indented four spaces
  std::string extra;     ///< more sections under spec (credentials, enforcement, ...), indented two

  /// Installs from the iron-proxy double packaged under `dir` (PackageRelease039) with `sha`.
  GatewayYaml& Release(const std::filesystem::path& dir, const std::string& sha) {
    release_url = "file://" + dir.string() + "/v{version}/iron-proxy_{version}_{os}_{arch}.tar.gz";
    sha256 = sha;
    return *this;
  }

  std::string Render() const {
    std::string y = "apiVersion: ironward.dev/v1\nkind: EgressGateway\nmetadata:\n  name: " + name +
                    "\nspec:\n  proxy:\n    version: \"" + version + "\"\n    bind: " + bind +
                    "\n    tunnelPort: " + std::to_string(tunnel_port) + "\n    source:\n      url: \"" + release_url +
                    "\"\n      sha256: \"" + sha256 + "\"\n" + proxy_extra + "  providers:\n";
    for (const auto& p : providers) {
      y += "    - name: " + p.name + "\n      secret: " + p.secret + "\n      hosts: " + p.hosts + "\n";
    }
    if (!allowlist.empty()) y += "  allowlist: " + allowlist + "\n";
    return y + "  ca:\n    algorithm: ecdsa-p256\n" + ca_extra + extra;
  }
};

/// The document most tests start from: GatewayYaml's defaults.
inline const std::string kBaseYaml = GatewayYaml().Render();

/// spec.credentials for the Bitwarden source (a `credentials:` section under spec).
inline std::string BitwardenCredentialsYaml(const std::string& project_id, const std::string& server_url,
                                            const std::string& retry_interval = "1s",
                                            const std::string& access_token_env = "") {
  return "  credentials:\n    source: bitwarden\n    bitwarden:\n      projectId: \"" + project_id + "\"\n" +
         (access_token_env.empty() ? "" : "      accessTokenEnv: " + access_token_env + "\n") +
         "      serverUrl: \"" + server_url + "\"\n      refreshInterval: 1m\n      retryInterval: " + retry_interval +
         "\n";
}

/// Replaces the first occurrence of `from` in `text` (a failure when there is none).
inline std::string With(std::string text, const std::string& from, const std::string& to) {
  const auto pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) text.replace(pos, from.size(), to);
  return text;
}

}  // namespace ironward::testing
