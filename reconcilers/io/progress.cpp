#include "reconcilers/io/progress.h"

#include <unistd.h>

#include <cstdio>

#include <spdlog/spdlog.h>

namespace ironward {

ProgressSink TerminalProgressSink() {
  if (::isatty(STDERR_FILENO) == 0) return nullptr;
  return [](std::string_view line, bool done) {
    std::fprintf(stderr, "\r%.*s\033[K%s", static_cast<int>(line.size()), line.data(), done ? "\n" : "");
    std::fflush(stderr);
  };
}

ProgressSink LogProgressSink() {
  return [](std::string_view line, bool) { spdlog::info("{}", line); };
}

StepProgress::StepProgress(std::string label, std::size_t total, ProgressSink sink, bool every_step)
    : label_(std::move(label)), total_(total), sink_(std::move(sink)), every_step_(every_step) {}

void StepProgress::StepDone(bool failed) {
  std::lock_guard lock(mu_);
  ++done_;
  if (failed) ++failed_;
  if (!sink_) return;
  const bool last = done_ >= total_;
  const std::size_t tenth = total_ == 0 ? 10 : done_ * 10 / total_;
  if (!every_step_ && !last && tenth == last_tenth_) return;
  last_tenth_ = tenth;
  std::string line = label_ + ": " + std::to_string(done_) + "/" + std::to_string(total_) + " done";
  if (failed_ > 0) line += ", " + std::to_string(failed_) + " failed";
  sink_(line, last);
}

}  // namespace ironward
