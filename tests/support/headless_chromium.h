// Debian's chromium, headless, for the tests that check a page the way a browser renders it
// (the status page of `ironward run`). Each run gets a fresh profile directory and no network
// side traffic (no component updates, sync or first-run pages).
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/eventually.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace ironward::testing {

/// CI=true (or CI=1): tests that would skip on a developer machine must fail instead.
inline bool InCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && (std::string(ci) == "true" || std::string(ci) == "1");
}

/// The chromium binary on PATH ("" when none is installed; package `chromium`).
inline std::string FindChromium() {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    for (const char* name : {"chromium", "chromium-browser"}) {
      const std::string candidate = dir + "/" + name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
  }
  return "";
}

struct ChromiumRun {
  int exit_code = -1;  ///< -1: killed at the timeout
  std::string out;     ///< stdout (--dump-dom writes the DOM there)
  std::string err;
};

/// Runs `chromium --headless ... ARGS URL` with a fresh --user-data-dir under `work`, killing its
/// process group at `timeout`.
inline ChromiumRun RunChromium(const std::string& binary, const std::filesystem::path& work,
                               const std::vector<std::string>& args, const std::string& url,
                               std::chrono::seconds timeout = std::chrono::seconds(90)) {
  static int runs = 0;
  const auto profile = work / ("chromium-profile-" + std::to_string(++runs));
  std::filesystem::create_directories(profile);
  const auto out_file = work / ("chromium-" + std::to_string(runs) + ".out");
  const auto err_file = work / ("chromium-" + std::to_string(runs) + ".err");
  std::vector<std::string> argv_s = {binary, "--headless", "--disable-gpu", "--disable-background-networking",
                                     "--disable-component-update", "--disable-sync", "--no-first-run",
                                     "--disable-dev-shm-usage", "--user-data-dir=" + profile.string()};
  if (::geteuid() == 0) argv_s.push_back("--no-sandbox");  // chromium refuses to run as root otherwise
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  argv_s.push_back(url);
  ChromiumRun result;
  SpawnOptions options;
  options.log = out_file.string();
  options.err_log = err_file.string();
  options.truncate_log = true;
  options.new_process_group = true;  // its renderer and zygote processes go with it at the timeout
  const pid_t pid = Spawn(argv_s, options);
  if (pid < 0) return result;
  int status = 0;
  const bool exited =
      Eventually([&] { return ::waitpid(pid, &status, WNOHANG) == pid; }, timeout, std::chrono::milliseconds(50));
  if (!exited) {
    ::kill(-pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  } else {
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    ::kill(-pid, SIGKILL);  // helpers it left behind, if any
  }
  result.out = ReadFile(out_file);
  result.err = ReadFile(err_file);
  return result;
}

}  // namespace ironward::testing
