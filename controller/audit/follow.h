// `ironward audit --follow`: print each new matching record as a line until SIGINT/SIGTERM.
#pragma once

#include <functional>
#include <iosfwd>
#include <string>

#include "controller/audit/log_tail.h"
#include "controller/audit/summary.h"

namespace ironward::audit {

enum class LineFormat { kText, kJson, kCsv };

struct FollowOptions {
  Filter filter;
  LineFormat format = LineFormat::kText;
  /// Looks the sandbox names up again (at most every 10 s) when an unknown address shows up.
  std::function<SandboxNames()> look_up_names;
};

/// Polls `tail` (already started) whenever the state directory changes (inotify, and every
/// second in case inotify is unavailable) and writes each matching record to `out`, flushed per
/// line. Returns 0 on SIGINT/SIGTERM or when `out` is closed (a pipe to `head`), 1 when the log
/// cannot be read any more (the message goes to `err`).
int FollowRecords(LogTail& tail, const std::string& state_dir, const FollowOptions& options, std::ostream& out,
                  std::ostream& err);

}  // namespace ironward::audit
