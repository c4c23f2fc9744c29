// Identity login pieces: the published identity fixture, JWT claims, the login form, endpoint
// selection and the login cache.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "reconcilers/bitwarden/access_token.h"
#include "reconcilers/bitwarden/enc_string.h"
#include "reconcilers/bitwarden/endpoints.h"
#include "reconcilers/bitwarden/identity.h"
#include "reconcilers/bitwarden/jwt.h"
#include "reconcilers/bitwarden/login_cache.h"
#include "tests/bitwarden/test_support.h"

namespace ironward::bw {
namespace {

const char* kPayload =
    "2.E9fE8+M/VWMfhhim1KlCbQ==|eLsHR484S/tJbIkM6spnG/HP65tj9A6Tba7kAAvUp+rYuQmGLixiOCfMsqt5OvBctDfvvr/AesBu7cZimPLyOEhqEAjn52jF0"
    "eaI38XZfeOG2VJl0LOf60Wkfh3ryAMvfvLj3G4ZCNYU8sNgoC2+IQ==|lNApuCQ4Pyakfo/wwuuajWNaEX/2MW8/3rjXB/V7n+k=";
const char* kJwt =
    "eyJhbGciOiJSUzI1NiIsImtpZCI6IjMwMURENkE1MEU4NEUxRDA5MUM4MUQzQjAwQkY5MDEwQzg1REJEOUFSUzI1NiIsInR5cCI6ImF0K2p3dCIsIng1dCI6Ik1C"
    "M1dwUTZFNGRDUnlCMDdBTC1RRU1oZHZabyJ9.eyJuYmYiOjE2NzUxMDM3ODEsImV4cCI6MTY3NTEwNzM4MSwiaXNzIjoiaHR0cDovL2xvY2FsaG9zdCIsImNsaWVu"
    "dF9pZCI6ImVjMmMxZDQ2LTZhNGItNDc1MS1hMzEwLWFmOTYwMTMxN2YyZCIsInN1YiI6ImQzNDgwNGNhLTRmNmMtNDM5Mi04NmI3LWFmOTYwMTMxNzVkMCIsIm9yZ"
    "2FuaXphdGlvbiI6ImY0ZTQ0YTdmLTExOTAtNDMyYS05ZDRhLWFmOTYwMTMxMjdjYiIsImp0aSI6IjU3QUU0NzQ0MzIwNzk1RThGQkQ4MUIxNDA2RDQyNTQyIiwiaW"
    "F0IjoxNjc1MTAzNzgxLCJzY29wZSI6WyJhcGkuc2VjcmV0cyJdfQ.GRKYzqgJZHEEZHsJkhVZH8zjYhY3hUvM4rhdV3FU10WlCteZdKHrPIadCUh";

SymmetricKey TokenKey() { return *DeriveAccessTokenKey(ParseAccessToken(bwtest::kToken)->encryption_key); }

HttpResponse FixtureResponse(nlohmann::json overrides = nlohmann::json::object()) {
  nlohmann::json body = {{"access_token", kJwt},
                         {"expires_in", 3600},
                         {"token_type", "Bearer"},
                         {"scope", "api.secrets"},
                         {"encrypted_payload", kPayload}};
  body.update(overrides);
  for (auto it = overrides.begin(); it != overrides.end(); ++it) {
    if (it.value().is_null()) body.erase(it.key());
  }
  return HttpResponse{200, {{"Content-Type", "application/json"}}, body.dump()};
}

TEST(IdentityTest, FixturePayloadDecryptsToTheOrganizationKey) {
  auto plain = DecryptText(kPayload, TokenKey());
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_EQ(*plain, std::string("{\"encryptionKey\":\"") + bwtest::kOrgKeyB64 + "\"}");
}

TEST(IdentityTest, ParsesFixtureResponseIntoSession) {
  const SystemTime now = std::chrono::system_clock::now();
  auto s = ParseLoginResponse(FixtureResponse(), TokenKey(), now);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->organization_id, "f4e44a7f-1190-432a-9d4a-af96013127cb");
  EXPECT_EQ(s->org_key.ToBase64(), bwtest::kOrgKeyB64);
  EXPECT_EQ(s->org_key.ToBytes().size(), 64U);
  EXPECT_EQ(s->expires_at, now + std::chrono::seconds(3600));  // expires_in, not the JWT exp
}

// Found by fuzz_bitwarden_api: a huge expires_in overflowed the time point (undefined behaviour).
TEST(IdentityTest, HugeExpiresInIsClampedToAYear) {
  const SystemTime now = std::chrono::system_clock::now();
  auto s = ParseLoginResponse(FixtureResponse({{"expires_in", 18446744073709551615ULL}}), TokenKey(), now);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->expires_at, now + std::chrono::hours(24 * 365));
}

TEST(IdentityTest, JwtClaimsOfFixture) {
  auto c = ParseJwt(kJwt);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->exp, 1675107381);
  EXPECT_EQ(c->sub, "d34804ca-4f6c-4392-86b7-af96013175d0");
  EXPECT_EQ(c->organization.value_or(""), "f4e44a7f-1190-432a-9d4a-af96013127cb");
  ASSERT_EQ(c->scope.size(), 1U);
  EXPECT_EQ(c->scope[0], "api.secrets");
  EXPECT_FALSE(ParseJwt("a.b").ok());
  EXPECT_FALSE(ParseJwt("a.b.c.d").ok());
}

TEST(IdentityTest, ResponseWithoutScopeIsRejected) {
  auto s = ParseLoginResponse(FixtureResponse({{"scope", nullptr}}), TokenKey(), SystemTime{});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("'scope'"), std::string::npos);
  EXPECT_EQ(s.error().kind, ErrorKind::kTransient);
}

TEST(IdentityTest, InvalidClientIsTerminal) {
  auto s = ParseLoginResponse(HttpResponse{400, {}, R"({"error":"invalid_client"})"}, TokenKey(), SystemTime{});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::kTerminal);
  EXPECT_NE(s.error().message.find("invalid_client"), std::string::npos);
}

TEST(IdentityTest, PayloadUnderAnotherKeyIsTerminal) {
  auto s = ParseLoginResponse(FixtureResponse(), SymmetricKey::Random(), SystemTime{});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::kTerminal);
  EXPECT_TRUE(IsMacMismatch(s.error()));
}

TEST(IdentityTest, TokenWithoutOrganizationIsTerminal) {
  const std::string jwt = "e30." + Base64UrlEncode(ToBytes(R"({"exp":1,"sub":"x","scope":["api.secrets"]})")) + ".sig";
  auto s = ParseLoginResponse(FixtureResponse({{"access_token", jwt}}), TokenKey(), SystemTime{});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, ErrorKind::kTerminal);
  EXPECT_NE(s.error().message.find("isn't associated to an organization"), std::string::npos);
}

TEST(IdentityTest, LoginRequestMatchesTheSdkByteForByte) {
  auto token = ParseAccessToken(bwtest::kToken);
  const Endpoints ep{"https://identity.example", "https://api.example", Deployment::kExplicit};
  const HttpRequest r = BuildLoginRequest(ep, *token, "ua");
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "https://identity.example/connect/token");
  EXPECT_EQ(r.body,
            "scope=api.secrets&client_id=ec2c1d46-6a4b-4751-a310-af9601317f2d&client_secret=C2IgxjjLF7qSshsbwe8JGcbM075YXw"
            "&grant_type=client_credentials");
  HttpResponse headers{0, r.headers, ""};
  EXPECT_EQ(headers.Header("Device-Type"), "21");
  EXPECT_EQ(headers.Header("Content-Type"), "application/x-www-form-urlencoded; charset=utf-8");
  EXPECT_EQ(headers.Header("Accept"), "application/json");
  EXPECT_EQ(headers.Header("Authorization"), "");
}

TEST(EndpointsTest, SelectsCloudSelfHostedAndExplicit) {
  auto us = ResolveEndpoints({});
  ASSERT_TRUE(us.ok());
  EXPECT_EQ(us->identity_url, "https://identity.bitwarden.com");
  EXPECT_EQ(us->api_url, "https://api.bitwarden.com");
  auto us2 = ResolveEndpoints({"https://vault.bitwarden.com/", "", ""});
  EXPECT_EQ(us2->deployment, Deployment::kUsCloud);
  auto eu = ResolveEndpoints({"https://vault.bitwarden.eu", "", ""});
  ASSERT_TRUE(eu.ok());
  EXPECT_EQ(eu->identity_url, "https://identity.bitwarden.eu");
  EXPECT_EQ(eu->api_url, "https://api.bitwarden.eu");
  auto self = ResolveEndpoints({"https://bw.example.com/", "", ""});
  ASSERT_TRUE(self.ok());
  EXPECT_EQ(self->identity_url, "https://bw.example.com/identity");
  EXPECT_EQ(self->api_url, "https://bw.example.com/api");
  EXPECT_EQ(self->deployment, Deployment::kSelfHosted);
  auto local = ResolveEndpoints({"http://127.0.0.1:8080", "", ""});
  ASSERT_TRUE(local.ok());
  EXPECT_EQ(local->api_url, "http://127.0.0.1:8080/api");
  auto explicit_eu = ResolveEndpoints({"https://vault.bitwarden.com", "https://api.bitwarden.eu/", "https://identity.bitwarden.eu"});
  ASSERT_TRUE(explicit_eu.ok());
  EXPECT_EQ(explicit_eu->api_url, "https://api.bitwarden.eu");
  EXPECT_EQ(explicit_eu->identity_url, "https://identity.bitwarden.eu");
}

TEST(EndpointsTest, RejectsPlainHttpToRemoteHostsAndHalfExplicitSettings) {
  EXPECT_EQ(ResolveEndpoints({"http://bw.example.com", "", ""}).error().kind, ErrorKind::kInvalidSpec);
  EXPECT_EQ(ResolveEndpoints({"", "https://api.bitwarden.eu", ""}).error().kind, ErrorKind::kInvalidSpec);
  EXPECT_EQ(ResolveEndpoints({"ftp://x", "", ""}).error().kind, ErrorKind::kInvalidSpec);
  EXPECT_EQ(ResolveEndpoints({"https://user@bw.example.com", "", ""}).error().kind, ErrorKind::kInvalidSpec);
}

LoginSession SampleSession(SystemTime now) {
  const std::int64_t exp = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count() + 3600;
  const nlohmann::json claims = {{"exp", exp}, {"sub", "s"}, {"organization", "F4E44A7F-1190-432A-9D4A-AF96013127CB"},
                                 {"scope", {"api.secrets"}}};
  LoginSession s;
  s.bearer = "e30." + Base64UrlEncode(ToBytes(claims.dump())) + ".sig";
  s.expires_at = now + std::chrono::seconds(3600);
  s.organization_id = "f4e44a7f-1190-432a-9d4a-af96013127cb";
  s.org_key = SymmetricKey::Random();
  return s;
}

TEST(LoginCacheTest, RoundTripsInTheSdkStateFormat) {
  const SystemTime now = std::chrono::system_clock::now();
  const LoginSession s = SampleSession(now);
  const std::string text = EncodeLoginCache(s, TokenKey());
  EXPECT_EQ(text.rfind("2.", 0), 0U);
  EXPECT_EQ(text.find(s.bearer), std::string::npos);
  auto plain = nlohmann::json::parse(*DecryptText(text, TokenKey()));
  EXPECT_EQ(plain["version"], 1);
  EXPECT_EQ(plain["token"], s.bearer);
  EXPECT_EQ(plain["encryption_key"], s.org_key.ToBase64());

  auto back = DecodeLoginCache(text + "\n", TokenKey(), now);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->bearer, s.bearer);
  EXPECT_EQ(back->organization_id, s.organization_id);
  EXPECT_EQ(back->org_key.ToBytes(), s.org_key.ToBytes());
  EXPECT_EQ(std::chrono::time_point_cast<std::chrono::seconds>(back->expires_at),
            std::chrono::time_point_cast<std::chrono::seconds>(s.expires_at));
}

TEST(LoginCacheTest, RejectsExpiredForeignAndTamperedCaches) {
  const SystemTime now = std::chrono::system_clock::now();
  const std::string text = EncodeLoginCache(SampleSession(now), TokenKey());
  EXPECT_FALSE(DecodeLoginCache(text, TokenKey(), now + std::chrono::hours(2)).ok());  // expired
  EXPECT_FALSE(DecodeLoginCache(text, SymmetricKey::Random(), now).ok());             // another token
  std::string tampered = text;
  tampered[5] = tampered[5] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(DecodeLoginCache(tampered, TokenKey(), now).ok());
  const std::string v2 = Encrypt(R"({"version":2,"token":"a.b.c","encryption_key":"x"})", TokenKey()).ToString();
  EXPECT_FALSE(DecodeLoginCache(v2, TokenKey(), now).ok());
}

}  // namespace
}  // namespace ironward::bw
