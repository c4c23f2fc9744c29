// Runs the real `ironward` binary the way a user or a script would.
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <regex>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <netinet/in.h>
#include <sys/socket.h>

#include "reconcilers/daemon/daemon_control.h"
#include "state/encoding.h"
#include "tests/support/eventually.h"
#include "tests/support/gateway_yaml.h"
#include "tests/support/packaged_release.h"
#include "tests/support/ports.h"
#include "tests/support/process.h"
#include "tests/support/snapshot.h"
#include "tests/support/temp_dir.h"

namespace ironward {
namespace {

using testing::ReadFile;
using testing::Snapshot;
using testing::TempDir;
using testing::WriteFile;

constexpr const char* kSecretValue = "sk-or-v1-REAL-SECRET-do-not-leak-7f3a9c";
constexpr const char* kSecondSecret = "sk-proj-ANOTHER-REAL-SECRET-4411ee";

struct CmdResult {
  int code = -1;
  std::string out;
  std::string err;
};

/// A base port whose six listeners (tunnel, http, metrics, management, dns, https) are free.
int FreePortBase() { return testing::FreeLoopbackPorts(6, 10000); }

/// A process named "ironward" standing in for an `ironward run` (status and down check that the
/// recorded pid lives and is an ironward); killed and reaped on destruction.
class RunStandIn {
 public:
  pid_t pid() const { return child_.pid(); }
  /// Once exec'd: its command line names ironward.
  bool Ready() const {
    return pid() > 0 && testing::Eventually(
                            [&] { return ReadFile("/proc/" + std::to_string(pid()) + "/cmdline").rfind("ironward", 0) == 0; },
                            std::chrono::seconds(5));
  }

 private:
  testing::ChildProcess child_{{"/bin/bash", "-c", "exec -a ironward sleep 60"}};
};

/// The project's iron-proxy test double, packaged once like a real release (file:// source).
class CliTest : public testing::PackagedReleaseTest {
 protected:
  void SetUp() override {
    spec_ = tmp_.path() / "gateway.yaml";
    state_ = tmp_.path() / "state";
    const int base = FreePortBase();
    ASSERT_GT(base, 0);
    gateway_ = PackagedGateway(base).Render();
    WriteFile(spec_, gateway_);
  }

  void TearDown() override {
    // Every proxy a test started is stopped (SIGTERM, then SIGKILL only if still the same process).
    if (std::filesystem::exists(state_ / "iron-proxy.pid")) {
      (void)daemon::StopProxy(state_, std::chrono::milliseconds(3000));
    }
  }

  CmdResult Ironward(const std::string& args) {
    const auto out = tmp_.path() / "stdout";
    const auto err = tmp_.path() / "stderr";
    const std::string cmd = "OPENROUTER_API_KEY='" + std::string(kSecretValue) + "' OPENAI_API_KEY='" +
                            std::string(kSecondSecret) + "' " + extra_env_ + " " IRONWARD_BIN " --state-dir '" +
                            state_.string() + "' " + args + " >'" + out.string() + "' 2>'" + err.string() + "'";
    const int status = std::system(cmd.c_str());
    CmdResult r{WIFEXITED(status) ? WEXITSTATUS(status) : -1, ReadFile(out), ReadFile(err)};
    transcript_ += r.out + r.err;
    return r;
  }

  TempDir tmp_;
  std::string gateway_;  ///< the desired state of this test (kBaseYaml pointed at the packaged double)
  std::filesystem::path spec_;
  std::filesystem::path state_;
  std::string transcript_;  ///< everything any command printed
  std::string extra_env_;   ///< e.g. "GEMINI_API_KEY=x" for one test
};

TEST_F(CliTest, EveryCommandHasHelp) {
  for (const char* cmd : {"", "validate", "reconcile", "apply", "status", "run", "verify", "harden", "wiring",
                          "providers", "doctor", "audit"}) {
    const auto r = Ironward(std::string(cmd) + " --help");
    EXPECT_EQ(r.code, 0) << cmd;
    EXPECT_NE(r.out.find("Usage:"), std::string::npos) << cmd;
  }
  EXPECT_NE(Ironward("reconcile --help").out.find("2 = changes pending"), std::string::npos);
  const auto v = Ironward("--version");
  EXPECT_EQ(v.code, 0);
  EXPECT_NE(v.out.find("ironward "), std::string::npos);
}

TEST_F(CliTest, ValidateExitCodesAndErrorPositions) {
  EXPECT_EQ(Ironward("validate -f " + spec_.string()).code, 0);
  WriteFile(tmp_.path() / "bad.yaml", gateway_ + "  bogus: 1\n");
  const auto r = Ironward("validate -f " + (tmp_.path() / "bad.yaml").string());
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(std::regex_search(r.err, std::regex("bad\\.yaml:2[0-9]:3: .*bogus"))) << r.err;
  EXPECT_EQ(Ironward("validate -f /nonexistent.yaml").code, 1);
}

TEST_F(CliTest, WiringSaysWhatToRunBeforeTheFirstApplyThenPrintsTheAppliedWiring) {
  const auto before = Ironward("wiring -f " + spec_.string());
  EXPECT_EQ(before.code, 1);
  EXPECT_NE(before.err.find("not applied yet"), std::string::npos) << before.err;
  EXPECT_NE(before.err.find("Run `ironward --state-dir " + state_.string() + " reconcile -f " + spec_.string() + "` first"),
            std::string::npos)
      << before.err;
  EXPECT_EQ(Ironward("wiring -f " + spec_.string() + " --format compose").code, 64) << "compose needs --service";
  EXPECT_EQ(Ironward("wiring -f " + spec_.string() + " --service web").code, 64) << "--service is for compose";
  EXPECT_EQ(Ironward("wiring -f " + spec_.string() + " --format compose --service 'a b'").code, 64);
  EXPECT_NE(Ironward("wiring --help").out.find("--format compose --service web --service worker"), std::string::npos);

  ASSERT_EQ(Ironward("reconcile -f " + spec_.string()).code, 0) << transcript_;
  const auto mappings = nlohmann::json::parse(ReadFile(state_ / "mappings.json"));
  const std::string token = mappings["providers"]["openrouter"]["token"];
  const auto env = Ironward("wiring -f " + spec_.string());
  ASSERT_EQ(env.code, 0) << env.err;
  EXPECT_NE(env.out.find("\nIRONWARD_PROXY_TOKEN_OPENROUTER_API_KEY=" + token + "\n"), std::string::npos) << env.out;
  EXPECT_NE(env.out.find("\nHTTPS_PROXY=http://host.docker.internal:"), std::string::npos) << env.out;
  EXPECT_NE(env.err.find("proxy.bind is loopback"), std::string::npos) << "containers cannot reach a loopback proxy";

  const auto json = Ironward("wiring -f " + spec_.string() + " --format json");
  ASSERT_EQ(json.code, 0) << json.err;
  const auto j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j["gateway"], "test");
  EXPECT_TRUE(j["network"].is_null()) << "enforcement.network: none joins no network";
  EXPECT_EQ(j["env"]["IRONWARD_PROXY_TOKEN_OPENAI_API_KEY"], mappings["providers"]["openai"]["token"]);
  EXPECT_EQ(j["mounts"][0]["source"], (state_ / "ca-trust.pem").string());
  EXPECT_EQ(j["labels"]["ironward.dev/wired-by"], "test");

  const auto out_file = tmp_.path() / "agent.env";
  const auto written = Ironward("wiring -f " + spec_.string() + " --out " + out_file.string());
  ASSERT_EQ(written.code, 0) << written.err;
  EXPECT_TRUE(written.out.empty()) << "tokens go to the file, not to stdout";
  EXPECT_EQ(std::filesystem::status(out_file).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  const std::string file = ReadFile(out_file);
  EXPECT_NE(file.find("\nIRONWARD_PROXY_TOKEN_OPENROUTER_API_KEY=" + token + "\n"), std::string::npos);
  EXPECT_NE(file.find("--label=ironward.dev/wiring-file=" + out_file.string()), std::string::npos)
      << "the file it was written to is named, for the re-create command";
  EXPECT_EQ(transcript_.find(kSecretValue), std::string::npos) << "a real key was printed";
  EXPECT_EQ(transcript_.find(kSecondSecret), std::string::npos) << "a real key was printed";
}

TEST_F(CliTest, DryRunApplyAndSecondApplyFollowTheExitCodeContract) {
  auto plan = Ironward("reconcile -f " + spec_.string() + " --dry-run");
  EXPECT_EQ(plan.code, 2) << plan.err;
  EXPECT_NE(plan.out.find("Plan: 6 to add, 0 to change, 0 to destroy."), std::string::npos) << plan.out;
  EXPECT_FALSE(std::filesystem::exists(state_)) << "a dry run must not create the state dir";

  auto apply = Ironward("reconcile -f " + spec_.string());
  EXPECT_EQ(apply.code, 0) << apply.err;
  EXPECT_NE(apply.out.find("Recap: ok=10 changed=5 failed=0 skipped=0"), std::string::npos) << apply.out;
  EXPECT_EQ(testing::ModeOf(state_), 0700U);
  EXPECT_EQ(testing::ModeOf(state_ / "mappings.json"), 0600U);
  EXPECT_EQ(testing::ModeOf(state_ / "proxy.yaml"), 0600U);
  EXPECT_EQ(testing::ModeOf(state_ / "status.json"), 0600U);
  EXPECT_EQ(testing::ModeOf(state_ / "ca.key"), 0600U);
  EXPECT_EQ(testing::ModeOf(state_ / "ca.crt"), 0644U);

  auto again = Ironward("reconcile -f " + spec_.string());
  EXPECT_EQ(again.code, 0);
  EXPECT_NE(again.out.find("Recap: ok=10 changed=0 failed=0 skipped=0"), std::string::npos) << again.out;

  const auto before = Snapshot(state_);
  auto synced = Ironward("reconcile -f " + spec_.string() + " --dry-run");
  EXPECT_EQ(synced.code, 0);
  EXPECT_NE(synced.out.find("No changes. Actual state matches the desired state."), std::string::npos);
  EXPECT_EQ(Snapshot(state_), before);
}

TEST_F(CliTest, JsonOutputs) {
  auto plan = Ironward("reconcile -f " + spec_.string() + " --dry-run --output json");
  EXPECT_EQ(plan.code, 2);
  const auto j = nlohmann::json::parse(plan.out);
  EXPECT_EQ(j["format_version"], "1.1");
  EXPECT_EQ(j["resource_changes"].size(), 11U);  // 6 changes + no-ops: secrets, network, host_firewall, sandboxes, enforcement
  auto apply = Ironward("reconcile -f " + spec_.string() + " -o json");
  EXPECT_EQ(apply.code, 0);
  const auto recap = nlohmann::json::parse(apply.out);
  EXPECT_EQ(recap["recap"]["changed"], 5);
  auto status = Ironward("status --output json");
  EXPECT_EQ(status.code, 0);
  const auto s = nlohmann::json::parse(status.out);
  EXPECT_TRUE(s["ready"].get<bool>());
  EXPECT_EQ(s["resources"]["mappings"]["conditions"][0]["type"], "Ready");
  EXPECT_EQ(s["resources"]["mappings"]["conditions"][0]["status"], "True");
  // snake_case keys, with the camelCase names of earlier versions as deprecated aliases.
  EXPECT_FALSE(s["resources"]["mappings"]["conditions"][0]["last_transition_time"].get<std::string>().empty());
  EXPECT_EQ(s["resources"]["mappings"]["conditions"][0]["last_transition_time"],
            s["resources"]["mappings"]["conditions"][0]["lastTransitionTime"]);
  EXPECT_EQ(s["resources"]["ca"]["observed_digest"].get<std::string>().size(), 64U);
  EXPECT_EQ(s["resources"]["ca"]["observed_digest"], s["resources"]["ca"]["observedDigest"]);
  EXPECT_EQ(s["history"].back()["desired_digest"], s["desired"]["digest"]);
  EXPECT_TRUE(s["history"].back().contains("duration_seconds"));
  EXPECT_EQ(s["resources"]["ca"]["details"]["fingerprint_sha256"].get<std::string>().size(), 64U);
  EXPECT_FALSE(s["resources"]["ca"]["details"]["renewal_time"].get<std::string>().empty());
}

TEST_F(CliTest, StatusBeforeAnyRunSaysSoAndExits1) {
  const auto r = Ironward("status");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("No status yet"), std::string::npos);
}

TEST_F(CliTest, SavedPlanAppliesExactlyOnce) {
  const auto plan_file = tmp_.path() / "plan.json";
  auto plan = Ironward("reconcile -f " + spec_.string() + " --dry-run --out " + plan_file.string());
  EXPECT_EQ(plan.code, 2);
  ASSERT_TRUE(std::filesystem::exists(plan_file));
  // The desired file changing afterwards does not matter: the plan carries its own copy.
  WriteFile(spec_, "garbage: [");
  auto apply = Ironward("apply " + plan_file.string());
  EXPECT_EQ(apply.code, 0) << apply.err << apply.out;
  EXPECT_NE(apply.out.find("changed=5"), std::string::npos);
  // Applying the same plan again: the observed state moved, so it is stale.
  const auto before = Snapshot(state_);
  auto stale = Ironward("apply " + plan_file.string());
  EXPECT_EQ(stale.code, 1);
  EXPECT_NE(stale.err.find("stale plan"), std::string::npos) << stale.err;
  auto snapshot_after = Snapshot(state_);
  snapshot_after.erase("ironward.lock");
  auto snapshot_before = before;
  snapshot_before.erase("ironward.lock");
  EXPECT_EQ(snapshot_after, snapshot_before);
}

// A saved plan records its state directory: `apply` acts there without --state-dir, refuses
// another one before creating anything, and every hint it prints names the directory.
TEST_F(CliTest, SavedPlanAppliesToTheStateDirItWasMadeFor) {
  const auto plan_file = tmp_.path() / "plan.json";
  auto plan = Ironward("reconcile -f " + spec_.string() + " --dry-run --out " + plan_file.string());
  ASSERT_EQ(plan.code, 2) << plan.err;
  EXPECT_NE(plan.out.find("Apply it with: ironward --state-dir " + state_.string() + " apply"), std::string::npos)
      << plan.out;
  const auto meta = nlohmann::json::parse(ReadFile(plan_file))["ironward_plan"];
  EXPECT_EQ(meta["state_dir"], state_.string());
  EXPECT_EQ(meta["gateway"], "test");

  const auto other = tmp_.path() / "other-state";
  const std::string original = state_.string();
  state_ = other;  // Ironward() passes --state-dir <other>
  auto refused = Ironward("apply " + plan_file.string());
  state_ = original;
  EXPECT_EQ(refused.code, 1);
  EXPECT_NE(refused.err.find("was made for state directory " + original + " (gateway \"test\"), not " + other.string()),
            std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find("Apply it there: ironward --state-dir " + original + " apply"), std::string::npos) << refused.err;
  EXPECT_FALSE(std::filesystem::exists(other)) << "a refused apply creates nothing";
  EXPECT_FALSE(std::filesystem::exists(state_)) << "nor touches the plan's directory";

  // No --state-dir at all: the plan's directory, not /var/lib/ironward.
  const auto out = tmp_.path() / "no-dir.out";
  const std::string cmd = "env -u IRONWARD_STATE_DIR OPENROUTER_API_KEY='" + std::string(kSecretValue) +
                          "' OPENAI_API_KEY='" + kSecondSecret + "' " IRONWARD_BIN " apply " + plan_file.string() +
                          " >'" + out.string() + "' 2>&1";
  const int status = std::system(cmd.c_str());
  const std::string printed = ReadFile(out);
  transcript_ += printed;
  ASSERT_TRUE(WIFEXITED(status)) << printed;
  EXPECT_EQ(WEXITSTATUS(status), 0) << printed;
  EXPECT_TRUE(std::filesystem::exists(state_ / "status.json")) << printed;
  EXPECT_EQ(printed.find(kSecretValue), std::string::npos) << "a real key was printed";

  auto stale = Ironward("apply " + plan_file.string());
  EXPECT_EQ(stale.code, 1);
  EXPECT_NE(stale.err.find("Make a new plan with `ironward --state-dir " + original + " reconcile -f"),
            std::string::npos)
      << stale.err;
}

TEST_F(CliTest, StalePlanIsRefusedWhenSomeoneChangedTheHost) {
  ASSERT_EQ(Ironward("reconcile -f " + spec_.string()).code, 0);
  const auto plan_file = tmp_.path() / "plan.json";
  WriteFile(spec_, gateway_ + "  tokens:\n    rotation: 2\n");
  ASSERT_EQ(Ironward("reconcile -f " + spec_.string() + " --dry-run --out " + plan_file.string()).code, 2);
  const auto tokens_before = ReadFile(state_ / "mappings.json");
  std::filesystem::remove(state_ / "proxy.yaml");  // out-of-band change after planning
  auto r = Ironward("apply " + plan_file.string());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("stale plan"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("proxy_config"), std::string::npos) << r.err;
  EXPECT_EQ(ReadFile(state_ / "mappings.json"), tokens_before) << "nothing may change on a refused plan";
}

TEST_F(CliTest, NotAPlanFileIsAClearError) {
  WriteFile(tmp_.path() / "x.json", "{}");
  auto r = Ironward("apply " + (tmp_.path() / "x.json").string());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("not an ironward plan file"), std::string::npos);
  EXPECT_EQ(Ironward("reconcile -f " + spec_.string() + " --out /tmp/p.json").code, 64) << "--out needs --dry-run";
}

TEST_F(CliTest, SecondWriterIsRefusedWhileTheLockIsHeld) {
  ASSERT_EQ(Ironward("reconcile -f " + spec_.string()).code, 0);
  const int fd = ::open((state_ / "ironward.lock").c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);
  auto r = Ironward("reconcile -f " + spec_.string() + " --lock-timeout 0.2");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("another ironward"), std::string::npos) << r.err;
  EXPECT_EQ(Ironward("reconcile -f " + spec_.string() + " --dry-run").code, 0) << "dry runs need no lock";
  ::close(fd);
  EXPECT_EQ(Ironward("reconcile -f " + spec_.string() + " --lock-timeout 0.2").code, 0);
}

TEST_F(CliTest, SymlinkedStateFileIsRefusedWithAClearError) {
  ASSERT_EQ(Ironward("reconcile -f " + spec_.string()).code, 0);
  std::filesystem::remove(state_ / "mappings.json");
  WriteFile(tmp_.path() / "elsewhere", "{}");
  std::filesystem::create_symlink(tmp_.path() / "elsewhere", state_ / "mappings.json");
  auto r = Ironward("reconcile -f " + spec_.string());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE((r.out + r.err).find("symlink"), std::string::npos) << r.out << r.err;
  EXPECT_EQ(ReadFile(tmp_.path() / "elsewhere"), "{}");
}

TEST_F(CliTest, NoSecretValueOrTokenAppearsInAnyOutputStatusOrPlan) {
  const auto plan_file = tmp_.path() / "plan.json";
  Ironward("--log-level debug validate -f " + spec_.string());
  Ironward("--log-level debug reconcile -f " + spec_.string() + " --dry-run");
  Ironward("--log-level debug reconcile -f " + spec_.string());
  WriteFile(spec_, gateway_ + "  tokens:\n    rotation: 2\n");
  Ironward("--log-level debug reconcile -f " + spec_.string() + " --dry-run --out " + plan_file.string());
  Ironward("--log-level debug reconcile -f " + spec_.string() + " --dry-run -o json");
  Ironward("--log-level debug apply " + plan_file.string());
  Ironward("--log-level debug status");
  Ironward("--log-level debug status -o json");

  std::vector<std::string> tokens;
  const auto mappings = nlohmann::json::parse(ReadFile(state_ / "mappings.json"));
  for (const auto& [name, m] : mappings["providers"].items()) tokens.push_back(m["token"]);
  for (const auto& e : std::filesystem::directory_iterator(state_ / "mappings-backup")) {
    const auto backup = nlohmann::json::parse(ReadFile(e.path()));  // must outlive the loop
    for (const auto& [name, m] : backup["providers"].items()) tokens.push_back(m["token"]);
  }
  ASSERT_EQ(tokens.size(), 4U) << transcript_;
  const std::string ca_key = ReadFile(state_ / "ca.key");
  ASSERT_NE(ca_key.find("PRIVATE KEY"), std::string::npos);
  const std::string key_body = ca_key.substr(ca_key.find('\n') + 1, 40);
  const std::string status = ReadFile(state_ / "status.json");
  const std::string plan = ReadFile(plan_file);
  const std::string proxy_log = ReadFile(state_ / "iron-proxy.log");  // the proxy's own audit log
  ASSERT_FALSE(proxy_log.empty());
  for (const std::string* where : std::initializer_list<const std::string*>{&transcript_, &status, &plan, &proxy_log}) {
    EXPECT_EQ(where->find(kSecretValue), std::string::npos);
    EXPECT_EQ(where->find(kSecondSecret), std::string::npos);
    EXPECT_EQ(where->find(key_body), std::string::npos);
    for (const auto& t : tokens) {
      EXPECT_EQ(where->find(t), std::string::npos) << t;
      EXPECT_EQ(where->find(t.substr(t.size() - 32)), std::string::npos);
    }
  }
  // Files that hold tokens are 0600: the only homes they have.
  EXPECT_EQ(testing::ModeOf(state_ / "mappings.json"), 0600U);
  EXPECT_EQ(testing::ModeOf(state_ / "proxy.yaml"), 0600U);
}

// One edit that adds a host, removes a provider and moves the tunnel port: the plan names all
// three field by field, in text and JSON, the restart names every cause, and no token or
// secret value appears (docs/plans-and-exit-codes.md shows this plan).
TEST_F(CliTest, FieldLevelPlanNamesEveryChangeAndEveryRestartCause) {
  ASSERT_EQ(Ironward("reconcile -f " + spec_.string()).code, 0) << transcript_;
  const auto mappings = nlohmann::json::parse(ReadFile(state_ / "mappings.json"));
  std::vector<std::string> tokens;
  for (const auto& [name, m] : mappings["providers"].items()) tokens.push_back(m["token"]);
  ASSERT_EQ(tokens.size(), 2U);

  const int old_port = std::stoi(gateway_.substr(gateway_.find("tunnelPort: ") + 12));
  const int new_port = testing::FreeLoopbackPorts(1, 20000);
  std::string edited = testing::With(gateway_, "allowlist: [\"api.github.com\"]", "allowlist: [\"api.github.com\", \"pypi.org\"]");
  edited = testing::With(edited, "    - name: openai\n      secret: OPENAI_API_KEY\n      hosts: [\"api.openai.com\"]\n", "");
  // Only the tunnel moves: the other listeners are pinned where they were derived from it.
  std::string pinned = "tunnelPort: " + std::to_string(new_port);
  int offset = 1;
  for (const char* key : {"httpPort", "metricsPort", "managementPort", "dnsPort", "httpsPort"}) {
    pinned += "\n    " + std::string(key) + ": " + std::to_string(old_port + offset++);
  }
  edited = testing::With(edited, "tunnelPort: " + std::to_string(old_port), pinned);
  WriteFile(spec_, edited);

  const auto text = Ironward("reconcile -f " + spec_.string() + " --dry-run");
  EXPECT_EQ(text.code, 2) << text.err;
  const std::string old_listen = "127.0.0.1:" + std::to_string(old_port);
  const std::string new_listen = "127.0.0.1:" + std::to_string(new_port);
  // proxy_config: each field under the change.
  EXPECT_NE(text.out.find("+ allowlist: pypi.org\n"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("- provider openai: headers [Authorization], hosts [api.openai.com], secret OPENAI_API_KEY\n"),
            std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("~ proxy.tunnel_listen: " + old_listen + " -> " + new_listen + "\n"), std::string::npos)
      << text.out;
  // The daemon's restart names every cause on its own line.
  const auto restart = text.out.find("daemon.iron-proxy (ironward_proxy_daemon): restart: ");
  ASSERT_NE(restart, std::string::npos) << text.out;
  const std::string line = text.out.substr(restart, text.out.find('\n', restart) - restart);
  for (const std::string& cause : {"proxy.tunnel_listen " + old_listen + " -> " + new_listen,
                                   std::string("secret OPENAI_API_KEY no longer delivered"),
                                   std::string("provider openai removed"), std::string("allowlist + pypi.org")}) {
    EXPECT_NE(line.find(cause), std::string::npos) << cause << "\n" << line;
  }
  EXPECT_EQ(line.find("secrets rotated"), std::string::npos) << line;

  const auto json_plan = Ironward("reconcile -f " + spec_.string() + " --dry-run -o json");
  EXPECT_EQ(json_plan.code, 2);
  const auto j = nlohmann::json::parse(json_plan.out);
  std::set<std::string> fields;
  for (const auto& c : j["resource_changes"]) {
    if (c["address"] != "proxy_config.file") continue;
    for (const auto& f : c["field_changes"]) fields.insert(f["field"].get<std::string>() + " " + f["actions"][0].get<std::string>());
    EXPECT_TRUE(c["before"]["config"]["providers"].contains("OPENAI_API_KEY"));
    EXPECT_FALSE(c["after"]["config"]["providers"].contains("OPENAI_API_KEY"));
  }
  EXPECT_EQ(fields, (std::set<std::string>{"allowlist create", "provider openai delete", "proxy.tunnel_listen update"}));

  for (const auto& t : tokens) EXPECT_EQ(transcript_.find(t), std::string::npos);
  EXPECT_EQ(transcript_.find(kSecretValue), std::string::npos);
  EXPECT_EQ(transcript_.find(kSecondSecret), std::string::npos);

  // Applied: the new port serves, and the next plan is clean.
  ASSERT_EQ(Ironward("reconcile -f " + spec_.string()).code, 0) << transcript_;
  EXPECT_EQ(Ironward("reconcile -f " + spec_.string() + " --dry-run").code, 0) << transcript_;
}

// `status` checks the proxy when it runs: after a kill -9 it says the proxy is gone and exits 1
// without any reconcile, where it used to repeat the last pass's Ready.
TEST_F(CliTest, StatusIsLiveAfterTheProxyIsKilled) {
  ASSERT_EQ(Ironward("reconcile -f " + spec_.string()).code, 0) << transcript_;
  auto ok = Ironward("status -o json");
  ASSERT_EQ(ok.code, 0) << ok.out;
  EXPECT_TRUE(nlohmann::json::parse(ok.out)["live"]["daemon"]["ready"].get<bool>());

  const auto rec = nlohmann::json::parse(ReadFile(state_ / "iron-proxy.pid"));
  const pid_t pid = rec["pid"].get<pid_t>();
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  ASSERT_TRUE(testing::Eventually([&] { return testing::ProcessGone(pid); }, std::chrono::seconds(5)));
  const auto status_before = ReadFile(state_ / "status.json");

  auto text = Ironward("status");
  EXPECT_EQ(text.code, 1) << text.out;
  EXPECT_NE(text.out.find("LIVE NOW: NOT READY: iron-proxy is gone (pid " + std::to_string(pid) + " is not running)"),
            std::string::npos)
      << text.out;
  auto json = Ironward("status -o json");
  EXPECT_EQ(json.code, 1);
  const auto j = nlohmann::json::parse(json.out);
  EXPECT_FALSE(j["ready"].get<bool>());
  EXPECT_FALSE(j["live"]["daemon"]["ready"].get<bool>());
  EXPECT_EQ(ReadFile(state_ / "status.json"), status_before) << "status reads, it never reconciles";
}

TEST_F(CliTest, DoctorPassesOnAFreshGatewayAndFailsTheProxyCheckWithAFixOnceItIsKilled) {
  ASSERT_EQ(Ironward("reconcile -f " + spec_.string()).code, 0) << transcript_;
  const auto row = [](const nlohmann::json& j, const std::string& name) {
    for (const auto& c : j["checks"]) {
      if (c["check"] == name) return c;
    }
    return nlohmann::json();
  };
  auto ok = Ironward("doctor -f " + spec_.string() + " -o json");
  EXPECT_EQ(ok.code, 0) << ok.out << ok.err;
  const auto before = nlohmann::json::parse(ok.out);
  EXPECT_TRUE(before["passed"].get<bool>());
  EXPECT_EQ(row(before, "desired-state")["result"], "pass");
  EXPECT_EQ(row(before, "proxy")["result"], "pass");
  EXPECT_EQ(row(before, "ca")["result"], "pass");
  EXPECT_EQ(row(before, "docker")["result"], "skip") << "no sandboxes, enforcement.network none";

  const pid_t pid = nlohmann::json::parse(ReadFile(state_ / "iron-proxy.pid"))["pid"].get<pid_t>();
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  ASSERT_TRUE(testing::Eventually([&] { return testing::ProcessGone(pid); }, std::chrono::seconds(5)));
  auto bad = Ironward("doctor -f " + spec_.string() + " -o json");
  EXPECT_EQ(bad.code, 1) << bad.out;
  const auto after = nlohmann::json::parse(bad.out);
  EXPECT_FALSE(after["passed"].get<bool>());
  const auto proxy = row(after, "proxy");
  EXPECT_EQ(proxy["result"], "fail");
  EXPECT_NE(proxy["detail"].get<std::string>().find("is not running"), std::string::npos) << proxy;
  EXPECT_EQ(proxy["fix"], "ironward --state-dir " + state_.string() + " reconcile -f " + spec_.string());
  auto text = Ironward("doctor -f " + spec_.string());
  EXPECT_EQ(text.code, 1);
  EXPECT_NE(text.out.find("proxy          | fail   | "), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("fix: ironward --state-dir"), std::string::npos) << text.out;
  EXPECT_EQ(transcript_.find(kSecretValue), std::string::npos);
}

// A refusal recorded by `ironward run` is shown only while it holds, and a successful pass of the
// same (now valid) file clears it.
TEST_F(CliTest, ARefusalAlarmIsShownOnlyWhileItHoldsAndClearedByTheNextGoodPass) {
  ASSERT_EQ(Ironward("reconcile -f " + spec_.string()).code, 0) << transcript_;
  auto doc = nlohmann::json::parse(ReadFile(state_ / "status.json"));
  // What a `run` records when the file on disk is invalid; a process named "ironward" stands in
  // for it (status checks that the recorded pid lives and is an ironward).
  const RunStandIn run;
  ASSERT_TRUE(run.Ready());
  const pid_t stand_in = run.pid();
  const std::string refused_text = "apiVersion: [broken\n";
  doc["desired_refused"] = {{"time", "2026-12-07T00:00:00Z"}, {"path", spec_.string()},
                            {"file_sha256", Sha256Hex(refused_text)}, {"reason", "InvalidDesiredState"},
                            {"message", "the file on disk is invalid"}, {"errors", {"gateway.yaml:1:14: broken"}}};
  doc["run"] = {{"pid", stand_in}, {"last_pass", "2026-12-07T00:00:00Z"}};
  auto save = [&] {
    WriteFile(state_ / "status.json", doc.dump(2));
    ::chmod((state_ / "status.json").c_str(), 0600);
  };
  save();
  WriteFile(spec_, refused_text);
  EXPECT_NE(Ironward("status").out.find("DESIRED STATE REFUSED"), std::string::npos) << "it holds: shown";

  WriteFile(spec_, gateway_);  // fixed on disk: the refusal no longer holds, even before a pass
  EXPECT_EQ(Ironward("status").out.find("DESIRED STATE REFUSED"), std::string::npos) << transcript_;
  doc["run"]["pid"] = ::getpid();  // and one by a process that is not an ironward (or is gone) never shows
  WriteFile(spec_, refused_text);
  save();
  EXPECT_EQ(Ironward("status").out.find("DESIRED STATE REFUSED"), std::string::npos) << transcript_;

  WriteFile(spec_, gateway_);
  ASSERT_EQ(Ironward("reconcile -f " + spec_.string()).code, 0) << transcript_;
  EXPECT_FALSE(nlohmann::json::parse(ReadFile(state_ / "status.json")).contains("desired_refused"))
      << "cleared by the next successful pass of the same file";
}

// kubectl/terraform conventions: `version`, usage errors exit 64 with a suggestion, `-f -`
// reads stdin, `-o json` on harden (and `--json` kept), completion scripts that parse.
TEST_F(CliTest, CommandLineConventions) {
  auto version = Ironward("version");
  EXPECT_EQ(version.code, 0);
  EXPECT_EQ(version.out, Ironward("--version").out);
  EXPECT_EQ(nlohmann::json::parse(Ironward("version -o json").out)["version"], IRONWARD_VERSION);

  auto typo = Ironward("statsu");
  EXPECT_EQ(typo.code, 64);
  EXPECT_NE(typo.err.find("unknown command 'statsu'; did you mean 'status'?"), std::string::npos) << typo.err;
  EXPECT_EQ(Ironward("reconcile").code, 64) << "missing --file is a usage error";
  EXPECT_EQ(Ironward("").code, 64) << "no command";
  EXPECT_EQ(Ironward("status --output yaml").code, 64);
  EXPECT_EQ(Ironward("run -f -").code, 64) << "a stream cannot be watched";

  const auto valid = nlohmann::json::parse(Ironward("validate -f " + spec_.string() + " -o json").out);
  EXPECT_TRUE(valid["valid"].get<bool>());
  EXPECT_EQ(valid["name"], "test");
  auto from_stdin = Ironward("validate -f - < " + spec_.string());
  EXPECT_EQ(from_stdin.code, 0) << from_stdin.err;
  auto plan = Ironward("reconcile -f - --dry-run < " + spec_.string());
  EXPECT_EQ(plan.code, 2) << plan.err;
  EXPECT_NE(plan.out.find("Plan: 6 to add"), std::string::npos) << plan.out;

  auto harden = Ironward("harden -o json");
  EXPECT_EQ(harden.code, 0);
  EXPECT_TRUE(nlohmann::json::parse(harden.out).contains("signals"));
  EXPECT_EQ(nlohmann::json::parse(Ironward("harden --json").out).contains("signals"), true);

  const auto script = tmp_.path() / "completion.bash";
  WriteFile(script, Ironward("completion bash").out);
  EXPECT_EQ(std::system(("bash -n " + script.string()).c_str()), 0);
  const std::string bash = ReadFile(script);
  for (const char* word : {"reconcile", "status", "wiring", "--dry-run", "--state-dir"}) {
    EXPECT_NE(bash.find(word), std::string::npos) << word;
  }
  EXPECT_EQ(Ironward("completion zsh").out.rfind("#compdef ironward", 0), 0U);
  EXPECT_EQ(Ironward("completion fish").code, 64);
}

// `ironward down`: planned like reconcile, stops the proxy, keeps CA and tokens (a reconcile
// brings the same gateway back), says so in status; --purge leaves an empty state directory.
TEST_F(CliTest, DownTearsDownAndReconcileBringsTheSameGatewayBack) {
  ASSERT_EQ(Ironward("reconcile -f " + spec_.string()).code, 0) << transcript_;
  const std::string tokens = ReadFile(state_ / "mappings.json");
  const std::string ca = ReadFile(state_ / "ca.crt");
  const pid_t proxy = nlohmann::json::parse(ReadFile(state_ / "iron-proxy.pid"))["pid"].get<pid_t>();

  const auto before = Snapshot(state_);
  auto plan = Ironward("down -f " + spec_.string() + " --dry-run");
  EXPECT_EQ(plan.code, 2) << plan.err;
  EXPECT_NE(plan.out.find("- daemon.iron-proxy (ironward_proxy_daemon): stop iron-proxy pid " + std::to_string(proxy)),
            std::string::npos)
      << plan.out;
  EXPECT_EQ(Snapshot(state_), before) << "a dry run changes nothing";

  auto down = Ironward("down -f " + spec_.string());
  EXPECT_EQ(down.code, 0) << down.err << down.out;
  EXPECT_NE(down.out.find("Recap: ok=4 changed=1 failed=0"), std::string::npos) << down.out;
  EXPECT_TRUE(testing::Eventually([&] { return testing::ProcessGone(proxy); }, std::chrono::seconds(5)))
      << "the proxy is stopped";
  auto status = Ironward("status");
  EXPECT_EQ(status.code, 1);
  EXPECT_NE(status.out.find("GATEWAY DOWN since "), std::string::npos) << status.out;
  EXPECT_EQ(Ironward("down -f " + spec_.string() + " --dry-run").code, 0) << "nothing left to tear down";

  ASSERT_EQ(Ironward("reconcile -f " + spec_.string()).code, 0) << transcript_;
  EXPECT_EQ(ReadFile(state_ / "mappings.json"), tokens) << "the same tokens";
  EXPECT_EQ(ReadFile(state_ / "ca.crt"), ca) << "the same CA";
  EXPECT_EQ(Ironward("status").code, 0) << "a pass brings it back up";

  auto purge = Ironward("down -f " + spec_.string() + " --purge");
  EXPECT_EQ(purge.code, 0) << purge.err << purge.out;
  ASSERT_TRUE(std::filesystem::is_directory(state_));
  EXPECT_TRUE(std::filesystem::is_empty(state_)) << "--purge leaves an empty state directory";
  EXPECT_EQ(transcript_.find(kSecretValue), std::string::npos);
}

// The .deb's prerm on `remove` tears the gateway down: no proxy keeps running with the real keys.
// (Run with this test's binary, file and state dir in place of the installed paths; no systemd here.)
TEST_F(CliTest, PackageRemovalLeavesNoProxyRunning) {
  ASSERT_EQ(Ironward("reconcile -f " + spec_.string()).code, 0) << transcript_;
  const pid_t proxy = nlohmann::json::parse(ReadFile(state_ / "iron-proxy.pid"))["pid"].get<pid_t>();
  std::string prerm = ReadFile(std::filesystem::path(PACKAGE_SCRIPT).parent_path().parent_path() / "packaging" /
                               "debian" / "prerm");
  ASSERT_NE(prerm.find("/usr/bin/ironward --state-dir /var/lib/ironward down -f /etc/ironward/gateway.yaml"),
            std::string::npos);
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"/usr/bin/ironward", IRONWARD_BIN}, {"/var/lib/ironward", state_.string()},
           {"/etc/ironward/gateway.yaml", spec_.string()}, {"/run/systemd/system", (tmp_.path() / "no-systemd").string()}}) {
    for (auto at = prerm.find(from); at != std::string::npos; at = prerm.find(from, at + to.size())) {
      prerm.replace(at, from.size(), to);
    }
  }
  const auto script = tmp_.path() / "prerm";
  WriteFile(script, prerm);
  EXPECT_EQ(std::system(("sh " + script.string() + " upgrade >/dev/null 2>&1").c_str()), 0);
  EXPECT_EQ(::kill(proxy, 0), 0) << "an upgrade leaves the gateway running";
  EXPECT_EQ(std::system(("sh " + script.string() + " remove >/dev/null 2>&1").c_str()), 0);
  EXPECT_TRUE(testing::Eventually([&] { return testing::ProcessGone(proxy); }, std::chrono::seconds(5)))
      << "remove stops the proxy";
  EXPECT_TRUE(std::filesystem::exists(state_ / "mappings.json")) << "the state directory is kept";
}

// A running `ironward run` would undo the teardown: down refuses and changes nothing.
TEST_F(CliTest, DownIsRefusedWhileARunManagesTheStateDirectory) {
  ASSERT_EQ(Ironward("reconcile -f " + spec_.string()).code, 0) << transcript_;
  const RunStandIn run;
  ASSERT_TRUE(run.Ready());
  const pid_t stand_in = run.pid();
  auto doc = nlohmann::json::parse(ReadFile(state_ / "status.json"));
  doc["run"] = {{"pid", stand_in}};
  WriteFile(state_ / "status.json", doc.dump(2));
  ::chmod((state_ / "status.json").c_str(), 0600);
  const auto before = Snapshot(state_);
  auto down = Ironward("down -f " + spec_.string());
  EXPECT_EQ(down.code, 1);
  EXPECT_NE(down.err.find("Stop it first"), std::string::npos) << down.err;
  EXPECT_EQ(Snapshot(state_), before);
}

TEST_F(CliTest, MissingSecretFailsClosedNamingTheVariable) {
  extra_env_ = "OPENAI_API_KEY=";
  auto r = Ironward("reconcile -f " + spec_.string());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("OPENAI_API_KEY (provider openai)"), std::string::npos) << r.out;
  auto plan = Ironward("reconcile -f " + spec_.string() + " --dry-run");
  EXPECT_EQ(plan.code, 1);
}

TEST_F(CliTest, EnvFileMustBe0600AndSuppliesValues) {
  const auto env_file = tmp_.path() / "secrets.env";
  WriteFile(env_file, "# keys\nexport GITHUB_TOKEN='ghp-file-secret-99'\n");
  ::chmod(env_file.c_str(), 0644);
  WriteFile(spec_, testing::With(gateway_, "  allowlist:", R"(    - name: github
      secret: GITHUB_TOKEN
      hosts: ["api.github.com"]
  credentials:
    source: env
    envFile: )" + env_file.string() + "\n  allowlist:"));
  auto loose = Ironward("reconcile -f " + spec_.string());
  EXPECT_EQ(loose.code, 1);
  EXPECT_NE(loose.out.find("must be 0600"), std::string::npos) << loose.out;
  ::chmod(env_file.c_str(), 0600);
  auto ok = Ironward("reconcile -f " + spec_.string());
  EXPECT_EQ(ok.code, 0) << ok.out << ok.err;
  EXPECT_EQ((ok.out + ok.err).find("ghp-file-secret-99"), std::string::npos);
  EXPECT_EQ(ReadFile(state_ / "status.json").find("ghp-file-secret-99"), std::string::npos);
}

TEST_F(CliTest, UncoveredProviderWarnsOrFailsByPolicy) {
  extra_env_ = "GEMINI_API_KEY=g-123";
  auto warn = Ironward("reconcile -f " + spec_.string());
  EXPECT_EQ(warn.code, 0);
  EXPECT_NE(warn.out.find("GEMINI_API_KEY is set in ironward's environment"), std::string::npos) << warn.out;
  WriteFile(spec_, gateway_ + "  enforcement:\n    uncoveredProviders: fail\n");
  auto fail = Ironward("reconcile -f " + spec_.string());
  EXPECT_EQ(fail.code, 1);
  EXPECT_NE(fail.out.find("uncoveredProviders: fail"), std::string::npos) << fail.out;
  EXPECT_EQ((warn.out + warn.err + fail.out + fail.err).find("g-123"), std::string::npos);
}

TEST_F(CliTest, ProvidersListsTheCatalogAsAnAlignedTableAndAsJson) {
  const auto text = Ironward("providers");
  ASSERT_EQ(text.code, 0) << text.err;
  std::istringstream lines(text.out);
  std::string header;
  std::string first;
  std::getline(lines, header);
  std::getline(lines, first);
  EXPECT_EQ(header.rfind("NAME", 0), 0U) << text.out;
  EXPECT_EQ(first.rfind("openrouter ", 0), 0U) << text.out;
  for (const char* column : {"SECRET", "HOSTS", "HEADERS"}) {
    EXPECT_NE(header.find(column), std::string::npos) << column;
  }
  EXPECT_EQ(first.find("OPENROUTER_API_KEY"), header.find("SECRET")) << "aligned:\n" << text.out;
  EXPECT_EQ(first.find("openrouter.ai, *.openrouter.ai"), header.find("HOSTS")) << text.out;
  EXPECT_TRUE(std::regex_search(text.out, std::regex("\\nazure-openai +AZURE_OPENAI_API_KEY +\\*\\.openai\\.azure\\.com +api-key\\n")))
      << text.out;

  const auto json = nlohmann::json::parse(Ironward("providers -o json").out);
  ASSERT_EQ(json["providers"].size(), 11U);
  EXPECT_EQ(json["providers"][0], (nlohmann::json{{"name", "openrouter"},
                                                  {"secret", "OPENROUTER_API_KEY"},
                                                  {"hosts", {"openrouter.ai", "*.openrouter.ai"}},
                                                  {"headers", {"Authorization"}}}));
  EXPECT_EQ(Ironward("providers -o yaml").code, 64);
  EXPECT_NE(Ironward("providers --help").out.find("Examples:"), std::string::npos);
}

// `optional: true`: without a key the provider is left out of proxy.yaml and the gateway runs
// (Degraded); once the env file has the key, the next reconcile adds the provider.
TEST_F(CliTest, OptionalProviderWithoutAKeyIsLeftOutUntilTheEnvFileHasIt) {
  const std::string key = "sk-ant-OPTIONAL-REAL-KEY-do-not-leak-93b1";
  const auto env_file = tmp_.path() / "secrets.env";
  WriteFile(env_file, "# no Anthropic key yet\n");
  ::chmod(env_file.c_str(), 0600);
  WriteFile(spec_, testing::With(gateway_, "  allowlist:",
                                 "    - name: anthropic\n      optional: true\n  credentials:\n    envFile: " +
                                     env_file.string() + "\n  allowlist:"));
  const auto without = Ironward("reconcile -f " + spec_.string());
  EXPECT_EQ(without.code, 0) << without.out << without.err;
  EXPECT_NE(without.out.find("Degraded: optional provider 'anthropic' is left out of the proxy config"),
            std::string::npos)
      << without.out;
  EXPECT_EQ(Ironward("status").code, 0) << "every resource Ready, the proxy running";
  auto config = ReadFile(state_ / "proxy.yaml");
  EXPECT_EQ(config.find("ANTHROPIC_API_KEY"), std::string::npos) << config;
  EXPECT_EQ(config.find("api.anthropic.com"), std::string::npos) << config;
  EXPECT_NE(config.find("OPENAI_API_KEY"), std::string::npos);
  EXPECT_NE(nlohmann::json::parse(ReadFile(state_ / "mappings.json"))["providers"].count("anthropic"), 0U)
      << "its proxy token exists, so sandboxes and wiring are unaffected";

  WriteFile(env_file, "ANTHROPIC_API_KEY='" + key + "'\n");
  const auto with = Ironward("reconcile -f " + spec_.string());
  EXPECT_EQ(with.code, 0) << with.out << with.err;
  EXPECT_EQ(with.out.find("left out"), std::string::npos) << with.out;
  config = ReadFile(state_ / "proxy.yaml");
  EXPECT_NE(config.find("ANTHROPIC_API_KEY"), std::string::npos) << config;
  EXPECT_NE(config.find("api.anthropic.com"), std::string::npos) << config;
  EXPECT_NE(config.find("x-api-key"), std::string::npos) << "the catalog's header";
  EXPECT_EQ(Ironward("status").code, 0);
  EXPECT_EQ(transcript_.find(key), std::string::npos);
  EXPECT_EQ(ReadFile(state_ / "status.json").find(key), std::string::npos);
}

}  // namespace
}  // namespace ironward
