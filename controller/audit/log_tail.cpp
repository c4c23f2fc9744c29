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
  if (from == From::kNow) return OpenLive(true);
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

Status LogTail::Recover(const LineFn& on_line) {
  ++rotations_;
  // Nothing of this generation was seen: nothing identifies it, nothing was left half read.
  if (fingerprint_.empty()) return Status::Ok();
  int ours = 0;  // which copy holds the generation we were reading
  for (int i = 1; i <= daemon::kLogKeep && ours == 0; ++i) {
    auto fd = Open(name_ + "." + std::to_string(i));
    if (!fd) return fd.error();
    if (*fd < 0) continue;
    if (SizeOf(*fd) >= offset_ && PreadPrefix(*fd, fingerprint_.size()) == fingerprint_) ours = i;
    ::close(*fd);
  }
  if (ours == 0) ++lost_;  // rotated out of the last copy: every copy there is is newer
  // Ours from where we stopped, then the newer generations (more than one rotation since) whole.
  for (int i = ours == 0 ? daemon::kLogKeep : ours; i >= 1; --i) {
    const std::string rotated = name_ + "." + std::to_string(i);
    auto fd = Open(rotated);
    if (!fd) return fd.error();
    if (*fd < 0) continue;
    auto drained = Drain(*fd, rotated, i == ours ? offset_ : 0, true, on_line);
    ::close(*fd);
    if (!drained) return drained.error();
  }
  return Status::Ok();
}

Status LogTail::Poll(const LineFn& on_line) {
  const std::vector<Backlog> backlog = std::move(backlog_);
  backlog_.clear();
  Status failed;
  for (const auto& b : backlog) {
    if (failed) {
      if (auto drained = Drain(b.fd, b.name, 0, true, on_line); !drained) failed = drained.error();
    }
    ::close(b.fd);
  }
  if (!failed) return failed;
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
