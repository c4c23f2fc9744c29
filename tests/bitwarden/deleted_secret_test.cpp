// A secret deleted between the list and the get: the real server answers POST
// /secrets/get-by-ids with 404 when any requested id no longer exists. The client lists the
// project once more and retries; a second 404 after that fresh list is transient.
#include <gtest/gtest.h>

#include "reconcilers/bitwarden/api.h"
#include "reconcilers/bitwarden/identity.h"
#include "tests/bitwarden/client_fixture.h"

namespace ironward::bwtest {
namespace {

using BitwardenDeletedSecretTest = BitwardenDoubleTest;

// The double itself answers as the server does (SecretsController.GetSecretsByIdsAsync: 404
// unless every id exists), so the tests below exercise the real shape of the race.
TEST_F(BitwardenDeletedSecretTest, DoubleAnswersGetByIdsWith404WhenAnIdIsMissing) {
  bw::EndpointSettings settings;
  settings.server_url = double_.base_url();
  const bw::Endpoints ep = *bw::ResolveEndpoints(settings);
  auto login = http_.Send(bw::BuildLoginRequest(ep, *bw::ParseAccessToken(kToken), "test"));
  ASSERT_TRUE(login.ok() && login->status == 200);
  const std::string bearer = nlohmann::json::parse(login->body).at("access_token").get<std::string>();
  auto list = http_.Send(bw::BuildListRequest(ep, bearer, kProjectId, "test"));
  ASSERT_TRUE(list.ok() && list->status == 200);
  const std::vector<std::string> ids = *bw::ParseSecretIds(list->body);
  ASSERT_EQ(ids.size(), 2U);

  auto status_of = [&](const std::vector<std::string>& want) {
    auto r = http_.Send(bw::BuildGetByIdsRequest(ep, bearer, want, "test"));
    return r.ok() ? r->status : -1L;
  };
  EXPECT_EQ(status_of(ids), 200);
  const std::string gone = "00000000-0000-4000-8000-00000000dead";
  EXPECT_EQ(status_of({ids[0], gone}), 404) << "one missing id fails the whole request";
  EXPECT_EQ(status_of({gone}), 404);
  EXPECT_EQ(status_of({}), 404) << "the server finds no secret for an empty list either";
  EXPECT_EQ(status_of({ids[0], ids[0]}), 404) << "the server compares counts: a repeated id is a mismatch";

  ASSERT_EQ(double_.Admin("delete-secret", {{"key", "OPENROUTER_API_KEY"}}), 200);
  EXPECT_EQ(status_of(ids), 404) << "a deleted secret's id is missing";
}

TEST_F(BitwardenDeletedSecretTest, SecretDeletedAfterTheListIsListedAgainOnce) {
  auto client = MakeClient();
  ASSERT_EQ(double_.Admin("delete-secret", {{"key", "OPENROUTER_API_KEY"}, {"after_list", true}}), 200);
  auto r = Fetch(*client);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 1U);
  EXPECT_EQ(ValueOf(*r, "ANTHROPIC_API_KEY"), kValueB);
  EXPECT_EQ(ValueOf(*r, "OPENROUTER_API_KEY"), "<missing>");
  EXPECT_EQ(double_.Count("project_secrets"), 2) << "exactly one re-list";
  EXPECT_EQ(double_.Count("get_by_ids"), 2);
  EXPECT_EQ(double_.Count("identity"), 1);
  EXPECT_NE(logs_.text().find("get-by-ids answered HTTP 404"), std::string::npos) << logs_.text();
}

TEST_F(BitwardenDeletedSecretTest, OneGetByIds404RecoversWithinTheSameFetch) {
  auto client = MakeClient();
  ASSERT_EQ(double_.Admin("fault", {{"mode", "404"}, {"endpoint", "get_by_ids"}, {"times", 1}}), 200);
  auto r = Fetch(*client);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(ValueOf(*r, "OPENROUTER_API_KEY"), kValueA);
  EXPECT_EQ(ValueOf(*r, "ANTHROPIC_API_KEY"), kValueB);
  EXPECT_EQ(double_.Count("project_secrets"), 2);
  EXPECT_EQ(double_.Count("get_by_ids"), 2);
}

TEST_F(BitwardenDeletedSecretTest, Repeated404AfterAFreshListIsTransient) {
  auto client = MakeClient();
  ASSERT_EQ(double_.Admin("fault", {{"mode", "404"}, {"endpoint", "get_by_ids"}, {"times", 2}}), 200);
  auto r = Fetch(*client);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTransient);
  EXPECT_NE(r.error().message.find("a secret was deleted while being fetched"), std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find(kProjectId), std::string::npos) << r.error().message;
  EXPECT_EQ(double_.Count("project_secrets"), 2) << "one re-list, not a loop";
  EXPECT_EQ(double_.Count("get_by_ids"), 2);

  auto next = Fetch(*client);  // the fault is used up: the next scheduled attempt succeeds
  ASSERT_TRUE(next.ok()) << next.error().message;
  EXPECT_EQ(double_.Count("project_secrets"), 3);
}

TEST_F(BitwardenDeletedSecretTest, ProjectListAnswering404StaysTerminalWithoutARetry) {
  auto client = MakeClient();
  ASSERT_EQ(double_.Admin("fault", {{"mode", "404"}, {"endpoint", "project_secrets"}}), 200);
  auto r = Fetch(*client);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kTerminal);
  EXPECT_NE(r.error().message.find("list secrets: HTTP 404"), std::string::npos) << r.error().message;
  EXPECT_EQ(double_.Count("project_secrets"), 1);
  EXPECT_EQ(double_.Count("get_by_ids"), 0);
}

}  // namespace
}  // namespace ironward::bwtest
