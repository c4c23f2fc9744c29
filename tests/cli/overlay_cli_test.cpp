// Overlays through the real binary: `-f base.yaml -f host.yaml` on validate, reconcile, status,
// doctor and down, as a fleet's host runs them (docs/desired-state.md#overlays).
#include <sys/wait.h>

#include <cstdlib>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "reconcilers/daemon/daemon_control.h"
#include "tests/support/gateway_yaml.h"
#include "tests/support/packaged_release.h"
#include "tests/support/ports.h"
#include "tests/support/temp_dir.h"

// Its own namespace: the cli_tests unity build compiles this with cli_test.cpp.
namespace ironward::overlay_cli {
namespace {

using ironward::testing::ReadFile;
using ironward::testing::WriteFile;
namespace testing = ironward::testing;

constexpr const char* kSecretValue = "sk-or-v1-OVERLAY-SECRET-do-not-leak-31c7";

struct CmdResult {
  int code = -1;
  std::string out;
  std::string err;
};

class OverlayCliTest : public testing::PackagedReleaseTest {
 protected:
  void SetUp() override {
    base_ = tmp_.path() / "base.yaml";
    host_ = tmp_.path() / "hosts" / "web1.yaml";
    state_ = tmp_.path() / "state";
    std::filesystem::create_directories(host_.parent_path());
    const int port = testing::FreeLoopbackPorts(6, 12000);
    ASSERT_GT(port, 0);
    // The fleet's base: the release, the providers. The host's file adds what is its own.
    WriteFile(base_, PackagedGateway(port).Render());
    WriteFile(host_,
              "# web1's own settings\n"                     // 1
              "metadata:\n"                                 // 2
              "  name: web1\n"                              // 3
              "spec:\n"                                     // 4
              "  providers:\n"                              // 5
              "    - name: openai\n"                        // 6
              "      hosts: [\"api.openai.com\", \"eu.api.openai.com\"]\n"  // 7
              "  allowlist: [\"pypi.org\"]\n");             // 8
  }

  void TearDown() override {
    if (std::filesystem::exists(state_ / "iron-proxy.pid")) {
      (void)daemon::StopProxy(state_, std::chrono::milliseconds(3000));
    }
    EXPECT_EQ(transcript_.find(kSecretValue), std::string::npos) << "a secret value was printed";
  }

  CmdResult Ironward(const std::string& args) {
    const auto out = tmp_.path() / "stdout";
    const auto err = tmp_.path() / "stderr";
    const std::string cmd = "OPENROUTER_API_KEY='" + std::string(kSecretValue) + "' OPENAI_API_KEY=sk-two " IRONWARD_BIN
                            " --state-dir '" + state_.string() + "' " + args + " >'" + out.string() + "' 2>'" +
                            err.string() + "'";
    const int status = std::system(cmd.c_str());
    CmdResult r{WIFEXITED(status) ? WEXITSTATUS(status) : -1, ReadFile(out), ReadFile(err)};
    transcript_ += r.out + r.err;
    return r;
  }

  std::string Files() const { return "-f '" + base_.string() + "' -f '" + host_.string() + "'"; }

  nlohmann::json ValidateJson(const std::string& args) {
    const auto r = Ironward("validate " + args + " -o json");
    EXPECT_EQ(r.code, 0) << r.err;
    return r.code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json::object();
  }

  testing::TempDir tmp_;
  std::filesystem::path base_;
  std::filesystem::path host_;
  std::filesystem::path state_;
  std::string transcript_;
};

TEST_F(OverlayCliTest, ValidatePrintsTheMergedDocumentThatLoadsBackToTheSameDigest) {
  const auto r = Ironward("validate " + Files() + " -o yaml");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string& yaml = r.out;
  EXPECT_EQ(yaml.rfind("# merged by ironward from: " + base_.string() + " " + host_.string() + "\n", 0), 0U) << yaml;
  EXPECT_NE(yaml.find("  name: web1\n"), std::string::npos) << yaml;
  // openai merged by name: the host's hosts, the base's secret; the allowlist replaced.
  EXPECT_NE(yaml.find("    - name: openai\n      secret: OPENAI_API_KEY\n      hosts:\n        - api.openai.com\n"
                      "        - eu.api.openai.com\n"),
            std::string::npos)
      << yaml;
  EXPECT_NE(yaml.find("  allowlist:\n    - pypi.org\n"), std::string::npos) << yaml;
  EXPECT_EQ(yaml.find("api.github.com"), std::string::npos) << "a list without names is replaced\n" << yaml;

  // One file is printed as it is written, comments and all.
  EXPECT_EQ(Ironward("validate -f '" + base_.string() + "' -o yaml").out, ReadFile(base_));

  const auto merged = tmp_.path() / "merged.yaml";
  WriteFile(merged, yaml);
  EXPECT_EQ(ValidateJson("-f '" + merged.string() + "'")["digest"], ValidateJson(Files())["digest"]);
  // The base on stdin, the overlay from a file.
  const auto piped = Ironward("validate -f - -f '" + host_.string() + "' -o json < '" + base_.string() + "'");
  ASSERT_EQ(piped.code, 0) << piped.err;
  EXPECT_EQ(nlohmann::json::parse(piped.out)["digest"], ValidateJson(Files())["digest"]);
}

TEST_F(OverlayCliTest, ASemanticErrorIsReportedInTheOverlayFileThatSetTheValue) {
  WriteFile(host_, ReadFile(host_) +
                       "  proxy:\n"                 // 9
                       "    logLevel: loud\n"       // 10
                       "  sandboxes:\n"             // 11
                       "    - name: agent\n"        // 12
                       "      image: local/a:1\n"   // 13
                       "      env: {HTTPS_PROXY: http://elsewhere:3128}\n");  // 14
  const auto r = Ironward("validate " + Files());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(host_.string() + ":10:15: spec.proxy.logLevel: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(host_.string() + ":14:13: spec.sandboxes[0].env: 'HTTPS_PROXY' is set by ironward"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find(base_.string() + ":"), std::string::npos) << "nothing is wrong in the base\n" << r.err;
  EXPECT_EQ(r.out, "");
  const auto as_yaml = Ironward("validate " + Files() + " -o yaml");
  EXPECT_EQ(as_yaml.code, 1);
  EXPECT_EQ(as_yaml.out, "") << "nothing is printed for an invalid merge";

  // A mapping in the base against a scalar in the overlay: both places named.
  WriteFile(host_, "spec:\n  ca: ecdsa-p256\n");
  const auto conflict = Ironward("validate " + Files());
  EXPECT_EQ(conflict.code, 1);
  EXPECT_NE(conflict.err.find(host_.string() + ":2:7: spec.ca: a scalar here cannot replace a mapping set at " +
                              base_.string() + ":21:3"),
            std::string::npos)
      << conflict.err;
}

TEST_F(OverlayCliTest, TheDigestChangesWhenOnlyTheOverlayChanges) {
  const auto before = ValidateJson(Files());
  EXPECT_EQ(before["files"], nlohmann::json::array({base_.string(), host_.string()}));
  WriteFile(host_, testing::With(ReadFile(host_), "pypi.org", "files.pythonhosted.org"));
  const auto after = ValidateJson(Files());
  EXPECT_NE(after["digest"], before["digest"]);
  EXPECT_NE(after["digest"], ValidateJson("-f '" + base_.string() + "'")["digest"]);
  // A comment is not a change of the desired state.
  WriteFile(host_, "# edited\n" + ReadFile(host_));
  EXPECT_EQ(ValidateJson(Files())["digest"], after["digest"]);
}

TEST_F(OverlayCliTest, StdinMayBeOneOfTheFilesOnlyOnceAndEachFlagTakesOneFile) {
  EXPECT_EQ(Ironward("validate -f - -f - < '" + base_.string() + "'").code, 64);
  EXPECT_EQ(Ironward("reconcile --dry-run -f - -f - < '" + base_.string() + "'").code, 64);
  const auto two_values = Ironward("validate -f '" + base_.string() + "' '" + host_.string() + "'");
  EXPECT_EQ(two_values.code, 64) << "one file per -f, never a silent overlay";
  EXPECT_EQ(Ironward("run -f '" + base_.string() + "' -f -").code, 64) << "a stream cannot be watched";
  const auto help = Ironward("validate --help");
  EXPECT_NE(help.out.find("repeat -f to merge overlays in order"), std::string::npos) << help.out;
}

// The same pair of files through an apply, status, doctor and down: each names both files.
TEST_F(OverlayCliTest, ReconcileRecordsEveryFileAndTheOtherCommandsTakeThemToo) {
  const auto plan = Ironward("reconcile " + Files() + " --dry-run");
  EXPECT_EQ(plan.code, 2) << plan.err;
  const auto apply = Ironward("reconcile " + Files());
  ASSERT_EQ(apply.code, 0) << apply.out << apply.err;
  EXPECT_NE(ReadFile(state_ / "proxy.yaml").find("eu.api.openai.com"), std::string::npos) << "the overlay is applied";
  EXPECT_NE(ReadFile(state_ / "proxy.yaml").find("pypi.org"), std::string::npos);

  const auto status = nlohmann::json::parse(ReadFile(state_ / "status.json"));
  EXPECT_EQ(status["desired"]["name"], "web1");
  EXPECT_EQ(status["desired"]["path"], base_.string());
  EXPECT_EQ(status["desired"]["paths"], nlohmann::json::array({base_.string(), host_.string()}));
  EXPECT_EQ(status["desired"]["digest"], ValidateJson(Files())["digest"]);
  const auto text = Ironward("status");
  EXPECT_NE(text.out.find("EgressGateway \"web1\" from " + base_.string() + " + " + host_.string()), std::string::npos)
      << text.out;

  const auto doctor = Ironward("doctor " + Files() + " -o json");
  const auto checks = nlohmann::json::parse(doctor.out)["checks"];
  ASSERT_TRUE(checks.is_array()) << doctor.out << doctor.err;
  EXPECT_EQ(checks[0].value("check", ""), "desired-state");
  EXPECT_EQ(checks[0].value("result", ""), "pass") << checks[0].dump();
  EXPECT_EQ(checks[0].value("detail", ""), base_.string() + " + " + host_.string() + " loads and validates");

  // A saved plan carries the merged document and every file; apply needs none of them.
  const std::string plan_file = (tmp_.path() / "plan.json").string();
  ASSERT_EQ(Ironward("reconcile " + Files() + " --dry-run --out '" + plan_file + "'").code, 0);
  const auto saved = nlohmann::json::parse(ReadFile(tmp_.path() / "plan.json"))["ironward_plan"];
  EXPECT_EQ(saved["desired_paths"], nlohmann::json::array({base_.string(), host_.string()}));
  EXPECT_EQ(saved["desired_yaml"].get<std::string>().rfind("# merged by ironward from:", 0), 0U);
  EXPECT_EQ(Ironward("apply '" + plan_file + "'").code, 0) << transcript_;

  const auto down = Ironward("down " + Files());
  EXPECT_EQ(down.code, 0) << down.out << down.err;
  EXPECT_FALSE(std::filesystem::exists(state_ / "iron-proxy.pid"));
  const auto back = Ironward("status");
  EXPECT_NE(back.out.find("reconcile -f " + base_.string() + " -f " + host_.string()), std::string::npos)
      << "the way back names both files\n" << back.out;
}

}  // namespace
}  // namespace ironward::overlay_cli
