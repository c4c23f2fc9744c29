// The real `ironward audit` binary: against logs written here (exact output in every format,
// --follow across a rotation, usage errors), and end to end against the iron-proxy double that
// `ironward reconcile` installs and starts, with requests sent through it.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "reconcilers/daemon/daemon_control.h"
#include "reconcilers/daemon/log_file.h"
#include "tests/support/audit_lines.h"
#include "tests/support/eventually.h"
#include "tests/support/gateway_yaml.h"
#include "tests/support/packaged_release.h"
#include "tests/support/ports.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace ironward {
namespace {

using testing::AuditLine;
using testing::ReadFile;
using testing::WriteFile;

constexpr const char* kSecretValue = "sk-or-v1-AUDIT-SECRET-do-not-leak-31c9";
constexpr const char* kSecondSecret = "sk-proj-AUDIT-SECRET-TWO-77b2";
constexpr const char* kPathToken = "ironward-telegram-5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e";
/// No engine answers here: sandboxes are shown by address whatever the test machine runs.
constexpr const char* kNoDocker = "DOCKER_HOST=unix:///nonexistent/docker.sock";

struct CmdResult {
  int code = -1;
  std::string out, err;
};

class AuditCliTest : public testing::PackagedReleaseTest {
 protected:
  void SetUp() override {
    state_ = tmp_.path() / "state";
    std::filesystem::create_directories(state_);
    std::filesystem::permissions(state_, std::filesystem::perms::owner_all);
  }

  void TearDown() override {
    if (std::filesystem::exists(state_ / "iron-proxy.pid")) (void)daemon::StopProxy(state_, std::chrono::seconds(3));
    for (const std::string& secret : {std::string(kSecretValue), std::string(kSecondSecret), std::string(kPathToken)}) {
      EXPECT_EQ(transcript_.find(secret), std::string::npos) << "a secret or token was printed";
    }
    for (const auto& token : tokens_) EXPECT_EQ(transcript_.find(token), std::string::npos) << "a proxy token was printed";
    EXPECT_EQ(transcript_.find("5e5e5e5e5e5e"), std::string::npos);
  }

  CmdResult Ironward(const std::string& args) {
    const auto out = tmp_.path() / "stdout";
    const auto err = tmp_.path() / "stderr";
    const std::string cmd = "OPENROUTER_API_KEY='" + std::string(kSecretValue) + "' OPENAI_API_KEY='" + kSecondSecret +
                            "' " + kNoDocker + " " IRONWARD_BIN " --state-dir '" + state_.string() + "' " + args +
                            " >'" + out.string() + "' 2>'" + err.string() + "'";
    const int status = std::system(cmd.c_str());
    CmdResult r{WIFEXITED(status) ? WEXITSTATUS(status) : -1, ReadFile(out), ReadFile(err)};
    transcript_ += r.out + r.err;
    return r;
  }

  void Log(const std::string& name, const std::string& text) {
    WriteFile(state_ / name, text);
    std::filesystem::permissions(state_ / name, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  }

  /// `ironward audit --follow --since SINCE -o FORMAT`, its output appended to `out`.
  testing::ChildProcess Follow(const std::string& out, const std::string& since, const std::string& format) {
    testing::SpawnOptions options;
    options.log = out;
    options.env = {{"DOCKER_HOST", "unix:///nonexistent/docker.sock"}};
    return testing::ChildProcess(
        {IRONWARD_BIN, "--state-dir", state_.string(), "audit", "--follow", "--since", since, "-o", format}, options);
  }

  /// Request records in the live log so far.
  int LiveRecords() const {
    const std::string log = ReadFile(state_ / "iron-proxy.log");
    int n = 0;
    for (auto p = log.find("\"msg\":\"request\""); p != std::string::npos; p = log.find("\"msg\":\"request\"", p + 1)) ++n;
    return n;
  }

  testing::TempDir tmp_;
  std::filesystem::path state_;
  std::string transcript_;
  std::vector<std::string> tokens_;  ///< proxy tokens minted for the e2e gateway
};

/// Two generations: the rotated copy holds the older records; the live file ends mid-line.
void WriteTwoGenerations(const std::function<void(const std::string&, const std::string&)>& log) {
  log("iron-proxy.log.1",
      R"({"time":"2026-05-01T11:59:00+02:00","level":"INFO","msg":"starting","addr":"127.0.0.1:9090"})" "\n" +
          AuditLine({.time = "2026-05-01T12:00:00.250+02:00", .host = "api.github.com:443", .method = "CONNECT",
                     .path = "", .remote = "172.18.0.5:40000"}) +
          AuditLine({.time = "2026-05-01T12:00:01+02:00", .host = "api.github.com", .path = "/repos/x",
                     .remote = "172.18.0.5:40000", .tunnel_target = "api.github.com:443"}) +
          AuditLine({.time = "2026-05-01T12:01:00+02:00", .host = "pypi.org:443", .method = "CONNECT", .path = "",
                     .remote = "172.18.0.6:40001", .action = "reject", .status = 403, .rejected_by = "allowlist"}));
  log("iron-proxy.log",
      AuditLine({.time = "2026-05-01T12:02:00+02:00", .host = "api.telegram.org",
                 .path = std::string("/bot") + kPathToken + "/getMe", .remote = "172.18.0.6:40002", .action = "error",
                 .status = 502, .error = std::string("Get \"https://api.telegram.org/bot") + kPathToken + "/getMe\": EOF"}) +
          "2026/05/01 12:02:30 http: TLS handshake error from 172.18.0.6:40003: EOF\n" +
          AuditLine({.time = "2026-05-01T12:03:00+02:00", .host = "pypi.org:443", .method = "CONNECT", .path = "",
                     .remote = "172.18.0.6:40004", .action = "reject", .status = 403, .rejected_by = "allowlist"}) +
          "\x01garbage\n" + R"({"time":"2026-05-01T12:04:00+02:00","level":"WARN","msg":"requ)");
}

TEST_F(AuditCliTest, WrittenLogsAcrossARotationGiveExactNumbersInEveryFormat) {
  WriteTwoGenerations([this](const std::string& n, const std::string& t) { Log(n, t); });

  const auto text = Ironward("audit");
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_EQ(text.out,
            "HOST              ALLOWED  REJECTED  ERRORS  OTHER  FIRST SEEN                LAST SEEN                 SANDBOXES\n"
            "pypi.org          0        2         0       0      2026-05-01T10:01:00.000Z  2026-05-01T10:03:00.000Z  172.18.0.6\n"
            "api.github.com    2        0         0       0      2026-05-01T10:00:00.250Z  2026-05-01T10:00:01.000Z  172.18.0.5\n"
            "api.telegram.org  0        0         1       0      2026-05-01T10:02:00.000Z  2026-05-01T10:02:00.000Z  172.18.0.6\n"
            "\n"
            "5 record(s), 3 host(s) (read iron-proxy.log.1, iron-proxy.log).\n");

  const auto json = Ironward("audit -o json");
  ASSERT_EQ(json.code, 0) << json.err;
  const auto j = nlohmann::json::parse(json.out);
  EXPECT_EQ(j["records_read"], 5);
  EXPECT_EQ(j["records_matched"], 5);
  EXPECT_EQ(j["lines_skipped"], 3) << "the start-up line, the plain-text line, the garbage; the partial last line waits";
  EXPECT_EQ(j["files"], nlohmann::json({"iron-proxy.log.1", "iron-proxy.log"}));
  ASSERT_EQ(j["hosts"].size(), 3U);
  EXPECT_EQ(j["hosts"][0]["host"], "pypi.org");
  EXPECT_EQ(j["hosts"][0]["rejected"], 2);
  EXPECT_EQ(j["hosts"][0]["rejected_by"], nlohmann::json({"allowlist"}));
  EXPECT_EQ(j["hosts"][2]["errors"], 1);

  const auto csv = Ironward("audit --denied -o csv");
  ASSERT_EQ(csv.code, 0) << csv.err;
  EXPECT_EQ(csv.out,
            "host,allowed,rejected,errors,other,total,first_seen,last_seen,sandboxes,rejected_by\r\n"
            "pypi.org,0,2,0,0,2,2026-05-01T10:01:00.000Z,2026-05-01T10:03:00.000Z,172.18.0.6,allowlist\r\n");

  const auto since = Ironward("audit --since 2026-05-01T10:01:30Z --host 'PYPI.*' -o json");
  ASSERT_EQ(since.code, 0) << since.err;
  const auto s = nlohmann::json::parse(since.out);
  ASSERT_EQ(s["hosts"].size(), 1U);
  EXPECT_EQ(s["hosts"][0]["rejected"], 1);
  EXPECT_EQ(s["records_matched"], 1);
  EXPECT_EQ(s["since"], "2026-05-01T10:01:30.000Z");

  const auto suggest = Ironward("audit --suggest");
  ASSERT_EQ(suggest.code, 0) << suggest.err;
  EXPECT_NE(suggest.out.find("spec:\n  allowlist:\n    - \"pypi.org\""), std::string::npos) << suggest.out;
  EXPECT_EQ(suggest.out.find("api.github.com"), std::string::npos) << "allowed hosts are not suggested";
}

TEST_F(AuditCliTest, FollowPrintsNewRecordsAcrossARotationAndStopsCleanlyOnSigterm) {
  WriteTwoGenerations([this](const std::string& n, const std::string& t) { Log(n, t); });
  const std::string out = (tmp_.path() / "follow.out").string();
  testing::ChildProcess follow = Follow(out, "2026-05-01T10:01:30Z", "json");
  ASSERT_GT(follow.pid(), 0);
  auto lines = [&] {
    std::vector<nlohmann::json> got;
    const std::string text = ReadFile(out);
    std::size_t pos = 0;
    for (auto nl = text.find('\n'); nl != std::string::npos; pos = nl + 1, nl = text.find('\n', pos)) {
      got.push_back(nlohmann::json::parse(text.substr(pos, nl - pos), nullptr, false));
    }
    return got;
  };
  // What was there since --since: the error and the second rejection.
  ASSERT_TRUE(testing::Eventually([&] { return lines().size() == 2; }, std::chrono::seconds(10))) << ReadFile(out);
  EXPECT_EQ(lines()[0]["action"], "error");
  EXPECT_EQ(lines()[0]["path"], "/botironward-telegram-REDACTED/getMe");
  EXPECT_EQ(lines()[0]["error"], "Get \"https://api.telegram.org/REDACTED\": EOF");
  // The partial line is completed: it was being written.
  {
    std::ofstream live(state_ / "iron-proxy.log", std::ios::app);
    live << R"(est","audit":{"host":"late.example.com","method":"GET","path":"/","remote_addr":"172.18.0.7:1",)"
            R"("sni":"late.example.com","mode":"mitm","action":"allow","status_code":200,"duration_ms":1}})" "\n";
  }
  ASSERT_TRUE(testing::Eventually([&] { return lines().size() == 3; }, std::chrono::seconds(10))) << ReadFile(out);
  EXPECT_EQ(lines()[2]["host"], "late.example.com");
  // Records written just before a rotation, and after it, are printed once each.
  {
    std::ofstream live(state_ / "iron-proxy.log", std::ios::app);
    live << AuditLine({.time = "2026-05-01T12:05:00+02:00", .host = "before.example.com"});
  }
  state::StateWriter writer(state_);
  ASSERT_TRUE(daemon::RotateIfNeeded(writer, 0).ok());
  {
    std::ofstream live(state_ / "iron-proxy.log", std::ios::app);
    live << AuditLine({.time = "2026-05-01T12:06:00+02:00", .host = "after.example.com"});
  }
  ASSERT_TRUE(testing::Eventually([&] { return lines().size() == 5; }, std::chrono::seconds(10))) << ReadFile(out);
  EXPECT_EQ(lines()[3]["host"], "before.example.com");
  EXPECT_EQ(lines()[4]["host"], "after.example.com");
  ::kill(follow.pid(), SIGTERM);
  const testing::ExitStatus exit = follow.Wait();
  EXPECT_EQ(exit.code, 0) << "signal " << exit.signal;
  EXPECT_EQ(lines().size(), 5U) << ReadFile(out);
  transcript_ += ReadFile(out);
}

TEST_F(AuditCliTest, UsageErrorsExit64AndAMissingLogExits1) {
  EXPECT_EQ(Ironward("audit --since yesterday").code, 64);
  EXPECT_EQ(Ironward("audit --suggest --follow").code, 64);
  EXPECT_EQ(Ironward("audit --suggest -o json").code, 64);
  EXPECT_EQ(Ironward("audit -f gateway.yaml").code, 64);
  EXPECT_EQ(Ironward("audit -o yaml").code, 64);
  const auto missing = Ironward("audit");
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.err.find("no proxy log in"), std::string::npos) << missing.err;
  EXPECT_NE(missing.err.find("reconcile -f FILE"), std::string::npos) << missing.err;
  const auto help = Ironward("audit --help");
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("Examples:"), std::string::npos);
  EXPECT_NE(help.out.find("--suggest"), std::string::npos);
  std::filesystem::remove_all(state_);
  EXPECT_EQ(Ironward("audit").code, 1);
}

// End to end: `ironward reconcile` starts the double; CONNECTs and an HTTPS request go through it;
// the log rotates (ironward's own rotation) in the middle; `ironward audit` counts exactly.
TEST_F(AuditCliTest, RequestsThroughTheProxyDoubleShowUpWithExactCounts) {
  ASSERT_EQ(std::system("command -v curl >/dev/null"), 0) << "curl is needed (scripts/setup.sh installs it)";
  const int port = testing::FreeLoopbackPorts(6, 28000);
  ASSERT_GT(port, 0);
  testing::GatewayYaml g = PackagedGateway(port);
  g.allowlist = R"(["api.github.com", "localhost"])";
  const std::string gateway = g.Render();
  const auto file = tmp_.path() / "gateway.yaml";
  WriteFile(file, gateway);
  ASSERT_EQ(Ironward("reconcile -f " + file.string()).code, 0) << transcript_;
  const auto mappings = nlohmann::json::parse(ReadFile(state_ / "mappings.json"));
  for (const auto& [name, m] : mappings["providers"].items()) tokens_.push_back(m["token"].get<std::string>());
  ASSERT_FALSE(tokens_.empty());

  EXPECT_EQ(testing::ProxyConnect(port, "api.github.com:443"), 200);
  EXPECT_EQ(testing::ProxyConnect(port, "api.github.com:443"), 200);
  EXPECT_EQ(testing::ProxyConnect(port, "blocked.example.com:443"), 403);
  EXPECT_EQ(testing::ProxyConnect(port, "blocked.example.com:443"), 403);
  // Allowed CONNECT, then the request inside fails upstream (port 1, and loopback is denied): an
  // error record whose path holds a proxy token (a provider with `in: path` puts it there).
  const std::string curl = "curl -sS -o /dev/null --max-time 10 --proxy http://127.0.0.1:" + std::to_string(port) +
                           " --cacert '" + (state_ / "ca.crt").string() + "' 'https://localhost:1/bot" + tokens_[0] +
                           "/getMe' 2>/dev/null";
  EXPECT_NE(std::system(curl.c_str()), -1);
  ASSERT_TRUE(testing::Eventually([&] { return LiveRecords() == 6; }, std::chrono::seconds(10)))
      << ReadFile(state_ / "iron-proxy.log");

  state::StateWriter writer(state_);
  auto rotated = daemon::RotateIfNeeded(writer, 0);  // what the daemon reconciler does over the limit
  ASSERT_TRUE(rotated.ok() && *rotated);
  EXPECT_EQ(testing::ProxyConnect(port, "blocked.example.com:443"), 403);
  EXPECT_EQ(testing::ProxyConnect(port, "api.github.com:443"), 200);
  ASSERT_TRUE(testing::Eventually([&] { return LiveRecords() == 2; }, std::chrono::seconds(10)));

  const auto r = Ironward("audit -o json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["files"], nlohmann::json({"iron-proxy.log.1", "iron-proxy.log"}));
  EXPECT_EQ(j["records_matched"], 8);
  std::map<std::string, nlohmann::json> by_host;
  for (const auto& h : j["hosts"]) by_host[h["host"].get<std::string>()] = h;
  ASSERT_EQ(by_host.size(), 3U) << r.out;
  const auto& blocked = by_host["blocked.example.com"];
  EXPECT_EQ(blocked["rejected"], 3);
  EXPECT_EQ(blocked["allowed"], 0);
  EXPECT_EQ(blocked["rejected_by"], nlohmann::json({"allowlist"}));
  EXPECT_EQ(blocked["sandboxes"], nlohmann::json({"127.0.0.1"})) << "no Docker: the client address";
  EXPECT_EQ(by_host["api.github.com"]["allowed"], 3);
  EXPECT_EQ(by_host["api.github.com"]["rejected"], 0);
  EXPECT_EQ(by_host["localhost"]["allowed"], 1);
  EXPECT_EQ(by_host["localhost"]["errors"], 1);

  const auto denied = Ironward("audit --denied");
  EXPECT_EQ(denied.code, 0);
  EXPECT_NE(denied.out.find("blocked.example.com  0        3         0       0"), std::string::npos) << denied.out;
  EXPECT_EQ(denied.out.find("api.github.com"), std::string::npos) << denied.out;

  // Record lines show paths: the token the request carried is redacted there.
  const std::string out = (tmp_.path() / "follow.csv").string();
  testing::ChildProcess follow = Follow(out, "1h", "csv");
  ASSERT_GT(follow.pid(), 0);
  auto rows = [&] {
    const std::string text = ReadFile(out);
    return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
  };
  ASSERT_TRUE(testing::Eventually([&] { return rows() == 9; }, std::chrono::seconds(10))) << ReadFile(out);
  ::kill(follow.pid(), SIGTERM);
  const testing::ExitStatus exit = follow.Wait();
  EXPECT_EQ(exit.code, 0) << "signal " << exit.signal;
  const std::string csv = ReadFile(out);
  transcript_ += csv;
  EXPECT_NE(csv.find(",error,localhost,localhost:1,GET,/bot" + tokens_[0].substr(0, tokens_[0].rfind('-') + 1) +
                     "REDACTED/getMe,502,"),
            std::string::npos)
      << csv;

  const auto suggest = Ironward("audit --suggest -f " + file.string());
  EXPECT_EQ(suggest.code, 0) << suggest.err;
  EXPECT_NE(suggest.out.find("    - \"api.github.com\"\n    - \"localhost\"\n    - \"blocked.example.com\""),
            std::string::npos)
      << suggest.out;
  transcript_ += ReadFile(state_ / "status.json");
}

}  // namespace
}  // namespace ironward
