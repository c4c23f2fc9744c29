// Helpers for tests that touch a real temporary state directory.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "state/spec/loader.h"
#include "tests/core/ports.h"
#include "state/encoding.h"

namespace ironward::testing {

/// A fresh directory under /tmp, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "ironward-test-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void WriteFile(const std::filesystem::path& p, const std::string& content) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << content;
}

inline mode_t ModeOf(const std::filesystem::path& p) {
  struct stat st {};
  ::lstat(p.c_str(), &st);
  return st.st_mode & 07777U;
}

/// path -> "mode:sha256" for every entry under dir: compares a directory byte for byte.
/// Starts IRONWARD_BIN-style `args` (argv[0] first) as a child with stdout and stderr appended to
/// `log` and `env` added to its environment; returns its pid (the caller waits for it).
inline pid_t SpawnLogged(std::vector<std::string> args, const std::string& log,
                         const std::map<std::string, std::string>& env) {
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  ::dup2(fd, 1);
  ::dup2(fd, 2);
  for (const auto& [name, value] : env) ::setenv(name.c_str(), value.c_str(), 1);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::execv(argv[0], argv.data());
  ::_exit(127);
}

/// The process runs nothing any more: it is gone, or a zombie nobody has reaped yet (a detached
/// proxy's parent may be a reaper outside the test).
inline bool ProcessGone(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(in, stat);
  return stat.empty() || stat.find(") Z ") != std::string::npos;
}

/// Polls `pred` every 25 ms until it holds or `timeout` passes; the last answer.
template <class Pred>
bool Eventually(Pred pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return pred();
}

inline std::map<std::string, std::string> Snapshot(const std::filesystem::path& dir) {
  std::map<std::string, std::string> out;
  if (!std::filesystem::exists(dir)) return out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    const auto rel = std::filesystem::relative(e.path(), dir).string();
    std::string value = std::to_string(ModeOf(e.path()));
    if (e.is_regular_file()) value += ":" + Sha256Hex(ReadFile(e.path()));
    out[rel] = value;
  }
  return out;
}


/// Packages `binary` (the iron-proxy double) as iron-proxy 0.39.0 release under `dir` with
/// `script` (scripts/package-iron-proxy-release.sh), exactly as a real release is laid out.
/// Returns the tarball's SHA-256 hex (also left in `dir`/sha), or "" when packaging failed.
inline std::string PackageRelease039(const std::string& script, const std::string& binary,
                                     const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);  // the shell opens `dir`/sha before the script runs
  const std::filesystem::path sha_file = dir / "sha";
  const std::string cmd = script + " " + binary + " 0.39.0 '" + dir.string() + "' > '" + sha_file.string() + "'";
  if (std::system(cmd.c_str()) != 0) return "";
  std::ifstream in(sha_file);
  std::string sha;
  in >> sha;
  return sha;
}

#if defined(PACKAGE_SCRIPT) && defined(IRON_PROXY_DOUBLE)
/// Fixture base of the tests that install the proxy through ironward: the suite packages the
/// iron-proxy double once as a 0.39.0 release in releases_ (file:// source), sha_ its SHA-256.
/// Only in test programs that define PACKAGE_SCRIPT and IRON_PROXY_DOUBLE.
class PackagedReleaseTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    releases_ = new TempDir();
    sha_ = PackageRelease039(PACKAGE_SCRIPT, IRON_PROXY_DOUBLE, releases_->path());
    ASSERT_EQ(sha_.size(), 64U);
  }
  static void TearDownTestSuite() {
    delete releases_;
    releases_ = nullptr;
  }

  static inline TempDir* releases_ = nullptr;
  static inline std::string sha_;
};
#endif

inline const char* kBaseYaml = R"(apiVersion: ironward.dev/v1
kind: EgressGateway
metadata:
  name: test
spec:
  proxy:
    version: "0.39.0"
    bind: loopback
    tunnelPort: 19090
    source:
      url: "file:///nonexistent/iron-proxy_{version}_{os}_{arch}.tar.gz"
      sha256: "0000000000000000000000000000000000000000000000000000000000000000"
  providers:
    - name: openrouter
      secret: OPENROUTER_API_KEY
      hosts: ["openrouter.ai", "*.openrouter.ai"]
    - name: openai
      secret: OPENAI_API_KEY
      hosts: ["api.openai.com"]
  allowlist: ["api.github.com"]
  ca:
    algorithm: ecdsa-p256
)";

/// Loads YAML text that must be valid; fails the test otherwise.
inline spec::DesiredState Desired(const std::string& yaml) {
  auto r = spec::LoadString(yaml, "test.yaml");
  std::string errors;
  for (const auto& e : r.errors) errors += e.ToString() + "\n";
  EXPECT_TRUE(r.ok()) << errors;
  return r.ok() ? *r.state : spec::DesiredState{};
}

/// Replaces the first occurrence of `from` in `text`.
inline std::string With(std::string text, const std::string& from, const std::string& to) {
  const auto pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) text.replace(pos, from.size(), to);
  return text;
}

}  // namespace ironward::testing
