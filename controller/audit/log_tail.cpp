#include "controller/audit/log_tail.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace ironward::audit {
namespace {

constexpr std::size_t kFingerprintBytes = 256;
constexpr std::size_t kChunk = 64 * 1024;
constexpr std::size_t kMaxLine = 1024 * 1024;
/// Rotations caught up with in one Poll before it gives the rest to the next call.
constexpr int kMaxRounds = 8;
/// Fingerprints of finished generations kept (a few more than the rotated copies).
constexpr std::size_t kSeenGenerations = 16;

std::string PreadPrefix(int fd, std::size_t n) {
  std::string out(n, '\0');
  ssize_t got = -1;
  do {
    got = ::pread(fd, out.data(), n, 0);
  } while (got < 0 && errno == EINTR);
  out.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
  return out;
}

off_t SizeOf(int fd) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 ? st.st_size : 0;
}

}  // namespace

LogTail::LogTail(std::string dir, std::string name) : dir_(std::move(dir)), name_(std::move(name)) {}

LogTail::~LogTail() {
  for (auto& b : backlog_) ::close(b.fd);
  CloseLive();
}

void LogTail::CloseLive() {
  if (live_fd_ >= 0) ::close(live_fd_);
  live_fd_ = -1;
}

Result<int> LogTail::Open(const std::string& name) const {
  const std::string path = Path(name);
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ENOENT) return -1;
    if (errno == ELOOP) return Error::Terminal(path + " is a symbolic link; refusing to follow it");
    const int err = errno;
    return Error::Terminal("cannot read " + path + ": " + std::strerror(err) +
                           (err == EACCES ? " (it is 0600: run as the user ironward runs as, e.g. with sudo)" : ""));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Error::Terminal(path + " is not a regular file");
  }
  return fd;
}

Status LogTail::OpenLive(bool at_end) {
  auto fd = Open(name_);
  if (!fd) return fd.error();
  if (*fd < 0) return Status::Ok();
  struct stat st {};
  ::fstat(*fd, &st);
  live_fd_ = *fd;
  live_dev_ = st.st_dev;
  live_ino_ = st.st_ino;
  live_seen_ = true;
  offset_ = 0;
  if (at_end && st.st_size > 0) {
    // After the last complete line: a line being written now is delivered whole later.
    const off_t window = std::min<off_t>(st.st_size, static_cast<off_t>(kMaxLine));
    std::string tail(static_cast<std::size_t>(window), '\0');
    const ssize_t got = ::pread(live_fd_, tail.data(), tail.size(), st.st_size - window);
    const auto nl = got > 0 ? std::string_view(tail.data(), static_cast<std::size_t>(got)).rfind('\n') : std::string_view::npos;
    offset_ = nl == std::string_view::npos ? (window == st.st_size ? 0 : st.st_size) : st.st_size - window + static_cast<off_t>(nl) + 1;
  }
  fingerprint_ = PreadPrefix(live_fd_, kFingerprintBytes);
  return Status::Ok();
}

Status LogTail::Start(From from) {
  for (auto& b : backlog_) ::close(b.fd);
  backlog_.clear();
  CloseLive();
  seen_.clear();
  if (from == From::kNow) {
    // The copies there now are history this reader skips: never to be read as "new" later.
    for (int i = 1; i <= daemon::kLogKeep; ++i) {
      auto fd = Open(name_ + "." + std::to_string(i));
      if (!fd) return fd.error();
      if (*fd < 0) continue;
      Remember(PreadPrefix(*fd, kFingerprintBytes));
      ::close(*fd);
    }
    return OpenLive(true);
  }
  // A rotation between the opens would pair a stale .1 with a fresh live file: check that each
  // name still points at the file opened, and start over if not.
  for (int attempt = 0; attempt < 3; ++attempt) {
    for (auto& b : backlog_) ::close(b.fd);
    backlog_.clear();
    CloseLive();
    for (int i = daemon::kLogKeep; i >= 1; --i) {
      const std::string rotated = name_ + "." + std::to_string(i);
      auto fd = Open(rotated);
      if (!fd) return fd.error();
      if (*fd >= 0) backlog_.push_back({rotated, *fd});
    }
    if (auto s = OpenLive(false); !s) return s;
    bool stable = true;
    for (const auto& b : backlog_) {
      struct stat by_fd {};
      struct stat by_name {};
      ::fstat(b.fd, &by_fd);
      stable = stable && ::lstat(Path(b.name).c_str(), &by_name) == 0 && by_name.st_ino == by_fd.st_ino;
    }
    if (stable) break;
  }
  for (const auto& b : backlog_) Remember(PreadPrefix(b.fd, kFingerprintBytes));
  return Status::Ok();
}

Result<off_t> LogTail::Drain(int fd, const std::string& name, off_t offset, bool final, const LineFn& on_line) {
  std::string carry;  // an unterminated line so far
  std::string buf(kChunk, '\0');
  off_t pos = offset;
  off_t consumed = offset;
  bool delivered = false;
  for (;;) {
    const ssize_t n = ::pread(fd, buf.data(), buf.size(), pos);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::Transient("reading " + Path(name) + ": " + std::strerror(errno));
    if (n == 0) break;
    const std::string_view chunk(buf.data(), static_cast<std::size_t>(n));
    std::size_t start = 0;
    for (auto nl = chunk.find('\n'); nl != std::string_view::npos; nl = chunk.find('\n', start)) {
      if (carry.empty()) {
        on_line(chunk.substr(start, nl - start));
      } else {
        carry.append(chunk.substr(start, nl - start));
        on_line(carry);
        carry.clear();
      }
      delivered = true;
      start = nl + 1;
      consumed = pos + static_cast<off_t>(start);
    }
    pos += n;
    carry.append(chunk.substr(start));
    if (carry.size() > kMaxLine) {  // not a log line any more; skip what there is of it
      carry.clear();
      consumed = pos;
    }
  }
  if (final && !carry.empty()) {
    on_line(carry);
    delivered = true;
    consumed = pos;
  }
  if (delivered && (files_read_.empty() || files_read_.back() != name)) files_read_.push_back(name);
  return consumed;
}

bool LogTail::SameGeneration() const {
  if (SizeOf(live_fd_) < offset_) return false;
  return fingerprint_.empty() || PreadPrefix(live_fd_, fingerprint_.size()) == fingerprint_;
}

void LogTail::Remember(std::string fingerprint) {
  if (fingerprint.empty()) return;
  seen_.push_back(std::move(fingerprint));
  if (seen_.size() > kSeenGenerations) seen_.erase(seen_.begin());
}

bool LogTail::Seen(int fd) const {
  for (const auto& fp : seen_) {
    if (PreadPrefix(fd, fp.size()) == fp) return true;
  }
  return false;
}

Status LogTail::Recover(const LineFn& on_line) {
  ++rotations_;
  // Every copy is a generation: ours (read from where we stopped), one read or skipped before
  // (seen), or a newer one that came and went since the last Poll (read whole). Oldest first.
  bool found = false;
  for (int i = daemon::kLogKeep; i >= 1; --i) {
    const std::string rotated = name_ + "." + std::to_string(i);
    auto fd = Open(rotated);
    if (!fd) return fd.error();
    if (*fd < 0) continue;
    const bool ours = !found && !fingerprint_.empty() && SizeOf(*fd) >= offset_ &&
                      PreadPrefix(*fd, fingerprint_.size()) == fingerprint_;
    Result<off_t> drained = offset_;
    if (ours || !Seen(*fd)) {
      drained = Drain(*fd, rotated, ours ? offset_ : 0, true, on_line);
      if (!ours) Remember(PreadPrefix(*fd, kFingerprintBytes));
    }
    ::close(*fd);
    if (!drained) return drained.error();
    found = found || ours;
  }
  if (!fingerprint_.empty() && !found) ++lost_;  // rotated out of the last copy before we got to it
  Remember(fingerprint_);
  return Status::Ok();
}

Status LogTail::Poll(const LineFn& on_line) {
  const std::vector<Backlog> backlog = std::move(backlog_);
  backlog_.clear();
  Status read_ok;  // after a failure the remaining copies are only closed
  for (const auto& b : backlog) {
    if (read_ok) {
      if (auto drained = Drain(b.fd, b.name, 0, true, on_line); !drained) read_ok = drained.error();
    }
    ::close(b.fd);
  }
  if (!read_ok) return read_ok;
  for (int round = 0; round < kMaxRounds; ++round) {
    if (live_fd_ < 0) {
      if (auto s = OpenLive(false); !s) return s;
      if (live_fd_ < 0) return Status::Ok();
    }
    struct stat by_name {};
    const bool present = ::lstat(Path(name_).c_str(), &by_name) == 0;
    if (!present || by_name.st_ino != live_ino_ || by_name.st_dev != live_dev_) {
      // Replaced (or removed): the old file ends where its writer stopped.
      auto drained = Drain(live_fd_, name_, offset_, false, on_line);
      if (!drained) return drained.error();
      ++rotations_;
      Remember(fingerprint_);
      CloseLive();
      if (!present) return Status::Ok();
      continue;
    }
    if (!SameGeneration()) {
      if (auto s = Recover(on_line); !s) return s;
      offset_ = 0;
      fingerprint_ = PreadPrefix(live_fd_, kFingerprintBytes);
      continue;
    }
    auto drained = Drain(live_fd_, name_, offset_, false, on_line);
    if (!drained) return drained.error();
    offset_ = *drained;
    if (fingerprint_.size() < kFingerprintBytes && static_cast<off_t>(fingerprint_.size()) < offset_) {
      // Longer now that there is more; only if it still starts the same (no rotation since).
      std::string longer = PreadPrefix(live_fd_, std::min<std::size_t>(kFingerprintBytes, static_cast<std::size_t>(offset_)));
      if (longer.compare(0, fingerprint_.size(), fingerprint_) == 0) fingerprint_ = std::move(longer);
    }
    if (SameGeneration()) return Status::Ok();  // else it rotated while we read: catch up
  }
  return Status::Ok();
}

}  // namespace ironward::audit
