// Progress lines for long steps of a pass (a release download, many sandbox creates): one line
// rewritten in place on a terminal, plain lines elsewhere (a pipe, a log, journald).
#pragma once

#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

namespace ironward {

/// Receives a human progress line; `done` is true once, for the last line of the work.
using ProgressSink = std::function<void(std::string_view line, bool done)>;

/// Writes "\r<line>" to stderr (and a newline when done); null when stderr is not a terminal.
ProgressSink TerminalProgressSink();
/// Each line as an info line of the log (stderr, or journald under systemd).
ProgressSink LogProgressSink();

/// Counts finished steps of `total` and reports "LABEL: 12/50 done, 1 failed". Safe to call from
/// several threads. With `every_step` (a terminal: the line is rewritten in place) every step is
/// reported; otherwise (plain lines) only each tenth of the way and the last step, so 500 creates
/// log 10 lines, not 500.
class StepProgress {
 public:
  StepProgress(std::string label, std::size_t total, ProgressSink sink, bool every_step);
  void StepDone(bool failed);

 private:
  std::mutex mu_;
  std::string label_;
  std::size_t total_;
  ProgressSink sink_;
  bool every_step_;
  std::size_t done_ = 0;
  std::size_t failed_ = 0;
  std::size_t last_tenth_ = 0;
};

}  // namespace ironward
