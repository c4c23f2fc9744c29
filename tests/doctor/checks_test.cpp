#include <gtest/gtest.h>

#include <map>

#include "controller/doctor/checks.h"
#include "reconcilers/ca/openssl_ca.h"
#include "tests/fakes/fake_docker.h"

namespace ironward::doctor {
namespace {

using namespace std::chrono_literals;

const Hints kHints{"ironward --state-dir '/srv/iw'", "gw.yaml"};

std::string CaValidFor(std::chrono::seconds validity, SystemTime now) {
  ca::CaRequest req;
  req.algorithm = spec::CaAlgorithm::kEcdsaP256;
  req.subject = ca::CaSubject::For("test", 1);
  req.validity = validity;
  req.now = now;
  auto generated = ca::GenerateCa(req);
  EXPECT_TRUE(generated.ok());
  return generated ? generated->cert_pem : "";
}

TEST(DoctorCaCheckTest, PassesOutsideTheWindowWarnsInsideItFailsWhenExpiredOrMissing) {
  const SystemTime now = std::chrono::system_clock::now();
  const std::string pem = CaValidFor(std::chrono::hours(24 * 40), now);
  EXPECT_EQ(CaCheck(pem, now, kHints).result, Result::kPass);
  const auto warn = CaCheck(pem, now + std::chrono::hours(24 * 20), kHints);
  EXPECT_EQ(warn.result, Result::kWarn);
  EXPECT_NE(warn.detail.find("expires in 19 day(s)"), std::string::npos) << warn.detail;  // floor of 19.99 days
  EXPECT_EQ(warn.fix.rfind("ironward --state-dir '/srv/iw' reconcile -f gw.yaml", 0), 0U) << warn.fix;
  EXPECT_EQ(CaCheck(pem, now + std::chrono::hours(24 * 41), kHints).result, Result::kFail);
  const auto missing = CaCheck(std::nullopt, now, kHints);
  EXPECT_EQ(missing.result, Result::kFail);
  EXPECT_EQ(missing.fix, "ironward --state-dir '/srv/iw' reconcile -f gw.yaml");
  EXPECT_EQ(CaCheck(std::string("not a certificate"), now, kHints).result, Result::kFail);
}

TEST(DoctorSkipTest, DockerIsSkippedOnlyWithoutSandboxesAndWithoutTheInternalNetwork) {
  spec::Spec s;
  EXPECT_FALSE(NeedsDocker(s));
  EXPECT_EQ(DockerCheck(s, nullptr, "unsupported DOCKER_HOST").result, Result::kSkip);
  s.enforcement.network = spec::NetworkMode::kInternal;
  EXPECT_TRUE(NeedsDocker(s));
  const auto c = DockerCheck(s, nullptr, "unsupported DOCKER_HOST");
  EXPECT_EQ(c.result, Result::kFail);
  EXPECT_NE(c.fix.find("DOCKER_HOST"), std::string::npos) << c.fix;
  s.enforcement.network = spec::NetworkMode::kNone;
  s.sandboxes.emplace_back();
  EXPECT_TRUE(NeedsDocker(s));
}

// The engine is asked (Ping) when something needs it: down is a failure with the DOCKER_HOST
// hint, up is a pass.
TEST(DoctorChecksTest, DockerPingsTheEngineWhenSomethingNeedsIt) {
  spec::Spec s;
  s.sandboxes.emplace_back();
  docker::FakeDocker engine;
  EXPECT_EQ(DockerCheck(s, &engine, "").result, Result::kPass);
  engine.SetEngineDown(true);
  const auto down = DockerCheck(s, &engine, "");
  EXPECT_EQ(down.result, Result::kFail);
  EXPECT_NE(down.detail.find("cannot reach the Docker engine"), std::string::npos) << down.detail;
  EXPECT_NE(down.fix.find("DOCKER_HOST"), std::string::npos) << down.fix;
}

TEST(DoctorSkipTest, BitwardenChecksTheTokenVariableOnlyForTheBitwardenSourceAndNeverShowsIt) {
  spec::Spec s;
  std::map<std::string, std::string> env;
  const EnvLookup lookup = [&env](const std::string& n) -> std::optional<std::string> {
    auto it = env.find(n);
    return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  EXPECT_EQ(BitwardenCheck(s, lookup).result, Result::kSkip);
  s.credentials.source = spec::CredentialSource::kBitwarden;
  const auto unset = BitwardenCheck(s, lookup);
  EXPECT_EQ(unset.result, Result::kFail);
  EXPECT_NE(unset.detail.find("$BWS_ACCESS_TOKEN is not set"), std::string::npos) << unset.detail;
  env["BWS_ACCESS_TOKEN"] = "0.not-a-uuid.SECRETPART:junk";
  const auto bad = BitwardenCheck(s, lookup);
  EXPECT_EQ(bad.result, Result::kFail);
  EXPECT_EQ((bad.detail + bad.fix).find("SECRETPART"), std::string::npos) << "never shows the token";
  env["BWS_ACCESS_TOKEN"] = "0.ec2c1d46-6a4b-4751-a310-af9601317f2d.C2IgxjjLF7qSshsbwe8JGcbM075YXw:X8vbvA0bduihIDe/qrzIQQ==";
  const auto ok = BitwardenCheck(s, lookup);
  EXPECT_EQ(ok.result, Result::kPass) << ok.detail;
  EXPECT_EQ(ok.detail.find("C2Igxj"), std::string::npos);
}

TEST(DoctorChecksTest, DesiredStateFailureShowsTheFirstErrorsAndTheValidateCommand) {
  const auto c = DesiredStateCheck(false, "gw.yaml:1:1: a\ngw.yaml:2:1: b\ngw.yaml:3:1: c\ngw.yaml:4:1: d\n", kHints);
  EXPECT_EQ(c.result, Result::kFail);
  EXPECT_EQ(c.detail, "gw.yaml:1:1: a; gw.yaml:2:1: b; gw.yaml:3:1: c; (1 more)");
  EXPECT_EQ(c.fix, "ironward validate -f gw.yaml");
  EXPECT_EQ(SkippedForDesiredState("docker").result, Result::kSkip);
}

TEST(DoctorChecksTest, ProxyFixRestartsTheServiceWhenARunManagesIt) {
  EXPECT_EQ(ProxyCheck(true, "pid 1 serving", false, kHints).result, Result::kPass);
  EXPECT_EQ(ProxyCheck(false, "gone", false, kHints).fix, "ironward --state-dir '/srv/iw' reconcile -f gw.yaml");
  EXPECT_EQ(ProxyCheck(false, "gone", true, kHints).fix.rfind("systemctl restart ironward", 0), 0U);
}

TEST(DoctorChecksTest, SurveyWarnsListingWhatIsMissing) {
  harden::BaselineVerdict v;
  v.satisfied = true;
  EXPECT_EQ(SurveyCheck(v, "").result, Result::kPass);
  v.satisfied = false;
  v.missing = {"ufw", "ssh-password-auth"};
  const auto c = SurveyCheck(v, "ufw enable");
  EXPECT_EQ(c.result, Result::kWarn);
  EXPECT_NE(c.detail.find("missing: ufw, ssh-password-auth"), std::string::npos) << c.detail;
  EXPECT_NE(c.fix.find("ufw enable"), std::string::npos);
}

TEST(DoctorReportTest, WarnAndSkipDoNotFailAndEveryNonPassGetsAFixLine) {
  std::vector<Check> checks = {{"a", Result::kPass, "ok", ""},
                               {"b", Result::kWarn, "meh", "do b"},
                               {"c", Result::kSkip, "n/a", ""}};
  EXPECT_TRUE(Passed(checks));
  EXPECT_TRUE(ToJson(checks)["passed"].get<bool>());
  checks.push_back({"d", Result::kFail, "broken", "do d"});
  EXPECT_FALSE(Passed(checks));
  const auto j = ToJson(checks);
  EXPECT_FALSE(j["passed"].get<bool>());
  EXPECT_EQ(j["checks"][3]["result"], "fail");
  EXPECT_EQ(j["checks"][3]["fix"], "do d");
  const std::string text = ToText(checks);
  EXPECT_NE(text.find("b              | warn   | meh\n"), std::string::npos) << text;
  EXPECT_NE(text.find("fix: do b\n"), std::string::npos) << text;
  EXPECT_NE(text.find("fix: do d\n"), std::string::npos) << text;
  EXPECT_NE(text.find("FAIL: 1 failed, 1 warning(s)"), std::string::npos) << text;
}

}  // namespace
}  // namespace ironward::doctor
