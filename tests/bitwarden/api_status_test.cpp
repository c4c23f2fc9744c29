// API request shapes and status classification, with a scripted HttpClient.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "reconcilers/bitwarden/api.h"
#include "reconcilers/bitwarden/client.h"
#include "reconcilers/bitwarden/enc_string.h"
#include "tests/bitwarden/test_support.h"
#include "tests/fakes/scripted_http_client.h"

namespace ironward::bw {
namespace {

using ironward::testing::ScriptedHttpClient;

TEST(ApiStatusTest, ClassifiesStatuses) {
  for (long s : {400L, 401L, 403L, 404L, 409L}) {
    EXPECT_EQ(HttpStatusError(HttpResponse{s, {}, ""}, "x").kind, ErrorKind::kTerminal) << s;
  }
  for (long s : {408L, 429L, 500L, 502L, 503L, 504L}) {
    EXPECT_EQ(HttpStatusError(HttpResponse{s, {}, ""}, "x").kind, ErrorKind::kTransient) << s;
  }
  const Error e = HttpStatusError(HttpResponse{429, {}, R"({"message":"Slow down! Too many requests. Try again in 1m."})"},
                                  "list secrets");
  EXPECT_EQ(e.message, "list secrets: HTTP 429: Slow down! Too many requests. Try again in 1m.");
  EXPECT_EQ(HttpStatusError(HttpResponse{500, {}, "<html>oops</html>"}, "x").message, "x: HTTP 500");
}

TEST(ApiStatusTest, ReadsRetryAfterSeconds) {
  EXPECT_EQ(RetryAfter(HttpResponse{429, {{"retry-after", "42"}}, ""}), std::chrono::seconds(42));
  EXPECT_EQ(RetryAfter(HttpResponse{429, {}, ""}), std::nullopt);
  EXPECT_EQ(RetryAfter(HttpResponse{429, {{"Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"}}, ""}), std::nullopt);
}

TEST(ApiStatusTest, GetByIdsSendsAllIdsInOneBody) {
  const Endpoints ep{"https://i", "https://a", Deployment::kExplicit};
  const HttpRequest r = BuildGetByIdsRequest(ep, "jwt", {"a1", "b2", "c3"}, "ua");
  EXPECT_EQ(r.url, "https://a/secrets/get-by-ids");
  EXPECT_EQ(r.body, R"({"ids":["a1","b2","c3"]})");
  EXPECT_EQ(HttpResponse({0, r.headers, ""}).Header("Authorization"), "Bearer jwt");
  EXPECT_EQ(BuildListRequest(ep, "jwt", "9151E1A4-6B4A-4D4C-A5A4-0A5B5A1F0001", "ua").url,
            "https://a/projects/9151e1a4-6b4a-4d4c-a5a4-0a5b5a1f0001/secrets");
}

TEST(ApiStatusTest, DecryptionErrorsNameTheSecretButNotItsValue) {
  const SymmetricKey key = SymmetricKey::Random();
  EncString value = Encrypt("hunter2-super-secret", key);
  value.mac[3] ^= 1U;
  const nlohmann::json body = {{"data",
                                {{{"id", "0c5b0f8e-9d1a-4e57-8a2b-1f2e3d4c5b6a"},
                                  {"key", Encrypt("DB_PASSWORD", key).ToString()},
                                  {"value", value.ToString()},
                                  {"note", Encrypt("", key).ToString()},
                                  {"revisionDate", "2026-01-01T00:00:00Z"}}}}};
  auto r = ParseSecrets(body.dump(), key);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(IsMacMismatch(r.error()));
  EXPECT_NE(r.error().message.find("0c5b0f8e-9d1a-4e57-8a2b-1f2e3d4c5b6a"), std::string::npos);
  EXPECT_NE(r.error().message.find("DB_PASSWORD"), std::string::npos);
  EXPECT_EQ(r.error().message.find("hunter2"), std::string::npos);
}

TEST(ApiStatusTest, ForbiddenProjectIsTerminal) {
  ScriptedHttpClient http;
  FakeClock clock{std::chrono::system_clock::now()};
  const SymmetricKey org = SymmetricKey::Random();
  const SymmetricKey token_key = *DeriveAccessTokenKey(ParseAccessToken(bwtest::kToken)->encryption_key);
  const std::string jwt = "e30." +
                          Base64UrlEncode(ToBytes(R"({"exp":9999999999,"sub":"s","organization":"f4e44a7f-1190-432a-9d4a-af96013127cb","scope":["api.secrets"]})")) +
                          ".x";
  const nlohmann::json login = {{"access_token", jwt}, {"expires_in", 3600}, {"token_type", "Bearer"},
                                {"scope", "api.secrets"},
                                {"encrypted_payload", Encrypt(nlohmann::json{{"encryptionKey", org.ToBase64()}}.dump(),
                                                              token_key).ToString()}};
  http.Queue(HttpResponse{200, {}, login.dump()});
  http.Queue(HttpResponse{403, {}, R"({"message":"You do not have permission."})"});
  Client client(http, clock, {bwtest::kToken, *ResolveEndpoints({}), "ua", std::chrono::seconds(5), "", nullptr});
  auto r = client.FetchProject("9151e1a4-6b4a-4d4c-a5a4-0a5b5a1f0001");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTerminal);
  EXPECT_NE(r.error().message.find("HTTP 403"), std::string::npos);
  ASSERT_EQ(http.requests().size(), 2U);
  EXPECT_EQ(http.requests()[0].url, "https://identity.bitwarden.com/connect/token");
  EXPECT_EQ(http.requests()[1].url,
            "https://api.bitwarden.com/projects/9151e1a4-6b4a-4d4c-a5a4-0a5b5a1f0001/secrets");
  EXPECT_FALSE(http.requests()[1].follow_redirects);
}

TEST(ApiStatusTest, MalformedTokenFailsWithoutAnyRequest) {
  ScriptedHttpClient http;
  FakeClock clock{std::chrono::system_clock::now()};
  Client client(http, clock, {"0.nope.secretsecret:AAAA", *ResolveEndpoints({}), "ua", std::chrono::seconds(5), "", nullptr});
  auto r = client.FetchProject("9151e1a4-6b4a-4d4c-a5a4-0a5b5a1f0001");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTerminal);
  EXPECT_NE(r.error().message.find("Has an invalid identifier"), std::string::npos);
  EXPECT_EQ(r.error().message.find("secretsecret"), std::string::npos);
  EXPECT_TRUE(http.requests().empty());
  auto bad_project = client.FetchProject("not-a-uuid");
  EXPECT_EQ(bad_project.error().kind, ErrorKind::kInvalidSpec);
}

}  // namespace
}  // namespace ironward::bw
