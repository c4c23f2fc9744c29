// Soak: `ironward run` under random external faults for IRONWARD_SOAK_SECONDS (default 60; the
// 30-minute run of docs/faults.md is bench/soak.sh) — kill -9 and SIGSTOP/SIGCONT of the proxy,
// valid and invalid edits of the desired state, touches, SIGHUP, proxy.yaml deleted, mappings.json
// re-moded, a symlink planted over proxy.yaml, the Bitwarden server (the double, the credential
// source, refreshed every minute) failing and recovering — then the faults stop and it must be healthy again
// within the maximum restart back-off plus a pass, with the proxy tokens and the CA unchanged, no
// zombie child, file descriptors and threads flat, and no secret in any log or state file.
// IRONWARD_SOAK_SEED replays a run (the seed is printed).
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "reconcilers/daemon/daemon_control.h"
#include "reconcilers/daemon/pid_record.h"
#include "reconcilers/io/http_client.h"
#include "tests/bitwarden/client_fixture.h"
#include "tests/support/eventually.h"
#include "tests/support/gateway_yaml.h"
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
namespace fs = std::filesystem;

long EnvNumber(const char* name, long fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::strtol(v, nullptr, 10) : fallback;
}

/// A "Name:   value" field of /proc/<pid>/status, -1 when unreadable.
long ProcStatus(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::strtol(line.c_str() + field.size() + 1, nullptr, 10);
  }
  return -1;
}

/// What the open descriptors of `pid` point at ("socket:[123]", "anon_inode:[pidfd]", paths).
std::string FdTargets(pid_t pid) {
  std::string out;
  std::error_code ec;
  for (auto it = fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != fs::directory_iterator(); it.increment(ec)) {
    std::error_code link_ec;
    out += it->path().filename().string() + "=" + fs::read_symlink(it->path(), link_ec).string() + " ";
  }
  return out;
}

long OpenFds(pid_t pid) {
  std::error_code ec;
  long n = 0;
  for (auto it = fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != fs::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return ec ? -1 : n;
}

/// Children of `parent` that are zombies (exited, never reaped).
std::vector<pid_t> ZombieChildren(pid_t parent) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (auto it = fs::directory_iterator("/proc", ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(name));
    if (ProcStatus(pid, "PPid") != parent) continue;
    std::ifstream in("/proc/" + name + "/status");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("State:", 0) == 0 && line.find('Z') != std::string::npos) out.push_back(pid);
    }
  }
  return out;
}

class SoakTest : public testing::PackagedReleaseTest {
 protected:
  void SetUp() override {
    spec_ = tmp_.path() / "desired" / "gateway.yaml";
    fs::create_directories(spec_.parent_path());
    state_ = tmp_.path() / "state";
    base_ = testing::FreeLoopbackPorts(7, 15000);
    ASSERT_GT(base_, 0);
    ASSERT_TRUE(bw_.ok()) << bw_.error();
    // The keys come from the Bitwarden double (refreshInterval 1m, the minimum; retries 1 s).
    testing::GatewayYaml g = PackagedGateway(base_);
    g.name = "soak";
    g.proxy_extra = "    maxRestartBackoff: 5s\n";
    g.providers = bwtest::DoubleProviders();
    g.extra = testing::BitwardenCredentialsYaml(bwtest::kProjectId, bw_.base_url());
    gateway_ = g.Render();
    WriteSpec("soak-0.example.org");
  }

  void TearDown() override {
    run_.Kill();
    if (const pid_t p = ProxyPid(); p > 0) ::kill(p, SIGCONT);
    if (fs::exists(state_ / "iron-proxy.pid")) (void)daemon::StopProxy(state_, milliseconds(3000));
  }

  /// Atomic replace (as editors and git do) with one extra allowlisted host.
  void WriteSpec(const std::string& host) {
    Replace(testing::With(gateway_, R"(allowlist: ["api.github.com"])",
                          R"(allowlist: ["api.github.com", ")" + host + R"("])"));
  }
  void Replace(const std::string& text) {
    const auto tmp = spec_.parent_path() / ".gateway.yaml.tmp";
    WriteFile(tmp, text);
    fs::rename(tmp, spec_);
  }

  void StartRun() {
    testing::SpawnOptions options;
    options.log = (tmp_.path() / "run.log").string();
    options.env = {{"BWS_ACCESS_TOKEN", bwtest::kToken}};
    ASSERT_TRUE(run_.Start({IRONWARD_BIN, "--state-dir", state_.string(), "run", "-f", spec_.string(),
                            "--metrics-addr", "127.0.0.1:" + std::to_string(base_ + 6), "--harden-interval", "0"},
                           options));
  }

  long Readyz() {
    HttpRequest req;
    req.url = "http://127.0.0.1:" + std::to_string(base_ + 6) + "/readyz";
    req.timeout = milliseconds(2000);
    auto r = http_.Send(req);
    return r.ok() ? r->status : -1;
  }
  pid_t ProxyPid() const {
    auto r = daemon::ParsePidRecord(ReadFile(state_ / "iron-proxy.pid"));
    return r.ok() ? r->pid : 0;
  }
  std::string Tokens() const {
    const auto j = nlohmann::json::parse(ReadFile(state_ / "mappings.json"), nullptr, false);
    return j.is_object() && j.contains("providers") ? j["providers"].dump() : "";
  }
  std::string Log() const { return ReadFile(tmp_.path() / "run.log"); }
  bool Healthy(const std::string& host) {
    return Alive(ProxyPid()) && Readyz() == 200 && ReadFile(state_ / "proxy.yaml").find(host) != std::string::npos;
  }

  TempDir tmp_;
  fs::path spec_, state_;
  std::string gateway_;
  int base_ = 0;
  testing::ChildProcess run_;  ///< `ironward run`
  CurlHttpClient http_;
  bwtest::DoubleProcess bw_{bwtest::DoubleConfig()};
};

TEST_F(SoakTest, RandomFaultsUnderRunThenHealthyWithNothingLostOrLeaked) {
  const long soak_seconds = EnvNumber("IRONWARD_SOAK_SECONDS", 60);
  const auto seed = static_cast<std::uint64_t>(EnvNumber("IRONWARD_SOAK_SEED", static_cast<long>(std::random_device{}())));
  std::mt19937_64 rng(seed);
  std::cout << "soak: " << soak_seconds << " s of faults, seed " << seed << " (IRONWARD_SOAK_SEED replays it)\n";

  StartRun();
  ASSERT_TRUE(Eventually([&] { return Healthy("soak-0.example.org"); }, seconds(60))) << Log();
  const std::string tokens = Tokens();
  const std::string ca = ReadFile(state_ / "ca.crt");
  ASSERT_FALSE(tokens.empty());
  ASSERT_FALSE(ca.empty());
  const long fds_before = OpenFds(run_.pid());
  const std::string fd_targets_before = FdTargets(run_.pid());
  const long threads_before = ProcStatus(run_.pid(), "Threads");
  const long rss_before = ProcStatus(run_.pid(), "VmRSS");

  const char* kinds[] = {"kill -9 proxy",   "SIGSTOP/SIGCONT proxy", "valid edit",      "invalid edit",
                         "touch",           "SIGHUP",                "rm proxy.yaml",   "chmod 644 mappings.json",
                         "symlink proxy.yaml", "Bitwarden fails",       "Bitwarden recovers"};
  std::map<std::string, int> count;
  int edit = 0;
  const auto until = std::chrono::steady_clock::now() + seconds(soak_seconds);
  while (std::chrono::steady_clock::now() < until) {
    const std::size_t k = std::uniform_int_distribution<std::size_t>(0, std::size(kinds) - 1)(rng);
    ++count[kinds[k]];
    const pid_t proxy = ProxyPid();
    switch (k) {
      case 0: if (Alive(proxy)) ::kill(proxy, SIGKILL); break;
      case 1:
        if (Alive(proxy)) {
          ::kill(proxy, SIGSTOP);
          // The fault's random length (not synchronisation): the proxy is frozen this long.
          std::this_thread::sleep_for(milliseconds(std::uniform_int_distribution<int>(100, 1500)(rng)));
          ::kill(proxy, SIGCONT);
        }
        break;
      case 2: WriteSpec("soak-" + std::to_string(++edit) + ".example.org"); break;
      case 3: Replace(gateway_ + "  allowlist: [\n"); break;  // refused; the last good one keeps running
      case 4: ::utimensat(AT_FDCWD, spec_.c_str(), nullptr, 0); break;
      case 5: ::kill(run_.pid(), SIGHUP); break;
      case 6: fs::remove(state_ / "proxy.yaml"); break;
      case 7: ::chmod((state_ / "mappings.json").c_str(), 0644); break;
      case 8: {
        std::error_code ec;
        fs::remove(state_ / "proxy.yaml", ec);
        fs::create_symlink(tmp_.path() / "elsewhere.yaml", state_ / "proxy.yaml", ec);
        break;
      }
      case 9: bw_.Admin("fault", {{"mode", std::uniform_int_distribution<int>(0, 1)(rng) ? "500" : "garbage"}}); break;
      case 10: bw_.Admin("fault", {{"mode", "none"}}); break;
    }
    // Pacing of the fault injector (not synchronisation): one fault every 0.1-0.6 s.
    std::this_thread::sleep_for(milliseconds(std::uniform_int_distribution<int>(100, 600)(rng)));
  }

  // The faults stop: Bitwarden answers, every stopped proxy continues, a final valid edit.
  ASSERT_EQ(bw_.Admin("fault", {{"mode", "none"}}), 200);
  if (const pid_t p = ProxyPid(); p > 0) ::kill(p, SIGCONT);
  const std::string last = "soak-final.example.org";
  WriteSpec(last);
  const auto stopped = std::chrono::steady_clock::now();
  // A planted symlink is refused, never followed: clear it as an operator would after the alarm.
  if (fs::is_symlink(fs::symlink_status(state_ / "proxy.yaml"))) fs::remove(state_ / "proxy.yaml");
  // Healthy within the maximum back-off (5 s) plus a pass, with margin for a loaded CI machine.
  ASSERT_TRUE(Eventually([&] { return Healthy(last); }, seconds(45))) << Log().substr(Log().size() > 6000 ? Log().size() - 6000 : 0);
  const double recovery = std::chrono::duration<double>(std::chrono::steady_clock::now() - stopped).count();

  struct stat st {};
  ASSERT_EQ(::stat((state_ / "mappings.json").c_str(), &st), 0);
  EXPECT_TRUE(Eventually([&] {
    return ::stat((state_ / "mappings.json").c_str(), &st) == 0 && (st.st_mode & 07777) == 0600;
  }, seconds(10)));
  EXPECT_EQ(Tokens(), tokens) << "no fault asked for new tokens";
  EXPECT_EQ(ReadFile(state_ / "ca.crt"), ca) << "no fault asked for a new CA";
  EXPECT_TRUE(ZombieChildren(run_.pid()).empty());
  EXPECT_TRUE(run_.Alive());
  // A leak never goes back down; a connection or pidfd of the moment does.
  EXPECT_TRUE(Eventually([&] { return OpenFds(run_.pid()) <= fds_before + 2; }, seconds(5)))
      << "file descriptors leak: before " << fd_targets_before << "\nafter " << FdTargets(run_.pid());
  const long fds_after = OpenFds(run_.pid());
  const long threads_after = ProcStatus(run_.pid(), "Threads");
  const long rss_after = ProcStatus(run_.pid(), "VmRSS");
  EXPECT_LE(threads_after, threads_before + 1) << "threads leak";
#ifndef __SANITIZE_ADDRESS__  // ASan's quarantine holds freed memory on purpose
  EXPECT_LE(rss_after, rss_before * 3 / 2) << "RSS grew by half in one soak";
#endif

  std::string faults;
  int total = 0;
  for (const auto& [kind, n] : count) {
    faults += (faults.empty() ? "" : ", ") + kind + " " + std::to_string(n);
    total += n;
  }
  std::cout << "soak: " << total << " faults (" << faults << ")\n"
            << "soak: healthy " << recovery << " s after the last fault\n"
            << "soak: ironward run fds " << fds_before << " -> " << fds_after << ", threads " << threads_before
            << " -> " << threads_after << ", RSS " << rss_before << " -> " << rss_after << " kB\n";

  // Nothing ironward printed or stored (bin/ and secrets/ aside) holds a secret value.
  std::string visible = Log();
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(state_, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    const auto rel = fs::relative(it->path(), state_).string();
    if (rel.rfind("bin", 0) == 0 || rel.rfind("secrets", 0) == 0 || rel.rfind("proxy-home", 0) == 0 ||
        !it->is_regular_file()) {
      continue;
    }
    visible += ReadFile(it->path());
  }
  const auto leaked = bwtest::LeakedSecrets(visible, {bwtest::kValueA, bwtest::kValueB, bwtest::kToken,
                                                       bwtest::kClientSecret, bwtest::kTokenKeyB64, bwtest::kOrgKey});
  EXPECT_TRUE(leaked.empty()) << ::testing::PrintToString(leaked);
  // The proxy has the keys from Bitwarden (the source worked through the faults).
  const std::string environ_text = ReadFile("/proc/" + std::to_string(ProxyPid()) + "/environ");
  EXPECT_NE(environ_text.find(bwtest::kValueA), std::string::npos);
}

}  // namespace
}  // namespace ironward
