// bw::Client against the server double (a real subprocess over loopback HTTP).
#include <gtest/gtest.h>

#include "reconcilers/bitwarden/enc_string.h"
#include "tests/bitwarden/client_fixture.h"

namespace ironward::bwtest {
namespace {

using BitwardenClientTest = BitwardenDoubleTest;

TEST_F(BitwardenClientTest, LogsInAndFetchesTheProject) {
  auto client = MakeClient();
  auto r = Fetch(*client);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 2U);
  EXPECT_EQ(ValueOf(*r, "OPENROUTER_API_KEY"), kValueA);
  EXPECT_EQ(ValueOf(*r, "ANTHROPIC_API_KEY"), kValueB);
  for (const auto& s : *r) {
    EXPECT_TRUE(bw::IsUuid(s.id));
    SystemTime t;
    EXPECT_TRUE(ParseRfc3339(s.revision_date, &t)) << s.revision_date;
    EXPECT_EQ(s.note, "");
  }
  EXPECT_EQ(client->organization_id(), kOrgId);
  EXPECT_NE(logs_.text().find("logged in to organization " + kOrgId), std::string::npos);  // capture works
  EXPECT_EQ(double_.Count("identity"), 1);
  EXPECT_EQ(double_.Count("project_secrets"), 1);
  EXPECT_EQ(double_.Count("get_by_ids"), 1);
  EXPECT_EQ(double_.Count("get_secret"), 0);
}

TEST_F(BitwardenClientTest, EachFetchIsOneListAndOneGetByIdsAndOneLogin) {
  auto client = MakeClient();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(Fetch(*client).ok());
    clock_.Advance(std::chrono::minutes(10));
  }
  EXPECT_EQ(double_.Count("identity"), 1);
  EXPECT_EQ(double_.Count("project_secrets"), 3);
  EXPECT_EQ(double_.Count("get_by_ids"), 3);
}

TEST_F(BitwardenClientTest, RenewsTheBearerWithin300sOfExpiry) {
  auto client = MakeClient();
  ASSERT_TRUE(Fetch(*client).ok());
  clock_.Advance(std::chrono::seconds(3600 - 301));
  ASSERT_TRUE(Fetch(*client).ok());
  EXPECT_EQ(double_.Count("identity"), 1);  // 301 s left: still fine
  clock_.Advance(std::chrono::seconds(2));
  ASSERT_TRUE(Fetch(*client).ok());
  EXPECT_EQ(double_.Count("identity"), 2);  // 299 s left: logged in again first
  EXPECT_EQ(double_.Count("unauthorized"), 0);
}

TEST_F(BitwardenClientTest, LogsInAgainOnceAfterA401) {
  auto client = MakeClient();
  ASSERT_TRUE(Fetch(*client).ok());
  ASSERT_EQ(double_.Admin("revoke-tokens"), 200);
  auto r = Fetch(*client);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(double_.Count("identity"), 2);
  EXPECT_EQ(double_.Count("unauthorized"), 1);
  EXPECT_EQ(double_.Count("project_secrets"), 3);
}

TEST_F(BitwardenClientTest, CachedLoginMeansNoIdentityRequest) {
  bw::MemoryLoginCacheStore cache;
  {
    auto first = MakeClient(&cache);
    ASSERT_TRUE(Fetch(*first).ok());
  }
  ASSERT_TRUE(cache.text().has_value());
  EXPECT_EQ(cache.text()->find(kOrgKey), std::string::npos);  // encrypted
  ASSERT_EQ(double_.Admin("reset-stats"), 200);

  auto second = MakeClient(&cache);  // e.g. after a controller restart
  auto r = Fetch(*second);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(ValueOf(*r, "OPENROUTER_API_KEY"), kValueA);
  EXPECT_EQ(double_.Count("identity"), 0);
  EXPECT_EQ(second->identity_requests(), 0);
  EXPECT_EQ(double_.Count("project_secrets"), 1);
}

TEST_F(BitwardenClientTest, CacheOfAnotherTokenIsIgnored) {
  bw::MemoryLoginCacheStore cache;
  ASSERT_TRUE(cache.Store(bw::Encrypt("{\"version\":1}", bw::SymmetricKey::Random()).ToString()).ok());
  auto client = MakeClient(&cache);
  ASSERT_TRUE(Fetch(*client).ok());
  EXPECT_EQ(double_.Count("identity"), 1);
  EXPECT_TRUE(bw::DecodeLoginCache(*cache.text(), *bw::DeriveAccessTokenKey(*Base64Decode(kTokenKeyB64)),
                                   clock_.Now()).ok());  // replaced by the fresh login
}

TEST_F(BitwardenClientTest, RotatedValueIsSeenOnTheNextFetch) {
  auto client = MakeClient();
  auto before = Fetch(*client);
  ASSERT_TRUE(before.ok());
  std::string old_revision;
  for (const auto& s : *before) {
    if (s.key == "OPENROUTER_API_KEY") old_revision = s.revision_date;
  }
  ASSERT_EQ(double_.Admin("secret", {{"key", "OPENROUTER_API_KEY"}, {"value", kRotated}}), 200);
  auto after = Fetch(*client);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(ValueOf(*after, "OPENROUTER_API_KEY"), kRotated);
  EXPECT_EQ(ValueOf(*after, "ANTHROPIC_API_KEY"), kValueB);
  for (const auto& s : *after) {
    if (s.key == "OPENROUTER_API_KEY") {
      EXPECT_NE(s.revision_date, old_revision);
    }
  }
}

TEST_F(BitwardenClientTest, UnknownProjectIsTerminal) {
  auto client = MakeClient();
  auto r = Fetch(*client, "00000000-0000-4000-8000-000000000000");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTerminal);
  EXPECT_NE(r.error().message.find("HTTP 404"), std::string::npos);
  EXPECT_NE(r.error().message.find("00000000-0000-4000-8000-000000000000"), std::string::npos);
}

TEST_F(BitwardenClientTest, WrongClientSecretIsTerminal) {
  auto client = MakeClient(nullptr, "0.ec2c1d46-6a4b-4751-a310-af9601317f2d.WrongSecretWrongSecretWrongSe:X8vbvA0bduihIDe/qrzIQQ==");
  auto r = Fetch(*client);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTerminal);
  EXPECT_NE(r.error().message.find("invalid_client"), std::string::npos);
  EXPECT_EQ(r.error().message.find("WrongSecret"), std::string::npos);
  EXPECT_EQ(double_.Count("project_secrets"), 0);
}

TEST_F(BitwardenClientTest, WrongTokenKeyIsTerminal) {
  // Right id and secret, wrong 16-byte key: encrypted_payload fails its MAC.
  auto client = MakeClient(nullptr, "0.ec2c1d46-6a4b-4751-a310-af9601317f2d.C2IgxjjLF7qSshsbwe8JGcbM075YXw:AAAAAAAAAAAAAAAAAAAAAA==");
  auto r = Fetch(*client);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTerminal);
  EXPECT_NE(r.error().message.find("MAC"), std::string::npos);
}

class BitwardenEmptyProjectTest : public BitwardenDoubleTest {
 protected:
  BitwardenEmptyProjectTest() : BitwardenDoubleTest(false) {}
};

TEST_F(BitwardenEmptyProjectTest, EmptyProjectSkipsGetByIds) {
  auto client = MakeClient();
  auto r = Fetch(*client);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->empty());
  EXPECT_EQ(double_.Count("project_secrets"), 1);
  EXPECT_EQ(double_.Count("get_by_ids"), 0);
}

}  // namespace
}  // namespace ironward::bwtest
