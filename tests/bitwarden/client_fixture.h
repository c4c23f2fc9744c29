// Fixture: a server double subprocess, a fake clock, a real CurlHttpClient, log capture, and a
// TearDown that fails the test when any known secret shows up in a log line or error message.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reconcilers/bitwarden/client.h"
#include "tests/bitwarden/double_process.h"
#include "tests/bitwarden/test_support.h"
#include "tests/support/gateway_yaml.h"

namespace ironward::bwtest {

inline const std::string kOrgId = "f4e44a7f-1190-432a-9d4a-af96013127cb";
inline const std::string kProjectId = "9151e1a4-6b4a-4d4c-a5a4-0a5b5a1f0001";
inline const std::string kOrgKey =
    "k/6PcwG7Hm/eZfvvOvP6EqGx1JKgbzYrWwpOIHsxbJHQMpIMg5Ud94AQHduSR+XMMaFiSB+nszbO4JPXj04YwA==";
inline const std::string kValueA = "sk-or-v1-ALPHA-7f3c9e1d2b4a";
inline const std::string kValueB = "sk-ant-BRAVO-0a9b8c7d6e5f";
inline const std::string kRotated = "sk-or-v1-ROTATED-55aa66bb77cc";

inline nlohmann::json DoubleConfig(bool with_secrets = true) {
  nlohmann::json secrets = nlohmann::json::object();
  if (with_secrets) secrets = {{"OPENROUTER_API_KEY", kValueA}, {"ANTHROPIC_API_KEY", kValueB}};
  return {{"access_token", kToken}, {"organization_id", kOrgId}, {"project_id", kProjectId},
          {"org_key", kOrgKey},     {"secrets", secrets},        {"expires_in", 3600}};
}

/// spec.providers whose secrets the double holds (DoubleConfig): openrouter and anthropic.
inline std::vector<testing::ProviderYaml> DoubleProviders() {
  return {{"openrouter", "OPENROUTER_API_KEY", R"(["openrouter.ai"])"},
          {"anthropic", "ANTHROPIC_API_KEY", R"(["api.anthropic.com"])"}};
}

class BitwardenDoubleTest : public ::testing::Test {
 protected:
  explicit BitwardenDoubleTest(bool with_secrets = true) : double_(DoubleConfig(with_secrets)) {}

  void SetUp() override { ASSERT_TRUE(double_.ok()) << double_.error(); }

  void TearDown() override {
    const std::vector<std::string> secrets = {kValueA, kValueB, kRotated, kToken, kClientSecret, kTokenKeyB64, kOrgKey};
    const auto in_logs = LeakedSecrets(logs_.text(), secrets);
    const auto in_errors = LeakedSecrets(errors_, secrets);
    EXPECT_TRUE(in_logs.empty()) << "secret(s) in log output: " << ::testing::PrintToString(in_logs);
    EXPECT_TRUE(in_errors.empty()) << "secret(s) in error messages: " << ::testing::PrintToString(in_errors);
  }

  std::unique_ptr<bw::Client> MakeClient(bw::LoginCacheStore* cache = nullptr, const std::string& token = kToken,
                                         std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    bw::EndpointSettings settings;
    settings.server_url = double_.base_url();  // self-hosted layout: /identity + /api
    auto endpoints = bw::ResolveEndpoints(settings);
    EXPECT_TRUE(endpoints.ok());
    bw::ClientConfig config;
    config.access_token = token;
    config.endpoints = *endpoints;
    config.timeout = timeout;
    config.cache = cache;
    return std::make_unique<bw::Client>(http_, clock_, config);
  }

  /// FetchProject, recording the error message for the secret grep.
  Result<std::vector<bw::Secret>> Fetch(bw::Client& client, const std::string& project = kProjectId) {
    auto r = client.FetchProject(project);
    if (!r) errors_ += r.error().message + "\n";
    return r;
  }

  static std::string ValueOf(const std::vector<bw::Secret>& secrets, const std::string& key) {
    for (const auto& s : secrets) {
      if (s.key == key) return s.value;
    }
    return "<missing>";
  }

  LogCapture logs_;
  DoubleProcess double_;
  FakeClock clock_{std::chrono::system_clock::now()};  ///< real wall time: the double's JWTs use it
  CurlHttpClient http_;
  std::string errors_;
};

}  // namespace ironward::bwtest
