// LogTail: reads iron-proxy.log line by line, incrementally, across ironward's rotations.
//
// The daemon reconciler rotates the log by copy-truncate (reconcilers/daemon/log_file.h): .2 →
// .3, .1 → .2, the live file copied to .1, then truncated to 0 (same inode). So a reader that
// keeps an offset into the live file sees it shrink. LogTail remembers the first bytes of the
// generation it reads (a fingerprint); when the live file is shorter than its offset, or starts
// with other bytes, it finds that generation among .1, .2, .3 by the fingerprint and reads what
// it had not read yet from there, then any newer copy (several rotations between two reads)
// whole, then the new live file from its start. Copies it read or skipped before are known by
// their fingerprints and never read again. A live file replaced by another inode (deleted and
// re-created) is drained through the old descriptor first.
//
// Lines are delivered whole and once, in the order written. The live file's unterminated last
// line is left for the next Poll (the proxy is mid-write); a rotated file's is delivered (the
// file is final). A line longer than 1 MiB is dropped. Limits: bytes the proxy wrote between the
// copy and the truncate are lost (the documented rotation race), and so is a generation rotated
// out of .3 before the next Poll (counted in lost()).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "reconcilers/daemon/log_file.h"
#include "state/result.h"

namespace ironward::audit {

class LogTail {
 public:
  enum class From {
    kOldest,  ///< the rotated copies, oldest first (.3, .2, .1), then the live file from 0
    kNow,     ///< only lines completed after Start
  };
  using LineFn = std::function<void(std::string_view line)>;

  explicit LogTail(std::string dir, std::string name = daemon::kLogFile);
  ~LogTail();
  LogTail(const LogTail&) = delete;
  LogTail& operator=(const LogTail&) = delete;

  /// Opens the files. A missing log is not an error (it is picked up once it appears); one that
  /// cannot be read (permissions, a symlink, not a regular file) is.
  Status Start(From from);
  /// Delivers every complete line written since the last call. `on_line` may run for a while;
  /// rotations that happen meanwhile are caught up with before Poll returns.
  Status Poll(const LineFn& on_line);

  /// The files lines came from so far, in reading order ("iron-proxy.log.1", "iron-proxy.log").
  const std::vector<std::string>& files_read() const { return files_read_; }
  /// Whether a live log file has been opened (false: the proxy never ran from this directory).
  bool live_seen() const { return live_seen_; }
  /// Rotated generations that were gone (rotated past .3) before they could be read to the end.
  std::uint64_t lost() const { return lost_; }
  /// Rotations followed (copy-truncate or a replaced file).
  std::uint64_t rotations() const { return rotations_; }

 private:
  struct Backlog {
    std::string name;
    int fd;
  };
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  Result<int> Open(const std::string& name) const;  ///< -1 when missing
  Status OpenLive(bool at_end);
  Status Recover(const LineFn& on_line);
  void Remember(std::string fingerprint);
  bool Seen(int fd) const;  ///< the file starts like a generation already read or skipped
  Result<off_t> Drain(int fd, const std::string& name, off_t offset, bool final, const LineFn& on_line);
  bool SameGeneration() const;
  void CloseLive();

  std::string dir_;
  std::string name_;
  std::vector<Backlog> backlog_;
  int live_fd_ = -1;
  dev_t live_dev_ = 0;
  ino_t live_ino_ = 0;
  off_t offset_ = 0;          ///< after the last line delivered from the live file
  std::string fingerprint_;   ///< the first bytes of the live generation being read
  std::vector<std::string> seen_;  ///< fingerprints of generations read (or skipped) before
  std::vector<std::string> files_read_;
  bool live_seen_ = false;
  std::uint64_t lost_ = 0;
  std::uint64_t rotations_ = 0;
};

}  // namespace ironward::audit
