// iron-proxy.log: the proxy's stdout+stderr, appended to a 0600 file in the state directory.
//
// Rotation is copy-truncate, done by ironward on a reconcile pass (never by the proxy, which
// has no log options): when the file exceeds the limit, .2 -> .3, .1 -> .2, the live file is
// copied to .1 (0600) and then truncated to 0. The proxy's O_APPEND fd keeps working: its next
// write lands at the new end of file. Known race: lines written between the copy and the
// truncate are lost (a few lines at most, once per rotation); never blocking the proxy is
// worth more than those lines.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "state/result.h"
#include "state/state_dir.h"

namespace ironward::daemon {

inline constexpr const char* kLogFile = "iron-proxy.log";
inline constexpr std::uint64_t kDefaultLogRotateBytes = 10U * 1024U * 1024U;
inline constexpr int kLogKeep = 3;

/// Opens <dir>/<name> O_WRONLY|O_APPEND|O_CREAT|O_NOFOLLOW|O_CLOEXEC, 0600 (tightened if
/// looser); refuses a non-regular file or one owned by another user. Caller closes the fd.
Result<int> OpenLogForAppend(const std::string& dir, const std::string& name = kLogFile);

/// Copy-truncate rotation when the live state file is larger than `max_bytes`; true when rotated.
/// Tightens a looser mode to 0600 first (rotated or not). Apply only: it takes the writer.
Result<bool> RotateIfNeeded(state::StateWriter& state, std::uint64_t max_bytes, const std::string& name = kLogFile);

/// Last `n` lines of the state file (reads at most the last 64 KiB); empty when missing or
/// unreadable.
std::vector<std::string> TailLines(const state::StateReader& state, std::size_t n = 20,
                                   const std::string& name = kLogFile);

/// The lines joined for a status message, with every known secret value replaced by its
/// SensitiveLabel (defence in depth: the proxy never logs values, but a crash dump might).
std::string FormatTail(const std::vector<std::string>& lines, const std::vector<std::string>& secret_values);

}  // namespace ironward::daemon
