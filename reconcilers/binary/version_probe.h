// Running a freshly extracted iron-proxy once, as `iron-proxy version`, to check it is the
// release the desired state pins: through the process seam (reconcilers/io/process.h) with an
// explicit, minimal environment.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>

#include "reconcilers/io/process.h"
#include "state/result.h"

namespace ironward::binary {

inline constexpr std::chrono::milliseconds kProbeTimeout{5000};
/// The only variable the probe gets: no proxy, token or IRON_* setting can leak into it.
inline constexpr const char* kProbeEnv = "PATH=/usr/bin:/bin";
/// What is kept of each of its stdout and stderr.
inline constexpr std::size_t kProbeOutputCap = 64U * 1024U;

/// What ProbeVersion runs: `<binary> version` (exec'd as given, no PATH search) with exactly
/// kProbeEnv, cwd /, kProbeTimeout and kProbeOutputCap.
RunRequest VersionCommand(const std::filesystem::path& binary);

/// Runs VersionCommand(binary); returns the first stdout line, trimmed. A non-zero exit, a
/// signal, a timeout, empty output or a binary that cannot be executed is a terminal error.
Result<std::string> ProbeVersion(Processes& processes, const std::filesystem::path& binary);

}  // namespace ironward::binary
