// SecretsReconciler with `source: bitwarden` against the Bitwarden server double: fetch only at
// apply and only when due, one list + one get-by-ids per refresh, back-off visible in the
// double's request counts, terminal errors that stop fetching, Degraded with last good values,
// fail closed without them, file delivery for iron-proxy >= 0.42.
#include <gtest/gtest.h>

#include "secrets_fixture.h"
#include "state/encoding.h"

namespace ironward::secrets::test {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

TEST_F(BitwardenSecretsTest, FirstApplyFetchesOnceThenTheNextPassIsQuiet) {
  ResourcePlan plan = Plan();
  ASSERT_FALSE(plan.error) << plan.error->message;
  ASSERT_EQ(plan.changes.size(), 1U);
  EXPECT_EQ(plan.changes[0].address, kBitwardenAddress);
  EXPECT_EQ(plan.changes[0].action, Action::kCreate);
  EXPECT_EQ(plan.changes[0].after["secrets"], kKnownAfterApply);
  ASSERT_TRUE(facts_.secrets);
  EXPECT_TRUE(facts_.secrets->pending);
  EXPECT_EQ(Requests(), 0) << "planning never fetches";

  const Outcome out = Apply(plan);
  ASSERT_EQ(out.kind, Outcome::Kind::kDone) << out.message;
  EXPECT_EQ(out.reason, "Fetched");
  EXPECT_EQ(out.after, seconds(3600));
  // The interval a staleness alert compares the last fetch against (ironward_secret_refresh_interval_seconds).
  EXPECT_EQ(out.details.value("refresh_interval_seconds", 0), 3600) << out.details.dump();
  EXPECT_EQ(plan.details.value("refresh_interval_seconds", 0), 3600) << plan.details.dump();
  ASSERT_TRUE(facts_.secrets);
  EXPECT_FALSE(facts_.secrets->pending);
  EXPECT_EQ(facts_.secrets->values.at("OPENROUTER_API_KEY"), bwtest::kValueA);
  EXPECT_EQ(facts_.secrets->values.at("ANTHROPIC_API_KEY"), bwtest::kValueB);
  EXPECT_EQ(facts_.secrets->combined_digest.rfind("file:", 0), std::string::npos) << "0.39: env delivery";
  EXPECT_EQ(double_.Count("identity"), 1);
  EXPECT_EQ(double_.Count("project_secrets"), 1);
  EXPECT_EQ(double_.Count("get_by_ids"), 1);
  EXPECT_EQ(double_.Count("get_secret"), 0) << "never one request per secret";

  // secrets.json: digests and times only; the login cache is encrypted. Both 0600.
  ASSERT_EQ(ModeOf(StatePath("secrets.json")), 0600U);
  ASSERT_EQ(ModeOf(StatePath("bitwarden-login.json")), 0600U);
  const auto record = nlohmann::json::parse(ReadFile(StatePath("secrets.json")));
  EXPECT_EQ(record["secrets"]["OPENROUTER_API_KEY"]["sha256"], Sha256Hex(bwtest::kValueA));
  EXPECT_FALSE(record["secrets"]["OPENROUTER_API_KEY"]["fetched_at"].get<std::string>().empty());
  EXPECT_FALSE(std::filesystem::exists(StatePath("secrets"))) << "no secret files for env delivery";

  // Right after: nothing due, nothing fetched, nothing changes.
  const auto before = Requests();
  ResourcePlan again = Plan();
  EXPECT_TRUE(again.InSync()) << Describe(again);
  ASSERT_TRUE(facts_.secrets);
  EXPECT_EQ(facts_.secrets->values.at("OPENROUTER_API_KEY"), bwtest::kValueA);
  EXPECT_EQ(Requests(), before);
}

TEST_F(BitwardenSecretsTest, DryRunNeverContactsTheServerAndReadsTheRecord) {
  // No record yet: the plan says a fetch will happen, and touches nothing.
  ResourcePlan fresh = Plan(/*dry_run=*/true);
  ASSERT_EQ(fresh.changes.size(), 1U);
  EXPECT_EQ(fresh.changes[0].action, Action::kCreate);
  EXPECT_FALSE(std::filesystem::exists(StatePath("secrets.json")));
  EXPECT_FALSE(std::filesystem::exists(StatePath("bitwarden-login.json")));

  ASSERT_TRUE(Pass());
  const std::string applied_digest = facts_.secrets->combined_digest;
  const int after_apply = Requests();
  // A one-shot `ironward plan` in another process: fresh reconciler, record on disk.
  rec_ = NewReconciler();
  ASSERT_EQ(double_.Admin("secret", {{"key", "OPENROUTER_API_KEY"}, {"value", bwtest::kRotated}}), 200);
  const auto before_dry = ReadFile(StatePath("secrets.json"));

  // secrets.json is younger than refreshInterval: nothing to fetch, the digests are known.
  ResourcePlan recent = Plan(/*dry_run=*/true);
  EXPECT_TRUE(recent.InSync()) << Describe(recent);
  ASSERT_TRUE(facts_.secrets);
  EXPECT_FALSE(facts_.secrets->pending);
  EXPECT_TRUE(facts_.secrets->values.empty()) << "a dry run holds no values";
  EXPECT_EQ(facts_.secrets->combined_digest, applied_digest) << "the daemon's dry run sees no rotation";

  // Older than refreshInterval: a fetch is due, shown as known after apply.
  clock_.Advance(hours(1));
  ResourcePlan dry = Plan(/*dry_run=*/true);
  ASSERT_FALSE(dry.error);
  ASSERT_EQ(dry.changes.size(), 1U);
  EXPECT_EQ(dry.changes[0].action, Action::kUpdate);
  EXPECT_EQ(dry.changes[0].before["secrets"]["OPENROUTER_API_KEY"],
            "sha256:" + Sha256Hex(bwtest::kValueA).substr(0, 12));
  EXPECT_EQ(dry.changes[0].after["secrets"], kKnownAfterApply);
  ASSERT_TRUE(facts_.secrets);
  EXPECT_TRUE(facts_.secrets->pending);
  EXPECT_TRUE(facts_.secrets->values.empty());
  EXPECT_EQ(ReadFile(StatePath("secrets.json")), before_dry);
  EXPECT_EQ(Requests(), after_apply) << "a dry run must never fetch";
}

TEST_F(BitwardenSecretsTest, RotationIsFetchedWhenTheRefreshIsDue) {
  ASSERT_TRUE(Pass());
  const std::string first = facts_.secrets->combined_digest;
  ASSERT_EQ(double_.Admin("secret", {{"key", "OPENROUTER_API_KEY"}, {"value", bwtest::kRotated}}), 200);
  const int lists = double_.Count("project_secrets");

  clock_.Advance(minutes(59));
  EXPECT_TRUE(Plan().InSync()) << "not due before refreshInterval";
  EXPECT_EQ(double_.Count("project_secrets"), lists);

  clock_.Advance(minutes(1));
  ResourcePlan plan;
  auto out = Pass(&plan);
  ASSERT_EQ(plan.changes.size(), 1U);
  EXPECT_NE(plan.changes[0].reason.find("refresh due"), std::string::npos) << plan.changes[0].reason;
  ASSERT_TRUE(out);
  EXPECT_EQ(out->reason, "Rotated");
  EXPECT_EQ(out->changed, 1);
  EXPECT_NE(out->message.find("OPENROUTER_API_KEY sha256:" + Sha256Hex(bwtest::kValueA).substr(0, 12) +
                              " -> sha256:" + Sha256Hex(bwtest::kRotated).substr(0, 12)),
            std::string::npos)
      << out->message;
  EXPECT_EQ(facts_.secrets->values.at("OPENROUTER_API_KEY"), bwtest::kRotated);
  EXPECT_NE(facts_.secrets->combined_digest, first) << "the daemon sees the rotation";
  EXPECT_EQ(double_.Count("project_secrets"), lists + 1);
  EXPECT_EQ(double_.Count("get_by_ids"), 2);
  const auto record = nlohmann::json::parse(ReadFile(StatePath("secrets.json")));
  EXPECT_EQ(record["secrets"]["OPENROUTER_API_KEY"]["sha256"], Sha256Hex(bwtest::kRotated));
}

TEST_F(BitwardenSecretsTest, ServerErrorAtFirstStartFailsClosedAndBacksOff) {
  ASSERT_EQ(double_.Admin("fault", {{"mode", "500"}}), 200);
  auto out = Pass();
  ASSERT_TRUE(out);
  EXPECT_EQ(out->kind, Outcome::Kind::kRetry);
  EXPECT_EQ(out->reason, "BitwardenUnavailable");
  EXPECT_NE(out->message.find("fail closed"), std::string::npos) << out->message;
  EXPECT_EQ(out->after, seconds(30));
  EXPECT_TRUE(facts_.secrets && facts_.secrets->values.empty());

  // An hour of reconciles every 5 s: attempts at 0, 30, 90, 210, 450, 930, 1890 s (doubling
  // from retryInterval, capped at refreshInterval) - never a hot loop.
  for (int i = 0; i < 720; ++i) {
    clock_.Advance(seconds(5));
    ResourcePlan plan;
    auto o = Pass(&plan);
    if (!o) {
      ASSERT_TRUE(plan.error) << "without values every plan fails closed";
      EXPECT_NE(plan.error->message.find("fail closed"), std::string::npos);
    }
  }
  EXPECT_EQ(double_.Count("project_secrets"), 7);
  EXPECT_EQ(double_.Count("get_by_ids"), 0);

  ASSERT_EQ(double_.Admin("fault", {{"mode", "none"}}), 200);
  clock_.Advance(seconds(1890 + 1920 - 3600));  // the 8th attempt is due at 3810 s
  auto recovered = Pass();
  ASSERT_TRUE(recovered);
  EXPECT_EQ(recovered->kind, Outcome::Kind::kDone) << recovered->message;
  EXPECT_EQ(facts_.secrets->values.at("OPENROUTER_API_KEY"), bwtest::kValueA);
}

TEST_F(BitwardenSecretsTest, RateLimitWaitsForRetryAfter) {
  ASSERT_EQ(double_.Admin("fault", {{"mode", "429"}, {"retry_after", 120}}), 200);
  auto out = Pass();
  ASSERT_TRUE(out);
  EXPECT_EQ(out->kind, Outcome::Kind::kRetry);
  EXPECT_EQ(out->after, seconds(120)) << "Retry-After beats the 30 s retry interval";
  const int lists = double_.Count("project_secrets");
  ASSERT_EQ(lists, 1);
  ASSERT_EQ(double_.Admin("fault", {{"mode", "none"}}), 200);

  clock_.Advance(seconds(119));
  ResourcePlan waiting = Plan();
  ASSERT_TRUE(waiting.error);
  EXPECT_NE(waiting.error->message.find("HTTP 429"), std::string::npos) << waiting.error->message;
  EXPECT_EQ(double_.Count("project_secrets"), lists);

  clock_.Advance(seconds(1));
  auto ok = Pass();
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->kind, Outcome::Kind::kDone) << ok->message;
  EXPECT_EQ(double_.Count("project_secrets"), lists + 1);
}

TEST_F(BitwardenSecretsTest, UnauthorizedIsTerminalUntilTheDesiredStateOrTokenChanges) {
  ASSERT_EQ(double_.Admin("fault", {{"mode", "401"}}), 200);
  auto out = Pass();
  ASSERT_TRUE(out);
  EXPECT_EQ(out->kind, Outcome::Kind::kTerminal);
  EXPECT_EQ(out->reason, "BitwardenRefused");
  const int requests = Requests();

  // A day of reconciles: no request at all.
  for (int i = 0; i < 144; ++i) {
    clock_.Advance(minutes(10));
    ResourcePlan plan;
    EXPECT_FALSE(Pass(&plan));
    ASSERT_TRUE(plan.error);
    EXPECT_EQ(plan.error->kind, ErrorKind::kTerminal);
    EXPECT_EQ(plan.error_reason, "BitwardenRefused") << "later plans keep the reason of the stop";
  }
  EXPECT_EQ(Requests(), requests);

  // Another token: one new attempt (still refused by this server), then quiet again.
  env_.vars["BWS_ACCESS_TOKEN"] =
      "0.ec2c1d46-6a4b-4751-a310-af9601317f2d.OtherSecretOtherSecretOtherSe:X8vbvA0bduihIDe/qrzIQQ==";
  auto other = Pass();
  ASSERT_TRUE(other);
  EXPECT_EQ(other->kind, Outcome::Kind::kTerminal);
  EXPECT_GT(Requests(), requests);
  const int after_token = Requests();
  clock_.Advance(hours(2));
  EXPECT_FALSE(Pass());
  EXPECT_EQ(Requests(), after_token);

  // Desired state changes (and the server recovers): fetched again.
  env_.vars["BWS_ACCESS_TOKEN"] = bwtest::kToken;
  ASSERT_EQ(double_.Admin("fault", {{"mode", "none"}}), 200);
  desired_.spec.credentials.bitwarden.refresh_interval = hours(2);
  auto fixed = Pass();
  ASSERT_TRUE(fixed);
  EXPECT_EQ(fixed->kind, Outcome::Kind::kDone) << fixed->message;
}

TEST_F(BitwardenSecretsTest, RunningWithLastGoodValuesIsDegradedNotDisturbed) {
  ASSERT_TRUE(Pass());
  const std::string digest = facts_.secrets->combined_digest;
  ASSERT_EQ(double_.Admin("fault", {{"mode", "500"}}), 200);
  clock_.Advance(hours(1));
  auto out = Pass();
  ASSERT_TRUE(out);
  EXPECT_EQ(out->kind, Outcome::Kind::kDone) << "the proxy keeps running on the last good values";
  EXPECT_EQ(out->reason, "Degraded");
  EXPECT_NE(out->message.find("HTTP 500"), std::string::npos) << out->message;
  EXPECT_TRUE(out->details.contains("degraded"));
  EXPECT_EQ(out->details.value("refresh_interval_seconds", 0), 3600) << "kept while degraded, for the stale alert";
  EXPECT_EQ(facts_.secrets->values.at("OPENROUTER_API_KEY"), bwtest::kValueA);
  EXPECT_EQ(facts_.secrets->combined_digest, digest) << "no restart for a failed refresh";

  ResourcePlan plan = Plan();
  EXPECT_TRUE(plan.InSync());
  ASSERT_FALSE(plan.warnings.empty());
  EXPECT_NE(plan.warnings.back().find("Degraded"), std::string::npos) << plan.warnings.back();
  EXPECT_TRUE(plan.details.contains("degraded"));

  // Access revoked while running: terminal, still serving the last good values.
  ASSERT_EQ(double_.Admin("fault", {{"mode", "401"}}), 200);
  clock_.Advance(seconds(31));
  auto revoked = Pass();
  ASSERT_TRUE(revoked);
  EXPECT_EQ(revoked->reason, "Degraded");
  const int requests = Requests();
  clock_.Advance(hours(3));
  ResourcePlan later;
  EXPECT_FALSE(Pass(&later));
  EXPECT_EQ(Requests(), requests) << "terminal: no more requests";
  EXPECT_FALSE(later.error);
  EXPECT_EQ(facts_.secrets->values.at("OPENROUTER_API_KEY"), bwtest::kValueA);
}

// A fresh process (a one-shot `ironward reconcile`, or `run` after a restart) has no values in
// memory. With Bitwarden down it must not report "fail closed" for a proxy that is running on the
// last good values: secrets.json records their digests, so it is Degraded, the facts carry those
// digests (the daemon sees no change) and say the values themselves are unavailable.
TEST_F(BitwardenSecretsTest, FreshProcessWithBitwardenDownKeepsTheRecordedDigestsDegraded) {
  ASSERT_TRUE(Pass());
  const std::string digest = facts_.secrets->combined_digest;
  ASSERT_FALSE(facts_.secrets->values_unavailable);

  ASSERT_EQ(double_.Admin("fault", {{"mode", "500"}}), 200);
  rec_ = NewReconciler();  // another process: nothing in memory
  facts_ = Facts{};
  auto out = Pass();
  ASSERT_TRUE(out);
  EXPECT_EQ(out->kind, Outcome::Kind::kDone) << out->reason << ": " << out->message;
  EXPECT_EQ(out->reason, "Degraded");
  EXPECT_NE(out->message.find("HTTP 500"), std::string::npos) << out->message;
  EXPECT_NE(out->message.find("secrets.json"), std::string::npos) << out->message;
  EXPECT_GT(out->after.count(), 0) << "`run` comes back at the next retry";
  EXPECT_EQ(out->details.value("values_in_memory", true), false);
  EXPECT_EQ(out->details.value("refresh_interval_seconds", 0), 3600);
  ASSERT_TRUE(facts_.secrets);
  EXPECT_TRUE(facts_.secrets->values_unavailable);
  EXPECT_TRUE(facts_.secrets->values.empty());
  EXPECT_EQ(facts_.secrets->combined_digest, digest) << "the proxy's recorded inputs: no restart planned";

  // Before the retry is due the plan says the same, without an error.
  ResourcePlan plan = Plan();
  EXPECT_FALSE(plan.error) << plan.error->message;
  ASSERT_TRUE(facts_.secrets);
  EXPECT_TRUE(facts_.secrets->values_unavailable);
  EXPECT_EQ(facts_.secrets->combined_digest, digest);

  // Bitwarden back: the retry fetches and the values are in memory again.
  ASSERT_EQ(double_.Admin("fault", {{"mode", "none"}}), 200);
  clock_.Advance(std::chrono::minutes(2));
  auto healed = Pass();
  ASSERT_TRUE(healed);
  EXPECT_EQ(healed->kind, Outcome::Kind::kDone);
  EXPECT_NE(healed->reason, "Degraded") << healed->message;
  EXPECT_FALSE(facts_.secrets->values_unavailable);
  EXPECT_EQ(facts_.secrets->values.at("OPENROUTER_API_KEY"), bwtest::kValueA);
}

// Without a record of this project (never fetched, or another project) it still fails closed.
TEST_F(BitwardenSecretsTest, FreshProcessWithoutARecordOfThisProjectFailsClosed) {
  ASSERT_TRUE(Pass());
  ASSERT_EQ(double_.Admin("fault", {{"mode", "500"}}), 200);
  rec_ = NewReconciler();
  facts_ = Facts{};
  desired_.spec.credentials.bitwarden.project_id = "00000000-0000-4000-8000-000000000000";
  auto out = Pass();
  ASSERT_TRUE(out);
  EXPECT_NE(out->kind, Outcome::Kind::kDone);
  EXPECT_NE(out->message.find("fail closed"), std::string::npos) << out->message;
}

TEST_F(BitwardenSecretsTest, MissingKeyInTheProjectNamesTheKey) {
  spec::Provider openai;
  openai.name = "openai";
  openai.secret = "OPENAI_API_KEY";
  openai.hosts = {"api.openai.com"};
  desired_.spec.providers.push_back(openai);
  auto out = Pass();
  ASSERT_TRUE(out);
  EXPECT_NE(out->kind, Outcome::Kind::kDone);
  EXPECT_NE(out->message.find("secret 'OPENAI_API_KEY' not found in Bitwarden project " + bwtest::kProjectId),
            std::string::npos)
      << out->message;
  EXPECT_NE(out->message.find("the machine account needs read access to the project"), std::string::npos)
      << "Bitwarden lists an unreadable project as empty: " << out->message;
  EXPECT_TRUE(facts_.secrets && facts_.secrets->values.empty()) << "fail closed";

  // Added in Bitwarden: picked up on the retry schedule, without touching the desired state.
  ASSERT_EQ(double_.Admin("secret", {{"key", "OPENAI_API_KEY"}, {"value", bwtest::kRotated}}), 200);
  clock_.Advance(seconds(30));
  auto ok = Pass();
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->kind, Outcome::Kind::kDone) << ok->message;
  EXPECT_EQ(facts_.secrets->values.at("OPENAI_API_KEY"), bwtest::kRotated);
}

// A key pasted into Bitwarden with a newline: trimmed with a warning naming it; one with a line
// break inside cannot be used and is retried on the back-off schedule (fixable in Bitwarden).
TEST_F(BitwardenSecretsTest, ALineBreakAtTheEndIsTrimmedOneInsideIsRetriedUntilFixed) {
  ASSERT_EQ(double_.Admin("secret", {{"key", "OPENROUTER_API_KEY"}, {"value", bwtest::kValueA + "\n"}}),
            200);
  auto out = Pass();
  ASSERT_TRUE(out);
  ASSERT_EQ(out->kind, Outcome::Kind::kDone) << out->message;
  EXPECT_EQ(facts_.secrets->values.at("OPENROUTER_API_KEY"), bwtest::kValueA);
  EXPECT_NE(out->message.find("1 secret value(s) trimmed of a trailing line break"), std::string::npos)
      << out->message;
  EXPECT_NE(out->details.dump().find("secret 'OPENROUTER_API_KEY' in Bitwarden project " + bwtest::kProjectId +
                                     " ends with a line break"),
            std::string::npos)
      << out->details.dump();
  // The next plan (nothing due) still says so.
  ResourcePlan again = Plan();
  ASSERT_EQ(again.warnings.size(), 1U) << Describe(again);
  EXPECT_NE(again.warnings[0].find("OPENROUTER_API_KEY"), std::string::npos);

  // At the next refresh one arrives with a line break inside: the last good values are kept.
  ASSERT_EQ(double_.Admin("secret", {{"key", "ANTHROPIC_API_KEY"}, {"value", "sk-ant\n-split"}}), 200);
  clock_.Advance(hours(1) + minutes(10));
  auto refused = Pass();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->reason, "Degraded") << refused->message;
  EXPECT_EQ(facts_.secrets->values.at("ANTHROPIC_API_KEY"), bwtest::kValueB);
  EXPECT_NE(refused->message.find("secret 'ANTHROPIC_API_KEY' in Bitwarden project " + bwtest::kProjectId +
                                  " contains a line feed (LF) inside its value"),
            std::string::npos)
      << refused->message;
  EXPECT_EQ(refused->message.find("-split"), std::string::npos);

  ASSERT_EQ(double_.Admin("secret", {{"key", "ANTHROPIC_API_KEY"}, {"value", bwtest::kRotated}}), 200);
  clock_.Advance(seconds(30));
  auto fixed = Pass();
  ASSERT_TRUE(fixed);
  EXPECT_EQ(fixed->kind, Outcome::Kind::kDone) << fixed->message;
  EXPECT_EQ(fixed->reason, "Rotated") << fixed->message;
  EXPECT_EQ(facts_.secrets->values.at("ANTHROPIC_API_KEY"), bwtest::kRotated);
}

TEST_F(BitwardenSecretsTest, MalformedOrMissingTokenIsTerminalWithoutARequest) {
  env_.vars["BWS_ACCESS_TOKEN"] = "not-a-token";
  ResourcePlan plan = Plan();
  ASSERT_TRUE(plan.error);
  EXPECT_EQ(plan.error->kind, ErrorKind::kTerminal);
  EXPECT_NE(plan.error->message.find("$BWS_ACCESS_TOKEN"), std::string::npos) << plan.error->message;
  EXPECT_NE(plan.error->message.find("fail closed"), std::string::npos);
  EXPECT_EQ(plan.error->message.find("not-a-token"), std::string::npos);
  EXPECT_EQ(plan.error_reason, "AccessTokenInvalid");

  env_.vars.erase("BWS_ACCESS_TOKEN");
  ResourcePlan unset = Plan();
  ASSERT_TRUE(unset.error);
  EXPECT_NE(unset.error->message.find("not set or empty"), std::string::npos) << unset.error->message;
  EXPECT_EQ(Requests(), 0);
}

TEST_F(BitwardenSecretsTest, FileDeliveryWritesPrivateFilesAndRewritesThemOnRotation) {
  SetProxyVersion("0.45.0");
  ASSERT_TRUE(Pass());
  const auto file = StatePath("secrets/OPENROUTER_API_KEY");
  ASSERT_TRUE(std::filesystem::exists(file));
  EXPECT_EQ(ModeOf(file), 0600U);
  EXPECT_EQ(ModeOf(StatePath("secrets")), 0700U);
  EXPECT_EQ(ReadFile(file), bwtest::kValueA);
  EXPECT_EQ(ReadFile(StatePath("secrets/ANTHROPIC_API_KEY")), bwtest::kValueB);
  EXPECT_EQ(facts_.secrets->combined_digest.rfind("file:", 0), 0U) << "the daemon reloads instead of restarting";

  // A deleted file is rewritten from memory, without a fetch.
  const int requests = Requests();
  std::filesystem::remove(file);
  ResourcePlan plan;
  auto out = Pass(&plan);
  ASSERT_EQ(plan.changes.size(), 1U);
  EXPECT_EQ(plan.changes[0].address, kSecretFilesAddress);
  EXPECT_NE(plan.changes[0].reason.find("OPENROUTER_API_KEY missing"), std::string::npos);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->kind, Outcome::Kind::kDone);
  EXPECT_EQ(ReadFile(file), bwtest::kValueA);
  EXPECT_EQ(Requests(), requests);

  // Rotation: the file gets the new value.
  ASSERT_EQ(double_.Admin("secret", {{"key", "OPENROUTER_API_KEY"}, {"value", bwtest::kRotated}}), 200);
  clock_.Advance(hours(1));
  auto rotated = Pass();
  ASSERT_TRUE(rotated);
  EXPECT_EQ(rotated->reason, "Rotated");
  EXPECT_EQ(ReadFile(file), bwtest::kRotated);
  EXPECT_EQ(ModeOf(file), 0600U);

  // A provider removed: its file goes too.
  desired_.spec.providers.pop_back();
  ASSERT_TRUE(Pass());
  EXPECT_FALSE(std::filesystem::exists(StatePath("secrets/ANTHROPIC_API_KEY")));
}

TEST_F(BitwardenSecretsTest, LoginCacheSurvivesARestart) {
  ASSERT_TRUE(Pass());
  EXPECT_EQ(double_.Count("identity"), 1);
  rec_ = NewReconciler();  // ironward restarted: memory gone, state dir kept
  auto out = Pass();
  ASSERT_TRUE(out);
  EXPECT_EQ(out->kind, Outcome::Kind::kDone) << out->message;
  EXPECT_EQ(double_.Count("identity"), 1) << "the cached bearer is reused";
  EXPECT_EQ(double_.Count("project_secrets"), 2);
}

TEST_F(BitwardenSecretsTest, EnvFallbackServesEnvironmentValuesWhenAllowed) {
  ASSERT_EQ(double_.Admin("fault", {{"mode", "500"}}), 200);
  desired_.spec.credentials.allow_env_fallback = true;
  env_.vars["OPENROUTER_API_KEY"] = "env-fallback-value-1";
  env_.vars["ANTHROPIC_API_KEY"] = "env-fallback-value-2";
  auto out = Pass();
  ASSERT_TRUE(out);
  EXPECT_EQ(out->kind, Outcome::Kind::kDone) << out->message;
  EXPECT_EQ(out->reason, "Degraded");
  EXPECT_NE(out->message.find("allowEnvFallback"), std::string::npos);
  EXPECT_EQ(facts_.secrets->values.at("OPENROUTER_API_KEY"), "env-fallback-value-1");
  EXPECT_EQ(out->message.find("env-fallback-value"), std::string::npos);
}

TEST_F(BitwardenSecretsTest, SecretEnvSecretsAreFetchedForSandboxesOnlyAndAMissingOneFailsNoFetch) {
  SetProxyVersion("0.45.0");  // file delivery: the proxy's secret files must not get a sandbox's secret
  spec::Sandbox bot;
  bot.name = "bot";
  bot.image = "local/bot:1";
  bot.secret_env = {{"BOT_TOKEN", "TELEGRAM_BOT_TOKEN"}, {"DASH_PASSWORD", "DASHBOARD_PASSWORD"}};
  desired_.spec.sandboxes.push_back(bot);
  ASSERT_EQ(double_.Admin("secret", {{"key", "TELEGRAM_BOT_TOKEN"}, {"value", bwtest::kRotated}}), 200);

  auto out = Pass();
  ASSERT_TRUE(out);
  EXPECT_EQ(out->kind, Outcome::Kind::kDone) << out->message;
  ASSERT_TRUE(facts_.secrets);
  EXPECT_EQ(facts_.secrets->sandbox_values.at("TELEGRAM_BOT_TOKEN"), bwtest::kRotated);
  EXPECT_EQ(facts_.secrets->values.count("TELEGRAM_BOT_TOKEN"), 0U);
  EXPECT_EQ(facts_.secrets->values.size(), 2U);
  EXPECT_NE(facts_.secrets->sandbox_missing.at("DASHBOARD_PASSWORD").find("not found in Bitwarden project"),
            std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(StatePath("secrets/TELEGRAM_BOT_TOKEN")));
  EXPECT_TRUE(std::filesystem::exists(StatePath("secrets/OPENROUTER_API_KEY")));
  const auto record = nlohmann::json::parse(ReadFile(StatePath("secrets.json")));
  EXPECT_EQ(record["secrets"]["TELEGRAM_BOT_TOKEN"]["sha256"], Sha256Hex(bwtest::kRotated));
  EXPECT_EQ(double_.Count("project_secrets"), 1);

  // Next pass: nothing to fetch, the warning stays until Bitwarden has the secret.
  ResourcePlan quiet = Plan();
  EXPECT_TRUE(quiet.changes.empty()) << Describe(quiet);
  ASSERT_EQ(quiet.warnings.size(), 1U) << Describe(quiet);
  EXPECT_NE(quiet.warnings[0].find("secretEnv secret DASHBOARD_PASSWORD"), std::string::npos);
  EXPECT_EQ(facts_.secrets->sandbox_values.at("TELEGRAM_BOT_TOKEN"), bwtest::kRotated);

  ASSERT_EQ(double_.Admin("secret", {{"key", "DASHBOARD_PASSWORD"}, {"value", bwtest::kValueB + "-dash"}}), 200);
  clock_.Advance(hours(1));
  ASSERT_TRUE(Pass());
  EXPECT_TRUE(facts_.secrets->sandbox_missing.empty());
  EXPECT_EQ(facts_.secrets->sandbox_values.at("DASHBOARD_PASSWORD"), bwtest::kValueB + "-dash");
}

}  // namespace
}  // namespace ironward::secrets::test
