// Runs the real `ironward run` daemon (a child process) against the iron-proxy double installed
// from a file:// release, with a temporary state dir and free ports. Assertions wait for an
// eventual outcome with generous timeouts; latency figures live in bench/run_latency.sh.
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "reconcilers/daemon/daemon_control.h"
#include "reconcilers/daemon/pid_record.h"
#include "tests/support/audit_lines.h"
#include "tests/support/eventually.h"
#include "tests/support/gateway_yaml.h"
#include "tests/support/headless_chromium.h"
#include "tests/support/packaged_release.h"
#include "tests/support/ports.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace ironward {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::Alive;
using testing::Eventually;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

constexpr const char* kSecretValue = "sk-or-v1-RUN-SECRET-do-not-leak-5d21";
constexpr const char* kSecondSecret = "sk-proj-RUN-SECRET-TWO-88aa";

/// How `ironward run` logs the start of a pass: "<time> info pass: <reasons>".
constexpr const char* kPassLine = " info pass: ";

/// Seven consecutive free ports: six for the proxy's listeners, one for /metrics.
int FreePortBase() { return testing::FreeLoopbackPorts(7, 16000); }

/// What systemd listens on for sd_notify(3): an AF_UNIX datagram socket, one message per datagram.
class NotifySocket {
 public:
  explicit NotifySocket(const std::filesystem::path& path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    const std::string p = path.string();
    if (fd_ >= 0 && p.size() < sizeof(a.sun_path)) {
      p.copy(a.sun_path, p.size());
      bound_ = ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0;
    }
  }
  ~NotifySocket() {
    if (fd_ >= 0) ::close(fd_);
  }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  bool bound() const { return bound_; }
  const std::vector<std::string>& messages() const { return messages_; }
  /// The datagram the last successful WaitFor matched.
  const std::string& last_match() const { return messages_.at(next_ - 1); }

  /// Reads datagrams until one after the previous match satisfies `pred`; false on timeout.
  template <class Pred>
  bool WaitFor(Pred pred, milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      while (next_ < messages_.size()) {
        if (pred(messages_[next_++])) return true;
      }
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) != 1) continue;
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n >= 0) messages_.emplace_back(buf, static_cast<std::size_t>(n));
    }
  }

  /// Every datagram so far, newlines shown as \n, for failure messages.
  std::string Dump() const {
    std::string out = "notify datagrams:";
    for (const auto& m : messages_) {
      out += "\n  ";
      for (const char c : m) out += c == '\n' ? std::string("\\n") : std::string(1, c);
    }
    return out + "\n";
  }

 private:
  int fd_ = -1;
  bool bound_ = false;
  std::vector<std::string> messages_;
  std::size_t next_ = 0;
};

class RunDaemonTest : public testing::PackagedReleaseTest {
 protected:
  void SetUp() override {
    spec_ = tmp_.path() / "desired" / "gateway.yaml";
    std::filesystem::create_directories(spec_.parent_path());
    state_ = tmp_.path() / "state";
    const int base = FreePortBase();
    ASSERT_GT(base, 0);
    metrics_port_ = base + 6;
    gateway_ = PackagedGateway(base).Render();
    WriteFile(spec_, gateway_);
  }

  void TearDown() override {
    daemon_.Kill();
    if (std::filesystem::exists(state_ / "iron-proxy.pid")) (void)daemon::StopProxy(state_, milliseconds(3000));
    const std::string everything = Log() + ReadFile(state_ / "status.json");
    EXPECT_EQ(everything.find(kSecretValue), std::string::npos) << "a secret leaked into the log or status";
    EXPECT_EQ(everything.find(kSecondSecret), std::string::npos);
  }

  /// Starts `ironward run` with the given extra arguments (after `run -f FILE`).
  void Start(std::vector<std::string> extra = {"--harden-interval", "0"}) {
    std::vector<std::string> args = {IRONWARD_BIN, "--state-dir", state_.string(), "--log-level", "info", "run",
                                     "-f", spec_.string(), "--metrics-addr",
                                     "127.0.0.1:" + std::to_string(metrics_port_)};
    args.insert(args.end(), extra.begin(), extra.end());
    testing::SpawnOptions options;
    options.log = (tmp_.path() / "daemon.log").string();
    options.env = {{"OPENROUTER_API_KEY", kSecretValue}, {"OPENAI_API_KEY", kSecondSecret}};
    for (const auto& [name, value] : child_env_) options.env[name] = value;
    // systemd sets WATCHDOG_PID to the main process: after exec, the child's own pid.
    if (child_watchdog_pid_) options.own_pid_env = "WATCHDOG_PID";
    ASSERT_TRUE(daemon_.Start(args, options));
  }

  /// Starts and waits for the first pass to have converged with the proxy up.
  void StartReady() {
    Start();
    ASSERT_TRUE(Eventually([&] { return Get("/readyz").first == 200; }, seconds(40)))
        << Get("/readyz?verbose").second << Log();
  }

  std::pair<int, std::string> Get(const std::string& path) {
    httplib::Client c("127.0.0.1", metrics_port_);
    c.set_connection_timeout(1, 0);
    c.set_read_timeout(5, 0);
    auto r = c.Get(path.c_str());
    if (!r) return {0, ""};
    return {r->status, r->body};
  }

  nlohmann::json Status() {
    const std::string text = ReadFile(state_ / "status.json");
    if (text.empty()) return nlohmann::json::object();
    try {
      return nlohmann::json::parse(text);
    } catch (const std::exception&) {
      return nlohmann::json::object();
    }
  }

  pid_t ProxyPid() {
    auto r = daemon::ParsePidRecord(ReadFile(state_ / "iron-proxy.pid"));
    return r.ok() ? r->pid : 0;
  }

  std::string Log() { return ReadFile(tmp_.path() / "daemon.log"); }

  /// Runs a one-shot ironward command; returns (exit code, stdout+stderr).
  std::pair<int, std::string> Ironward(const std::string& args) {
    const auto out = tmp_.path() / "cmd.out";
    const std::string cmd = "OPENROUTER_API_KEY='" + std::string(kSecretValue) + "' OPENAI_API_KEY='" + kSecondSecret +
                            "' " IRONWARD_BIN " --state-dir '" + state_.string() + "' " + args + " >'" + out.string() +
                            "' 2>&1";
    const int status = std::system(cmd.c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, ReadFile(out)};
  }

  /// Atomic replace, the way editors and git write files.
  void Replace(const std::string& text) {
    const auto tmp = spec_.parent_path() / ".gateway.yaml.tmp";
    WriteFile(tmp, text);
    std::filesystem::rename(tmp, spec_);
  }

  /// The reasons of every pass the daemon started after byte `from` of its log (kPassLine).
  std::vector<std::string> PassesSince(std::size_t from = 0) {
    const std::string log = Log();
    std::vector<std::string> reasons;
    for (auto at = log.find(kPassLine, from); at != std::string::npos; at = log.find(kPassLine, at + 1)) {
      const auto start = at + std::string(kPassLine).size();
      reasons.push_back(log.substr(start, log.find('\n', start) - start));
    }
    return reasons;
  }
  std::size_t Passes() { return PassesSince().size(); }
  /// A pass whose reasons name `trigger`, logged after byte `from` of the log, has ended: its
  /// "Recap:" line (quiet or not) follows it, so status.json already holds what the pass recorded.
  bool PassDone(const std::string& trigger, std::size_t from = 0) {
    const std::string log = Log();
    for (auto at = log.find(kPassLine, from); at != std::string::npos; at = log.find(kPassLine, at + 1)) {
      const std::string reasons = log.substr(at, log.find('\n', at) - at);
      if (reasons.find(trigger) != std::string::npos) return log.find("Recap: ok=", at) != std::string::npos;
    }
    return false;
  }
  /// The last pass the daemon started has ended (or none started).
  bool NoPassRunning() {
    const std::string log = Log();
    const auto last = log.rfind(kPassLine);
    return last == std::string::npos || log.find("Recap: ok=", last) != std::string::npos;
  }

  TempDir tmp_;
  std::string gateway_;
  std::filesystem::path spec_;
  std::filesystem::path state_;
  int metrics_port_ = 0;
  testing::ChildProcess daemon_;  ///< `ironward run`
  std::map<std::string, std::string> child_env_;  ///< extra environment of the next Start()
  bool child_watchdog_pid_ = false;               ///< also set WATCHDOG_PID=<the daemon's pid>
};

TEST_F(RunDaemonTest, EditingTheFileAppliesItAndRecordsHistory) {
  StartReady();
  const std::string before = Status().value("desired", nlohmann::json::object()).value("digest", "");
  ASSERT_FALSE(before.empty()) << Status().dump(2);
  ASSERT_EQ(ReadFile(state_ / "proxy.yaml").find("example.org"), std::string::npos);
  const std::size_t runs = Status()["history"].size();

  Replace(testing::With(gateway_, R"(allowlist: ["api.github.com"])", R"(allowlist: ["api.github.com", "example.org"])"));
  ASSERT_TRUE(Eventually([&] { return ReadFile(state_ / "proxy.yaml").find("example.org") != std::string::npos; }))
      << Log();
  ASSERT_TRUE(Eventually([&] {
    auto s = Status();
    return s["desired"].value("digest", "") != before && s["history"].size() > runs;
  })) << Status().dump(2);
  auto s = Status();
  EXPECT_EQ(s["history"].back().value("result", ""), "converged") << s.dump(2);
  EXPECT_EQ(s["history"].back().value("desired_digest", ""), s["desired"].value("digest", ""));

  // Rewriting the same bytes (touch, an identical checkout) is not a new desired state. The daemon
  // says nothing when the bytes are the same, so a later event shows it was looked at: a state file
  // changed right after the rewrite is handled once its longer debounce (200 ms, the file's 100 ms)
  // ends. Once that pass is done, no pass for the desired state may have come before or with it.
  const std::size_t mark = Log().size();
  Replace(ReadFile(spec_));
  ASSERT_EQ(::chmod((state_ / "mappings.json").c_str(), 0644), 0);
  ASSERT_TRUE(Eventually([&] { return PassDone("state dir changed: mappings.json", mark); })) << Log();
  for (const auto& reasons : PassesSince(mark)) {
    EXPECT_EQ(reasons.find("desired"), std::string::npos) << "identical content must not trigger a pass\n" << Log();
  }
}

TEST_F(RunDaemonTest, KilledProxyIsHealed) {
  StartReady();
  const pid_t first = ProxyPid();
  ASSERT_TRUE(Alive(first));
  ASSERT_EQ(::kill(first, SIGKILL), 0);
  ASSERT_TRUE(Eventually([&] {
    const pid_t now = ProxyPid();
    return now != first && Alive(now) && Get("/readyz").first == 200;
  })) << Log();
  // Healed by the pidfd trigger (or, when the kill came before the pidfd was armed, by SIGCHLD's
  // reaping), not the drift check.
  EXPECT_TRUE(Log().find("exited; healing") != std::string::npos ||
              Log().find("exited while unwatched; healing") != std::string::npos)
      << Log();
  // The healing pass is counted when it ends, which may be just after the new proxy answers.
  std::string metrics;
  EXPECT_TRUE(Eventually([&] {
    metrics = Get("/metrics").second;
    return metrics.find("ironward_drift_events_total 0\n") == std::string::npos &&
           metrics.find("ironward_drift_events_total") != std::string::npos;
  })) << metrics;
  EXPECT_NE(metrics.find("ironward_proxy_up 1\n"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("ironward_drift_unhealed_passes{resource=\"daemon\"} 0\n"), std::string::npos)
      << "healed in the pass that found it: " << metrics;
  EXPECT_TRUE(Eventually([&] { return Log().find("healed 1 resource(s) that drifted") != std::string::npos; },
                         seconds(3)))
      << Log();
}

// A provider key missing from credentials.envFile holds back the proxy; adding it to the file
// heals everything without an edit of the desired state or a SIGHUP (it used to wait for one),
// and status says what it waits for.
TEST_F(RunDaemonTest, AKeyAddedToTheEnvFileHealsTheSecretsWithoutAnEditOrSighup) {
  const auto env_file = tmp_.path() / "secrets.env";
  auto write_env = [&](const std::string& text) {  // an editor's atomic replace, 0600
    const auto tmp = tmp_.path() / ".secrets.env.tmp";
    WriteFile(tmp, text);
    ::chmod(tmp.c_str(), 0600);
    std::filesystem::rename(tmp, env_file);
  };
  write_env("# OPENAI_API_KEY comes later\n");
  child_env_["OPENAI_API_KEY"] = "";  // not in ironward's environment either
  Replace(gateway_ + "  credentials:\n    source: env\n    envFile: " + env_file.string() + "\n");
  Start();
  ASSERT_TRUE(Eventually([&] {
    const auto s = Status();
    return s.contains("resources") && s["resources"].contains("secrets") &&
           s["resources"]["secrets"]["conditions"][0].value("reason", "") == "SecretMissing";
  })) << Status().dump(2) << Log();
  const std::string message = Status()["resources"]["secrets"]["conditions"][0].value("message", "");
  EXPECT_NE(message.find("OPENAI_API_KEY (provider openai)"), std::string::npos) << message;
  EXPECT_NE(message.find("at once when " + env_file.string() + " changes"), std::string::npos) << message;
  EXPECT_EQ(Get("/readyz").first, 503);

  write_env("OPENAI_API_KEY=" + std::string(kSecondSecret) + "\n");
  ASSERT_TRUE(Eventually([&] { return Get("/readyz").first == 200; }, seconds(30))) << Get("/readyz?verbose").second << Log();
  EXPECT_NE(Log().find("credentials.envFile " + env_file.string() + " changed"), std::string::npos) << Log();
  EXPECT_TRUE(Alive(ProxyPid()));
}

// A resource held after a terminal apply failure stays not ready in /readyz at the passes that
// skip it: its plan is clean, so before, the next pass found nothing failed and /readyz said
// "resources ok" (the engine soak found a sandbox held that way).
TEST_F(RunDaemonTest, AHeldResourceKeepsReadyzFailing) {
  // A wrong release pin: the download is refused (terminal), never installed.
  Replace(testing::With(gateway_, sha_, std::string(64, '1')));
  Start();
  ASSERT_TRUE(Eventually([&] { return Log().find("  binary         failed") != std::string::npos; })) << Log();
  // Another pass, which skips the held binary (a state file changed behind ironward's back).
  const auto mappings = state_ / "mappings.json";
  ASSERT_TRUE(Eventually([&] { return std::filesystem::exists(mappings); })) << Log();
  ASSERT_EQ(::chmod(mappings.c_str(), 0644), 0);
  EXPECT_TRUE(Eventually([&] {
    const auto ready = Get("/readyz?verbose");
    return ready.first == 503 && ready.second.find("binary (held)") != std::string::npos;
  })) << Get("/readyz?verbose").second << Log();
  EXPECT_NE(Log().find("Held: terminal error"), std::string::npos) << "the second pass skipped it";
}

TEST_F(RunDaemonTest, InvalidEditLeavesEverythingRunningAndIsReported) {
  StartReady();
  const pid_t proxy = ProxyPid();
  const std::string digest = Status()["desired"].value("digest", "");
  const std::string proxy_yaml = ReadFile(state_ / "proxy.yaml");

  Replace(gateway_ + "  bogusField: 1\n");
  ASSERT_TRUE(Eventually([&] { return Status().contains("desired_refused"); })) << Log();
  const auto refused = Status()["desired_refused"];
  EXPECT_EQ(refused.value("reason", ""), "InvalidDesiredState");
  EXPECT_NE(refused["errors"].dump().find("bogusField"), std::string::npos) << refused.dump(2);
  EXPECT_NE(refused.value("message", "").find("last good"), std::string::npos);

  // Nothing was torn down or changed.
  EXPECT_TRUE(Alive(proxy));
  EXPECT_EQ(ProxyPid(), proxy);
  EXPECT_EQ(ReadFile(state_ / "proxy.yaml"), proxy_yaml);
  EXPECT_EQ(Status()["desired"].value("digest", ""), digest);
  EXPECT_EQ(Get("/livez").first, 200);
  EXPECT_NE(Get("/readyz?verbose").second.find("newer file refused"), std::string::npos);
  EXPECT_NE(Get("/metrics").second.find("ironward_desired_state_refused 1\n"), std::string::npos);
  const auto status = Ironward("status");
  EXPECT_NE(status.second.find("DESIRED STATE REFUSED"), std::string::npos) << status.second;
  EXPECT_NE(status.second.find("bogusField"), std::string::npos) << status.second;

  // Still healing with the last good state while the file is refused.
  ASSERT_EQ(::kill(proxy, SIGKILL), 0);
  ASSERT_TRUE(Eventually([&] { return ProxyPid() != proxy && Alive(ProxyPid()); })) << Log();

  // Fixing the file clears the refusal.
  Replace(gateway_);
  ASSERT_TRUE(Eventually([&] { return !Status().contains("desired_refused"); })) << Status().dump(2);
  EXPECT_NE(Get("/metrics").second.find("ironward_desired_state_refused 0\n"), std::string::npos);
}

TEST_F(RunDaemonTest, InvalidFileAtStartupChangesNothingUntilAValidOneArrives) {
  WriteFile(spec_, gateway_ + "  bogusField: 1\n");
  Start();
  ASSERT_TRUE(Eventually([&] { return Status().contains("desired_refused"); })) << Log();
  EXPECT_NE(Status()["desired_refused"].value("message", "").find("no good desired state yet"), std::string::npos);
  auto ready = Get("/readyz?verbose");
  EXPECT_EQ(ready.first, 503);
  EXPECT_NE(ready.second.find("[-]desired_state failed: refused: "), std::string::npos) << ready.second;
  EXPECT_FALSE(std::filesystem::exists(state_ / "iron-proxy.pid")) << "nothing was installed or started";
  EXPECT_FALSE(std::filesystem::exists(state_ / "proxy.yaml"));
  const auto status = Ironward("status");
  EXPECT_EQ(status.first, 1);
  EXPECT_NE(status.second.find("DESIRED STATE REFUSED"), std::string::npos) << status.second;

  Replace(gateway_);
  ASSERT_TRUE(Eventually([&] { return Get("/readyz").first == 200; }, seconds(40))) << Log();
  EXPECT_FALSE(Status().contains("desired_refused"));
  EXPECT_TRUE(Alive(ProxyPid()));
}

TEST_F(RunDaemonTest, EndpointsAnswerAsSpecified) {
  StartReady();
  auto live = Get("/livez");
  EXPECT_EQ(live.first, 200);
  EXPECT_EQ(live.second, "ok\n");
  auto ready = Get("/readyz");
  EXPECT_EQ(ready.first, 200);
  EXPECT_EQ(ready.second, "ok\n");
  auto verbose = Get("/readyz?verbose");
  EXPECT_EQ(verbose.first, 200);
  for (const char* line : {"[+]desired_state ok\n", "[+]initial_reconcile ok\n", "[+]resources ok\n", "[+]proxy ok\n",
                           "readyz check passed\n"}) {
    EXPECT_NE(verbose.second.find(line), std::string::npos) << line << "\n" << verbose.second;
  }
  const std::string m = Get("/metrics").second;
  for (const char* want : {"# TYPE ironward_reconcile_total counter\n",
                           "ironward_reconcile_total{resource=\"daemon\",result=\"success\"} ",
                           "ironward_reconcile_errors_total{resource=\"ca\"} 0\n",
                           "# TYPE ironward_reconcile_time_seconds histogram\n",
                           "ironward_reconcile_time_seconds_bucket{resource=\"binary\",le=\"+Inf\"} ",
                           "ironward_proxy_up 1\n", "ironward_ca_not_after_timestamp_seconds ",
                           "ironward_drift_events_total 0\n", "ironward_ready 1\n",
                           "ironward_resource_condition{resource=\"daemon\",condition=\"Ready\"} 1\n",
                           "ironward_resource_condition{resource=\"daemon\",condition=\"Stalled\"} 0\n",
                           "ironward_drift_unhealed_passes{resource=\"daemon\"} 0\n"}) {
    EXPECT_NE(m.find(want), std::string::npos) << want << "\n" << m;
  }
  EXPECT_EQ(m.find("ironward_secret_last_fetch_timestamp_seconds"), std::string::npos)
      << "env secrets have no fetch time: the gauge is omitted, not 0";
  EXPECT_EQ(m.find("ironward_secret_refresh_interval_seconds"), std::string::npos) << "nor a refresh interval";
  EXPECT_EQ(Get("/nonexistent").first, 404);

  // While it runs, the read-only commands work (the writer lock is only held during a pass).
  EXPECT_EQ(Ironward("reconcile -f " + spec_.string() + " --dry-run").first, 0);
  EXPECT_EQ(Ironward("status").first, 0);
  const auto help = Ironward("run --help");
  EXPECT_EQ(help.first, 0);
  EXPECT_NE(help.second.find("--metrics-addr"), std::string::npos);
}

TEST_F(RunDaemonTest, NonLoopbackMetricsAddressIsRefused) {
  auto r = Ironward("run -f " + spec_.string() + " --metrics-addr 0.0.0.0:" + std::to_string(metrics_port_));
  EXPECT_EQ(r.first, 1);
  EXPECT_NE(r.second.find("non-loopback"), std::string::npos) << r.second;
  EXPECT_FALSE(std::filesystem::exists(state_ / "iron-proxy.pid")) << "refused before touching anything";
}

TEST_F(RunDaemonTest, SigtermStopsCleanlyAndTheProxyKeepsRunning) {
  StartReady();
  const pid_t proxy = ProxyPid();
  ASSERT_EQ(::kill(daemon_.pid(), SIGTERM), 0);
  EXPECT_EQ(daemon_.WaitExit(seconds(10)), 0) << Log();
  EXPECT_TRUE(Alive(proxy)) << "the proxy outlives the controller (KillMode=process)";
  EXPECT_NE(Log().find("stopping"), std::string::npos);
  // A new daemon adopts the running proxy instead of restarting it.
  StartReady();
  EXPECT_EQ(ProxyPid(), proxy);
}

TEST_F(RunDaemonTest, SystemdNotifySocketGetsReadyStatusWatchdogAndStopping) {
  const auto socket_path = tmp_.path() / "notify.sock";
  NotifySocket notify(socket_path);
  ASSERT_TRUE(notify.bound()) << socket_path;
  // As systemd sets them for Type=notify with WatchdogSec=0.4s: pings are due every 200 ms.
  child_env_ = {{"NOTIFY_SOCKET", socket_path.string()}, {"WATCHDOG_USEC", "400000"}};
  child_watchdog_pid_ = true;
  Start();

  // READY=1 once the first pass is done, in one datagram with that pass's one-line summary.
  ASSERT_TRUE(notify.WaitFor([](const std::string& m) { return m.rfind("READY=1\n", 0) == 0; }, seconds(40)))
      << notify.Dump() << Log();
  const std::string ready = notify.last_match();
  std::smatch summary;
  ASSERT_TRUE(std::regex_match(ready, summary,
                               std::regex("READY=1\nSTATUS=test sha256:([0-9a-f]{12}) ok=[0-9]+ changed=[1-9][0-9]* "
                                          "failed=0 skipped=[0-9]+")))
      << notify.Dump();
  const auto status = Status();
  ASSERT_FALSE(status["history"].empty()) << "READY=1 only after the first pass is recorded: " << status.dump(2);
  EXPECT_EQ(summary[1].str(), status["desired"].value("digest", "").substr(0, 12));
  EXPECT_EQ(Get("/readyz").first, 200) << Get("/readyz?verbose").second;

  // WATCHDOG=1 from the idle main loop, again and again.
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(notify.WaitFor([](const std::string& m) { return m == "WATCHDOG=1"; }, seconds(3)))
        << "ping " << i << "\n" << notify.Dump();
  }

  // A later pass sends STATUS= alone: READY=1 is said exactly once.
  ASSERT_EQ(::kill(daemon_.pid(), SIGHUP), 0);
  ASSERT_TRUE(notify.WaitFor([](const std::string& m) { return m.rfind("STATUS=", 0) == 0; }, seconds(20)))
      << notify.Dump() << Log();
  const std::string later = notify.last_match();
  EXPECT_TRUE(std::regex_match(later, std::regex("STATUS=test sha256:[0-9a-f]{12} ok=[0-9]+ changed=0 failed=0 "
                                                 "skipped=[0-9]+")))
      << notify.Dump();
  const auto& all = notify.messages();
  EXPECT_EQ(std::count_if(all.begin(), all.end(), [](const std::string& m) { return m.find("READY=1") != std::string::npos; }),
            1)
      << notify.Dump();

  // The detached proxy must not inherit NOTIFY_SOCKET (sd_notify(0, ...) leaves it in ironward's
  // environment): with NotifyAccess=all it could otherwise speak for the unit.
  const pid_t proxy = ProxyPid();
  ASSERT_TRUE(Alive(proxy));
  const std::string environ = ReadFile("/proc/" + std::to_string(proxy) + "/environ");
  ASSERT_NE(environ.find("IRONWARD_PROXY_NONCE="), std::string::npos) << "the proxy's environment was not readable";
  EXPECT_EQ(environ.find("NOTIFY_SOCKET"), std::string::npos);
  EXPECT_EQ(environ.find("WATCHDOG_"), std::string::npos);

  // SIGTERM: STOPPING=1, then a clean exit.
  ASSERT_EQ(::kill(daemon_.pid(), SIGTERM), 0);
  EXPECT_TRUE(notify.WaitFor([](const std::string& m) { return m == "STOPPING=1"; }, seconds(10)))
      << notify.Dump() << Log();
  EXPECT_EQ(daemon_.WaitExit(seconds(10)), 0) << Log();
}

TEST_F(RunDaemonTest, SighupForcesAPass) {
  StartReady();
  ASSERT_TRUE(Eventually([&] { return Status().contains("run"); }));
  ASSERT_EQ(::kill(daemon_.pid(), SIGHUP), 0);
  ASSERT_TRUE(Eventually([&] {
    auto s = Status();
    return s["run"]["triggers"].dump().find("SIGHUP") != std::string::npos;
  })) << Status().dump(2) << Log();
}

TEST_F(RunDaemonTest, AStateFileChangedBehindItsBackIsHealedAtOnceNotAtTheDriftCheck) {
  // reconcile.interval is 10m: healing within seconds is the state-directory watch.
  StartReady();
  const auto mappings = state_ / "mappings.json";
  const std::string tokens = ReadFile(mappings);
  auto mode = [](const std::filesystem::path& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0U;
  };
  ASSERT_EQ(::chmod(mappings.c_str(), 0644), 0);
  EXPECT_TRUE(Eventually([&] { return mode(mappings) == 0600U; }, seconds(3))) << Log();
  // That pass must be over before the next change, or it heals both at once (no second trigger).
  ASSERT_TRUE(Eventually([&] { return Log().find("healed 1 resource(s) that drifted") != std::string::npos; },
                         seconds(3)))
      << Log();
  std::filesystem::remove(state_ / "proxy.yaml");
  EXPECT_TRUE(Eventually([&] { return std::filesystem::exists(state_ / "proxy.yaml"); }, seconds(3))) << Log();
  EXPECT_EQ(ReadFile(mappings), tokens) << "the tokens are kept";
  EXPECT_NE(Log().find("state directory changed: mappings.json"), std::string::npos) << Log();
  EXPECT_TRUE(std::regex_search(Log(), std::regex("state dir changed: [^\n]*proxy\\.yaml"))) << Log();

  // Its own writes start at most one more pass (a no-op), never a storm: quiet while nothing happens.
  ASSERT_TRUE(Eventually([&] { return Get("/readyz").first == 200; }, seconds(10)));
  const std::size_t settled = Passes();
  // A bounded wait is the only way to show that nothing more happens: a storm is one more pass
  // every state-watch debounce (200 ms) after the last; this window holds ten of them.
  std::this_thread::sleep_for(seconds(2));
  EXPECT_LE(Passes(), settled + 1) << Log();
}

TEST_F(RunDaemonTest, IdleDaemonSleeps) {
  StartReady();
  ASSERT_TRUE(Eventually([&] { return NoPassRunning(); })) << Log();
  const long before = testing::CpuTicks(daemon_.pid());
  ASSERT_GE(before, 0);
  // CPU use is measured over time: this window is a bounded wait on purpose.
  std::this_thread::sleep_for(seconds(3));
  const long used = testing::CpuTicks(daemon_.pid()) - before;
  // Sanity bound, not a performance target: a spinning loop would burn ~300 ticks here.
  EXPECT_LT(used, 30) << "the idle daemon used " << used << " clock ticks in 3 s";
}

TEST_F(RunDaemonTest, HardenSurveyIsRecordedInStatusAndMetrics) {
  Start({"--harden-interval", "3600"});
  ASSERT_TRUE(Eventually([&] { return Status().contains("harden"); }, seconds(40))) << Log();
  const auto h = Status()["harden"];
  ASSERT_TRUE(h["signals"].is_array());
  EXPECT_EQ(h["signals"].size(), 10U);
  EXPECT_TRUE(h.contains("checked_at"));
  ASSERT_TRUE(Eventually([&] {
    return Get("/metrics").second.find("ironward_harden_signal{name=\"ssh-password-auth\",status=") != std::string::npos;
  })) << Get("/metrics").second;
  ASSERT_TRUE(Eventually([&] { return Ironward("status").second.find("Host hardening") != std::string::npos; }))
      << Ironward("status").second;
}

TEST_F(RunDaemonTest, OneShotReconcileWritesTheTextfile) {
  const auto dir = tmp_.path() / "textfile";
  std::filesystem::create_directories(dir);
  auto r = Ironward("reconcile -f " + spec_.string() + " --textfile-dir " + dir.string());
  ASSERT_EQ(r.first, 0) << r.second;
  const std::string prom = ReadFile(dir / "ironward.prom");
  EXPECT_NE(prom.find("ironward_reconcile_total{resource=\"daemon\",result=\"success\"} 1\n"), std::string::npos) << prom;
  EXPECT_NE(prom.find("ironward_proxy_up 1\n"), std::string::npos) << prom;
  EXPECT_NE(prom.find("# TYPE ironward_reconcile_time_seconds histogram"), std::string::npos);
  EXPECT_EQ(Ironward("reconcile -f " + spec_.string() + " --dry-run --textfile-dir " + dir.string()).first, 64) << "a usage error";
}

// iron-proxy's request records become ironward_proxy_requests_total (the name and action values
// the shipped alert rules use) with the same numbers `ironward audit` reports.
TEST_F(RunDaemonTest, ProxyRequestRecordsBecomeMetricsThatMatchAudit) {
  StartReady();
  const int tunnel = metrics_port_ - 6;  // FreePortBase(): six proxy listeners, then /metrics
  EXPECT_EQ(testing::ProxyConnect(tunnel, "api.github.com:443"), 200);
  EXPECT_EQ(testing::ProxyConnect(tunnel, "api.github.com:443"), 200);
  EXPECT_EQ(testing::ProxyConnect(tunnel, "blocked.example.com:443"), 403);
  auto value = [](const std::string& text, const std::string& series) -> long {
    const auto at = ("\n" + text).find("\n" + series + " ");
    return at == std::string::npos ? -1 : std::stol(text.substr(at + series.size() + 1));
  };
  const std::string reject = R"(ironward_proxy_requests_total{host="blocked.example.com",action="reject"})";
  const std::string allow = R"(ironward_proxy_requests_total{host="api.github.com",action="allow"})";
  std::string m;
  ASSERT_TRUE(Eventually([&] {
    m = Get("/metrics").second;
    return value(m, reject) == 1 && value(m, allow) == 2;
  })) << m;
  EXPECT_EQ(value(m, "ironward_proxy_hosts_seen_total"), 2) << m;
  EXPECT_EQ(value(m, R"(ironward_proxy_requests_total{host="other",action="reject"})"), 0) << m;
  EXPECT_NE(m.find("# TYPE ironward_proxy_requests_total counter\n"), std::string::npos);

  const auto audit = Ironward("audit -o json");
  ASSERT_EQ(audit.first, 0) << audit.second;
  const auto mappings = nlohmann::json::parse(ReadFile(state_ / "mappings.json"));
  for (const auto& [name, mapping] : mappings["providers"].items()) {
    const std::string token = mapping["token"];
    EXPECT_EQ((audit.second + m).find(token), std::string::npos) << "a proxy token in audit or /metrics output";
  }
  for (const char* secret : {kSecretValue, kSecondSecret}) EXPECT_EQ((audit.second + m).find(secret), std::string::npos);
  const auto j = nlohmann::json::parse(audit.second);
  ASSERT_EQ(j["hosts"].size(), 2U) << audit.second;
  for (const auto& h : j["hosts"]) {
    const std::string host = h["host"];
    for (const auto& [column, action] : {std::pair{"allowed", "allow"}, {"rejected", "reject"}, {"errors", "error"}}) {
      const long n = h[column].get<long>();
      EXPECT_EQ(std::max(value(m, "ironward_proxy_requests_total{host=\"" + host + "\",action=\"" + action + "\"}"), 0L), n)
          << host << " " << action << "\n" << m;
    }
  }
}

// The status page at / in a real headless Chromium: resource rows, the rejected hosts of the last
// hour (one of them a script tag an agent put in a host name: shown as text, never run), and a
// screenshot left in the build's test-output directory. CI=true without chromium is a failure.
TEST_F(RunDaemonTest, StatusPageRendersInHeadlessChromium) {
  const std::string chromium = testing::FindChromium();
  if (chromium.empty()) {
    if (testing::InCi()) FAIL() << "chromium is not installed (scripts/setup.sh --tests installs it); CI must run this test";
    GTEST_SKIP() << "chromium is not installed (apt-get install chromium, or scripts/setup.sh --tests)";
  }
  StartReady();
  const int tunnel = metrics_port_ - 6;  // FreePortBase(): six proxy listeners, then /metrics
  const std::string xss = "<script>document.title='pwned'</script>.evil.example";
  EXPECT_EQ(testing::ProxyConnect(tunnel, "api.github.com:443"), 200);
  EXPECT_EQ(testing::ProxyConnect(tunnel, "blocked.example.com:443"), 403);
  EXPECT_EQ(testing::ProxyConnect(tunnel, "blocked.example.com:443"), 403);
  EXPECT_EQ(testing::ProxyConnect(tunnel, xss + ":443"), 403);
  const std::string escaped = "&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;.evil.example";
  std::pair<int, std::string> page;
  ASSERT_TRUE(Eventually([&] {
    page = Get("/");
    return page.first == 200 && page.second.find(escaped) != std::string::npos &&
           page.second.find("blocked.example.com") != std::string::npos;
  })) << page.second;
  std::string lower = page.second;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  EXPECT_EQ(lower.find("<script"), std::string::npos) << "a host name from traffic became markup";
  {
    httplib::Client c("127.0.0.1", metrics_port_);
    auto post = c.Post("/", "", "text/plain");
    ASSERT_TRUE(post);
    EXPECT_EQ(post->status, 405);
  }

  const std::string url = "http://127.0.0.1:" + std::to_string(metrics_port_) + "/";
  const auto dom = testing::RunChromium(chromium, tmp_.path(), {"--dump-dom"}, url);
  ASSERT_EQ(dom.exit_code, 0) << dom.err;
  for (const char* row : {"<tr id=\"resource-daemon\"><td>daemon</td><td class=\"ok\">True</td>",
                          "<tr id=\"resource-ca\"><td>ca</td><td class=\"ok\">True</td>",
                          "<tr id=\"resource-secrets\"><td>secrets</td>", "<tr id=\"resource-binary\"><td>binary</td>"}) {
    EXPECT_NE(dom.out.find(row), std::string::npos) << row << "\n" << dom.out;
  }
  EXPECT_NE(dom.out.find("<span class=\"badge ok\">READY</span>"), std::string::npos) << dom.out;
  EXPECT_NE(dom.out.find("<code>blocked.example.com</code></td><td class=\"num\">2</td><td>allowlist</td>"),
            std::string::npos)
      << dom.out;
  // Chromium serialises text with only & < > escaped: the quotes come back as themselves.
  EXPECT_NE(dom.out.find("<code>&lt;script&gt;document.title='pwned'&lt;/script&gt;.evil.example</code>"), std::string::npos)
      << "the browser kept the host name as text\n" << dom.out;
  std::string dom_lower = dom.out;
  std::transform(dom_lower.begin(), dom_lower.end(), dom_lower.begin(), [](unsigned char c) { return std::tolower(c); });
  EXPECT_EQ(dom_lower.find("<script"), std::string::npos) << "no script element in the rendered DOM";
  EXPECT_EQ(dom.out.find("pwned</title>"), std::string::npos);
  EXPECT_NE(dom.out.find("<section id=\"passes\"><h2>Last passes</h2>"), std::string::npos);
  EXPECT_NE(dom.out.find("CA certificate expires"), std::string::npos);
  const auto mappings = nlohmann::json::parse(ReadFile(state_ / "mappings.json"));
  for (const auto& [name, mapping] : mappings["providers"].items()) {
    EXPECT_EQ(dom.out.find(mapping["token"].get<std::string>()), std::string::npos) << "a proxy token on the page";
  }
  for (const char* secret : {kSecretValue, kSecondSecret}) EXPECT_EQ(dom.out.find(secret), std::string::npos);

  const auto dir = std::filesystem::path(TEST_OUTPUT_DIR) / "status-page";
  std::filesystem::create_directories(dir);
  const auto png = dir / "status-page.png";
  std::filesystem::remove(png);
  const auto shot = testing::RunChromium(chromium, tmp_.path(),
                                         {"--screenshot=" + png.string(), "--window-size=1280,900", "--hide-scrollbars"}, url);
  ASSERT_EQ(shot.exit_code, 0) << shot.err;
  ASSERT_TRUE(std::filesystem::exists(png)) << shot.err;
  const std::string bytes = ReadFile(png);
  ASSERT_GT(bytes.size(), 24U);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  auto be32 = [&bytes](std::size_t at) {
    return (static_cast<unsigned>(static_cast<unsigned char>(bytes[at])) << 24) |
           (static_cast<unsigned>(static_cast<unsigned char>(bytes[at + 1])) << 16) |
           (static_cast<unsigned>(static_cast<unsigned char>(bytes[at + 2])) << 8) |
           static_cast<unsigned>(static_cast<unsigned char>(bytes[at + 3]));
  };
  EXPECT_EQ(be32(16), 1280U) << "IHDR width";
  EXPECT_EQ(be32(20), 900U) << "IHDR height";
  // A blank 1280x900 PNG compresses to a few KB; the page's text and tables make it much larger.
  EXPECT_GT(bytes.size(), 30000U) << "the screenshot looks blank";
  std::cout << "status page screenshot: " << png.string() << " (" << bytes.size() << " bytes)\n";
}

// Overlays (`run -f base.yaml -f hosts/web1.yaml`): the host's file is watched like the base, so
// an edit of it alone is applied; an invalid one is refused naming it, the last good state runs.
TEST_F(RunDaemonTest, AnEditOfTheOverlayFileAloneIsApplied) {
  const auto host = spec_.parent_path() / "hosts" / "web1.yaml";
  std::filesystem::create_directories(host.parent_path());
  WriteFile(host, "spec:\n  allowlist: [\"api.github.com\", \"pypi.org\"]\n");
  auto replace_host = [&](const std::string& text) {  // an editor's or git's atomic replace
    const auto tmp = host.parent_path() / ".web1.yaml.tmp";
    WriteFile(tmp, text);
    std::filesystem::rename(tmp, host);
  };
  Start({"-f", host.string(), "--harden-interval", "0"});
  ASSERT_TRUE(Eventually([&] { return Get("/readyz").first == 200; }, seconds(40))) << Get("/readyz?verbose").second << Log();
  EXPECT_NE(ReadFile(state_ / "proxy.yaml").find("pypi.org"), std::string::npos) << "the overlay is applied";
  auto s = Status();
  EXPECT_EQ(s["desired"]["paths"], nlohmann::json::array({spec_.string(), host.string()})) << s.dump(2);
  const std::string before = s["desired"].value("digest", "");
  const std::size_t runs = s["history"].size();

  replace_host("spec:\n  allowlist: [\"api.github.com\", \"example.org\"]\n");
  ASSERT_TRUE(Eventually([&] {
    const std::string proxy_yaml = ReadFile(state_ / "proxy.yaml");
    return proxy_yaml.find("example.org") != std::string::npos && proxy_yaml.find("pypi.org") == std::string::npos;
  })) << Log();
  ASSERT_TRUE(Eventually([&] {
    const auto now = Status();
    return now["desired"].value("digest", "") != before && now["history"].size() > runs;
  })) << Status().dump(2);
  EXPECT_EQ(Status()["history"].back().value("result", ""), "converged");
  EXPECT_NE(Log().find("desired state changed"), std::string::npos) << Log();
  EXPECT_EQ(ReadFile(spec_), gateway_) << "the base was not touched";

  // A mapping replaced by a scalar in the host's file: refused with both places named.
  const pid_t proxy = ProxyPid();
  const std::string applied = Status()["desired"].value("digest", "");
  replace_host("spec:\n  proxy: loopback\n");
  ASSERT_TRUE(Eventually([&] { return Status().contains("desired_refused"); })) << Log();
  const auto refused = Status()["desired_refused"];
  EXPECT_EQ(refused["paths"], nlohmann::json::array({spec_.string(), host.string()}));
  EXPECT_NE(refused["errors"].dump().find(host.string() + ":2:10: spec.proxy: a scalar here cannot replace a mapping set at " +
                                          spec_.string() + ":6:3"),
            std::string::npos)
      << refused.dump(2);
  EXPECT_EQ(Status()["desired"].value("digest", ""), applied);
  EXPECT_EQ(ProxyPid(), proxy);
  EXPECT_TRUE(Alive(proxy));
  const auto status = Ironward("status");
  EXPECT_NE(status.second.find("DESIRED STATE REFUSED"), std::string::npos) << "it holds: shown\n" << status.second;

  replace_host("spec:\n  allowlist: [\"api.github.com\", \"example.org\"]\n");  // fixed: the refusal clears
  ASSERT_TRUE(Eventually([&] { return !Status().contains("desired_refused"); })) << Status().dump(2) << Log();
}

}  // namespace
}  // namespace ironward
