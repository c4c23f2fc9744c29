// Internal to state/: an owned file descriptor and a write-everything loop, shared by
// state_dir.cpp and state_dir_logs.cpp (defined once: unity builds put both in one unit).
#pragma once

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

#include "state/result.h"

namespace ironward::state {

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      if (fd_ >= 0) ::close(fd_);
      fd_ = other.release();
    }
    return *this;
  }
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

/// Writes all of `content` (retrying short writes and EINTR); on failure errno says why.
inline Status WriteAll(int fd, std::string_view content) {
  std::size_t off = 0;
  while (off < content.size()) {
    const ssize_t n = ::write(fd, content.data() + off, content.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error::Transient(std::strerror(errno));
    }
    off += static_cast<std::size_t>(n);
  }
  return Status::Ok();
}

}  // namespace ironward::state
