// Containers ironward does not create, behind the gateway (issue "Adoption"): a two-service compose
// project started with Debian's docker-compose and the override `ironward wiring --format compose`
// wrote, a `docker run` container started with `--format docker-args` (and the env file), and the
// hermes-agent names of `wiring: {profile: hermes}`. Each one is confined to the sandbox network,
// compliant under enforcement.mode: enforce, and reaches the allowlisted upstream through the proxy
// with its token swapped for the real secret; a token rotation names the compose services as stale
// with a command that, run as printed, re-creates them. Setup and cleanup: system_fixture.h.
#include <sys/stat.h>

#include "tests/system/system_fixture.h"

namespace ironward::system_test {
namespace {

using std::chrono::seconds;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::WriteFile;

/// A local account made for one test (useradd -m), removed with its home on every path out.
struct TempAccount {
  explicit TempAccount(std::string account) : name(std::move(account)) {
    ok = Sh("useradd -m -s /bin/sh " + name).code == 0;
    home = Trim(Sh("getent passwd " + name + " | cut -d: -f6").out);
  }
  ~TempAccount() {
    if (ok) (void)Sh("userdel -r " + name + " 2>/dev/null");
  }
  TempAccount(const TempAccount&) = delete;
  TempAccount& operator=(const TempAccount&) = delete;
  std::string name, home;
  bool ok = false;
};

class AdoptionTest : public SystemTest {
 protected:
  std::string DockerEnv() const { return "env " + docker_host_ + " "; }
  /// A shell command with DOCKER_HOST of the test engine; its output joins the transcript.
  CmdResult Run(const std::string& cmd) {
    CmdResult r = Sh(DockerEnv() + "sh -c " + Quote(cmd));
    transcript_ += r.out;
    return r;
  }
  /// `ironward wiring` writing FORMAT to `out` (the tokens go to the 0600 file, not the transcript).
  CmdResult Wiring(const std::string& format_and_services, const std::filesystem::path& out) {
    return Ironward("wiring -f " + Quote(spec_.string()) + " --format " + format_and_services + " --out " +
                    Quote(out.string()));
  }
  nlohmann::json EnforcementDetails() const {
    const auto j = Json(state_ / "status.json");
    return j.is_object() ? j["resources"]["enforcement"]["details"] : nlohmann::json();
  }
  bool Running(const std::string& name) const {
    const auto j = engine_->Inspect(name);
    return j.is_object() && j["State"].value("Running", false);
  }
  /// The container is on the sandbox network only, hardened, and labelled as wired by this gateway.
  void ExpectWiredAndConfined(const std::string& name) {
    SCOPED_TRACE(name);
    const auto j = engine_->Inspect(name);
    ASSERT_TRUE(j.is_object()) << "no container " << name;
    const auto networks = j["NetworkSettings"]["Networks"];
    EXPECT_EQ(networks.size(), 1U) << networks.dump();
    EXPECT_TRUE(networks.contains(network_)) << networks.dump();
    EXPECT_EQ(j["Config"]["Labels"].value("ironward.dev/wired-by", ""), name_);
    EXPECT_EQ(j["HostConfig"]["CapDrop"], nlohmann::json::array({"ALL"}));
    EXPECT_THAT(j["HostConfig"]["SecurityOpt"].dump(), HasSubstr("no-new-privileges:true"));
    EXPECT_EQ(RawTcpFromSandbox(gateway_, upstream_->port(), name), "CLOSED") << "no direct way out";
  }
};

TEST_F(AdoptionTest, ComposeProjectWiredByTheOverrideIsConfinedCompliantAndRecreatedAfterRotation) {
  enforcement_mode_ = "enforce";
  WriteSpec(1, 1);
  ASSERT_EQ(Reconcile().code, 0);
  const auto dir = tmp_.path() / "stack";
  std::filesystem::create_directories(dir);
  WriteFile(dir / "compose.yaml", "version: \"3.8\"\nservices:\n  web:\n    image: " + TestImage() +
                                      "\n    command: [\"sleep\", \"infinity\"]\n  worker:\n    image: " + TestImage() +
                                      "\n    command: [\"sleep\", \"infinity\"]\n");
  const auto override_file = dir / "wired.yaml";
  const CmdResult wired = Wiring("compose --service web --service worker", override_file);
  ASSERT_EQ(wired.code, 0) << wired.out;
  struct stat st {};
  ASSERT_EQ(::stat(override_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);

  const std::string project = name_;
  const std::string compose = "cd " + Quote(dir.string()) + " && docker-compose -p " + project;
  const CmdResult up = Run(compose + " -f compose.yaml -f wired.yaml up -d");
  ASSERT_EQ(up.code, 0) << up.out;
  const std::string web = project + "_web_1", worker = project + "_worker_1";
  ExpectWiredAndConfined(web);
  ExpectWiredAndConfined(worker);
  EXPECT_THAT(Exec("echo $NO_PROXY", web), HasSubstr(",web,worker")) << "services reach each other by name";

  // Compliant under enforce: a reconcile stops neither, and the request goes through with the key swapped.
  const CmdResult applied = Reconcile();
  ASSERT_EQ(applied.code, 0) << applied.out;
  EXPECT_TRUE(Running(web) && Running(worker));
  EXPECT_EQ(EnforcementDetails()["non_compliant"], 0) << EnforcementDetails().dump();
  EXPECT_EQ(EnforcementDetails()["compliant"], 2) << EnforcementDetails().dump();
  ExpectRequestViaProxyWorks("compose service web", web);

  // A token rotation: both services are named stale with the command that re-creates them; never stopped.
  WriteSpec(2, 1);
  const CmdResult rotated = Reconcile();
  ASSERT_EQ(rotated.code, 0) << rotated.out;
  tokens_seen_.insert(Token());
  EXPECT_THAT(rotated.out, HasSubstr("'" + web + "'"));
  EXPECT_THAT(rotated.out, HasSubstr("older ironward wiring"));
  EXPECT_TRUE(Running(web) && Running(worker)) << "ironward never stops or re-creates what it did not create";
  const auto stale = EnforcementDetails()["stale_wired"];
  ASSERT_EQ(stale.size(), 2U) << EnforcementDetails().dump();
  const std::string recreate = stale[0]["recreate"].get<std::string>();
  EXPECT_THAT(recreate, HasSubstr("--out " + override_file.string() + " && cd " + dir.string() +
                                  " && docker-compose -p " + project + " -f compose.yaml -f wired.yaml up -d "
                                  "--force-recreate web worker"));
  const CmdResult status = Ironward("status");
  EXPECT_THAT(status.out, HasSubstr("Stale wired containers"));
  EXPECT_THAT(status.out, HasSubstr("re-create: " + recreate));

  // The command as printed, with ironward on PATH, as an operator would paste it.
  const std::string bin_dir = std::filesystem::path(IronwardBin()).parent_path().string();
  const CmdResult again = Run("export PATH=" + Quote(bin_dir) + ":$PATH IRONWARD_STATE_DIR=" + Quote(state_.string()) +
                              "; " + recreate);
  ASSERT_EQ(again.code, 0) << again.out;
  const CmdResult dry = DryRun();
  EXPECT_EQ(dry.code, 0) << dry.out;
  EXPECT_THAT(dry.out, Not(HasSubstr("older ironward wiring")));
  ExpectWiredAndConfined(web);
  ExpectRequestViaProxyWorks("compose service web after re-create", web);
  EXPECT_EQ(Run(compose + " -f compose.yaml -f wired.yaml down").code, 0);
}

TEST_F(AdoptionTest, DockerRunWithDockerArgsOrTheEnvFileIsWiredAndAnUnwiredOneIsStopped) {
  enforcement_mode_ = "enforce";
  WriteSpec(1, 1);
  ASSERT_EQ(Reconcile().code, 0);
  const auto args = tmp_.path() / "agent.args";
  ASSERT_EQ(Wiring("docker-args", args).code, 0);
  const std::string agent = name_ + "-run";
  const CmdResult started = Run("eval \"docker run -d --name " + agent + " $(tr '\\n' ' ' < " + Quote(args.string()) +
                                ") " + TestImage() + " sleep infinity\"");
  ASSERT_EQ(started.code, 0) << started.out;
  ExpectWiredAndConfined(agent);
  // An unwired container under the selector: enforcement has teeth.
  const std::string rogue = name_ + "-rogue";
  ASSERT_EQ(Run("docker run -d --name " + rogue + " --label ironward.dev/policed=true --label ironward.test.run=" +
                name_ + " " + TestImage() + " sleep infinity")
                .code,
            0);
  const CmdResult applied = Reconcile();
  ASSERT_EQ(applied.code, 0) << applied.out;
  EXPECT_TRUE(Running(agent)) << "compliant: not stopped";
  EXPECT_FALSE(Running(rogue)) << "not wired: stopped under enforce";
  ExpectRequestViaProxyWorks("docker run container", agent);

  // The env file holds the same variables, for `docker run --env-file`.
  const auto env = tmp_.path() / "agent.env";
  ASSERT_EQ(Wiring("env", env).code, 0);
  const CmdResult seen = Run("docker run --rm --label ironward.test.run=" + name_ + " --env-file " +
                             Quote(env.string()) + " " + TestImage() +
                             " sh -c 'echo \"$HTTPS_PROXY|$IRONWARD_EGRESS_PROXY|$SSL_CERT_FILE\"'");
  EXPECT_EQ(Trim(seen.out), "http://" + gateway_ + ":" + std::to_string(tunnel_port_) +
                                "|1|/etc/ssl/certs/ironward-egress-ca.crt");
}

TEST_F(AdoptionTest, TheHomeAndCredentialsOfAnotherLocalAccountAreForbiddenMounts) {
  TempAccount account("iwt" + std::to_string(::getpid()));
  ASSERT_TRUE(account.ok && !account.home.empty()) << "useradd failed";
  std::filesystem::create_directories(account.home + "/.ssh");
  WriteFile(account.home + "/.ssh/id_ed25519", "not a real key\n");
  enforcement_mode_ = "enforce";

  // A declared sandbox mounting the account's ~/.ssh is refused before anything is created. (The
  // fixture's spec ends inside spec.sandboxes, so these lines add a second list item.)
  const std::string keys = name_ + "-keys";
  spec_extra_ = "    - name: " + keys + "\n      image: \"" + TestImage() +
                "\"\n      command: [\"sleep\", \"infinity\"]\n      mounts: [\"" + account.home +
                "/.ssh:/keys:ro\"]\n";
  WriteSpec(1, 1);
  const CmdResult refused = Reconcile();
  EXPECT_EQ(refused.code, 1) << refused.out;
  EXPECT_THAT(refused.out, HasSubstr("it is ~" + account.name + "/.ssh"));
  EXPECT_TRUE(engine_->Inspect(keys).is_null()) << "nothing was created with the forbidden mount";

  // A container wired by `ironward wiring` but mounting the account's home is stopped under enforce.
  spec_extra_.clear();
  WriteSpec(1, 1);
  ASSERT_EQ(Reconcile().code, 0);
  const auto args = tmp_.path() / "agent.args";
  ASSERT_EQ(Wiring("docker-args", args).code, 0);
  const std::string agent = name_ + "-home";
  ASSERT_EQ(Run("eval \"docker run -d --name " + agent + " -v " + account.home + ":/data:ro $(tr '\\n' ' ' < " +
                Quote(args.string()) + ") " + TestImage() + " sleep infinity\"")
                .code,
            0);
  ASSERT_EQ(Reconcile().code, 0);
  EXPECT_FALSE(Running(agent)) << "a policed container with another account's home is stopped";
  EXPECT_THAT(EnforcementDetails()["violations"].dump(),
              HasSubstr("forbidden mount " + account.home + " -> /data: it is the home of " + account.name));
}

TEST_F(AdoptionTest, HermesProfileNamesEndToEnd) {
  enforcement_mode_ = "enforce";
  spec_extra_ = "  wiring: {profile: hermes}\n";
  WriteSpec(1, 1);
  const CmdResult applied = Reconcile();
  ASSERT_EQ(applied.code, 0) << applied.out;
  const std::string env = Exec("env");
  EXPECT_THAT(env, HasSubstr("HERMES_EGRESS_PROXY=1"));
  EXPECT_THAT(env, HasSubstr("SSL_CERT_FILE=/etc/ssl/certs/hermes-egress-ca.crt"));
  EXPECT_THAT(env, HasSubstr("HERMES_PROXY_TOKEN_OPENROUTER_API_KEY="));
  EXPECT_THAT(env, Not(HasSubstr("IRONWARD_PROXY_TOKEN_")));
  EXPECT_EQ(Trim(Exec("test -s /etc/ssl/certs/hermes-egress-ca.crt && echo mounted")), "mounted");
  ExpectRequestViaProxyWorks("owned sandbox, hermes names", "", "HERMES_PROXY_TOKEN_OPENROUTER_API_KEY");

  // A container hermes-agent's Docker backend would start, from the same wiring.
  const auto args = tmp_.path() / "hermes.args";
  ASSERT_EQ(Wiring("docker-args", args).code, 0);
  const std::string hermes = name_ + "-hermes";
  ASSERT_EQ(Run("eval \"docker run -d --name " + hermes + " $(tr '\\n' ' ' < " + Quote(args.string()) + ") " +
                TestImage() + " sleep infinity\"")
                .code,
            0);
  ExpectWiredAndConfined(hermes);
  ASSERT_EQ(Reconcile().code, 0);
  EXPECT_TRUE(Running(hermes));
  EXPECT_EQ(EnforcementDetails()["non_compliant"], 0) << EnforcementDetails().dump();
  ExpectRequestViaProxyWorks("docker run with hermes names", hermes, "HERMES_PROXY_TOKEN_OPENROUTER_API_KEY");
}

TEST_F(AdoptionTest, SecretEnvReachesOnlyItsSandboxAndARotationRecreatesItWithoutRestartingTheProxy) {
  const std::string v1 = "bot-token-SYSTEM-v1-5ec12e7";
  const std::string v2 = "bot-token-SYSTEM-v2-5ec12e8";
  const auto env_file = tmp_.path() / "sandbox-secrets.env";
  auto write_env = [&](const std::string& value) {
    WriteFile(env_file, "TELEGRAM_BOT_TOKEN=" + value + "\n");
    ASSERT_EQ(::chmod(env_file.c_str(), 0600), 0);
  };
  write_env(v1);
  spec_extra_ = "      secretEnv: {BOT_TOKEN: TELEGRAM_BOT_TOKEN}\n"
                "  credentials:\n"
                "    envFile: " + env_file.string() + "\n";
  WriteSpec(1, 1);
  const CmdResult applied = Reconcile();
  ASSERT_EQ(applied.code, 0) << applied.out;
  EXPECT_EQ(Trim(Exec("echo \"$BOT_TOKEN\"")), v1);
  const pid_t proxy = ProxyPid();
  ASSERT_GT(proxy, 0);
  EXPECT_EQ(ReadFile("/proc/" + std::to_string(proxy) + "/environ").find(v1), std::string::npos)
      << "the proxy never holds a sandbox's secret";
  ExpectRequestViaProxyWorks("sandbox with secretEnv");
  const std::string id = SandboxId();

  write_env(v2);
  const CmdResult plan = DryRun();
  EXPECT_EQ(plan.code, 2) << plan.out;
  EXPECT_THAT(plan.out, HasSubstr("a secretEnv secret changed"));
  const CmdResult rotated = Reconcile();
  ASSERT_EQ(rotated.code, 0) << rotated.out;
  EXPECT_NE(SandboxId(), id) << "re-created with the new value";
  EXPECT_EQ(Trim(Exec("echo \"$BOT_TOKEN\"")), v2);
  EXPECT_EQ(ProxyPid(), proxy) << "a sandbox's secret is no reason to restart the proxy";
  (void)Ironward("status");
  (void)Ironward("status -o json");

  // Digests only: nothing ironward printed or stored outside the env file holds either value.
  for (const std::string& v : {v1, v2}) {
    EXPECT_EQ(transcript_.find(v), std::string::npos);
    EXPECT_EQ(Sh("grep -rl -- " + Quote(v) + " " + Quote(state_.string())).out, "") << "a state file holds it";
  }
}

}  // namespace
}  // namespace ironward::system_test
