#include "reconcilers/docker/log_stream.h"

#include <algorithm>

namespace ironward::docker {

bool LogDemuxer::Feed(std::string_view chunk) {
  while (!failed_ && !chunk.empty()) {
    if (remaining_ == 0 && header_.size() < 8) {
      const std::size_t take = std::min<std::size_t>(8 - header_.size(), chunk.size());
      header_.append(chunk.substr(0, take));
      chunk.remove_prefix(take);
      if (header_.size() < 8) break;
      const auto byte = [this](std::size_t i) { return static_cast<std::uint8_t>(header_[i]); };
      stream_ = byte(0);
      if (stream_ > 2 || byte(1) != 0 || byte(2) != 0 || byte(3) != 0) {
        failed_ = true;
        break;
      }
      remaining_ = (std::uint32_t{byte(4)} << 24U) | (std::uint32_t{byte(5)} << 16U) | (std::uint32_t{byte(6)} << 8U) |
                   std::uint32_t{byte(7)};
      header_.clear();
      continue;  // a zero-length frame is legal: the next header follows
    }
    const std::size_t take = std::min<std::size_t>(remaining_, chunk.size());
    (stream_ == 2 ? output_.err : output_.out).append(chunk.substr(0, take));
    remaining_ -= static_cast<std::uint32_t>(take);
    chunk.remove_prefix(take);
  }
  return !failed_;
}

Status LogDemuxer::Finish() const {
  if (failed_) return Error::Transient("docker: malformed log stream (bad frame header)");
  if (remaining_ != 0 || !header_.empty()) return Error::Transient("docker: log stream ended inside a frame");
  return Status::Ok();
}

Result<LogOutput> DemuxLogs(std::string_view body) {
  LogDemuxer d;
  d.Feed(body);
  if (Status s = d.Finish(); !s) return s.error();
  return d.TakeOutput();
}

}  // namespace ironward::docker
