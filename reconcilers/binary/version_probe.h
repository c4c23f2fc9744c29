// Running a freshly extracted iron-proxy once, as `iron-proxy version`, to check it is the
// release the desired state pins. fork/execve with an explicit, minimal environment.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "state/result.h"

namespace ironward::binary {

inline constexpr std::chrono::milliseconds kProbeTimeout{5000};
/// The only variable the probe gets: no proxy, token or IRON_* setting can leak into it.
inline constexpr const char* kProbeEnv = "PATH=/usr/bin:/bin";

struct ProcessResult {
  int exit_code = -1;    ///< -1 when killed by a signal
  int term_signal = 0;   ///< signal that ended it, 0 if it exited
  bool timed_out = false;
  std::string out;       ///< stdout (capped)
  std::string err;       ///< stderr (capped)
};

/// Runs argv[0] (a path; no PATH search) with exactly `env`, stdin /dev/null, cwd /, and kills it
/// (SIGKILL) after `timeout`. Output beyond `max_output` bytes per stream is dropped.
Result<ProcessResult> RunProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                                 std::chrono::milliseconds timeout, std::size_t max_output = 64U * 1024U);

/// What the reconciler calls to learn a binary's version (injectable for unit tests).
using VersionProbe = std::function<Result<std::string>(const std::filesystem::path& binary)>;

/// `<binary> version` with kProbeEnv and kProbeTimeout; returns the first stdout line, trimmed.
/// A non-zero exit, a signal, a timeout or empty output is a terminal error.
Result<std::string> ProbeVersion(const std::filesystem::path& binary);

}  // namespace ironward::binary
