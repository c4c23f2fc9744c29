// Demultiplexer for the Engine API's multiplexed log/attach stream (containers without a TTY):
// frames of an 8-byte header [stream, 0, 0, 0, size as big-endian uint32] followed by `size` bytes,
// stream 0 = stdin, 1 = stdout, 2 = stderr. Frames may be split across chunks arbitrarily.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "reconcilers/docker/docker_types.h"
#include "state/result.h"

namespace ironward::docker {

class LogDemuxer {
 public:
  /// Feeds the next chunk. Returns false (and stays failed) on a malformed header.
  bool Feed(std::string_view chunk);
  /// Ok when the input ended on a frame boundary; an error for a truncated frame or bad header.
  Status Finish() const;

  const LogOutput& output() const { return output_; }
  LogOutput TakeOutput() { return std::move(output_); }

 private:
  std::string header_;  ///< partial header bytes
  std::uint32_t remaining_ = 0;
  int stream_ = 0;
  bool failed_ = false;
  LogOutput output_;
};

/// One-shot helper over a whole body.
Result<LogOutput> DemuxLogs(std::string_view body);

}  // namespace ironward::docker
