#include "controller/run/file_watch.h"

#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace ironward::run {

FileWatch::FileWatch(std::string path) : path_(std::move(path)) {
  std::error_code ec;
  const auto abs = std::filesystem::absolute(path_, ec).lexically_normal();
  dir_ = abs.parent_path().string();
  name_ = abs.filename().string();
  path_ = abs.string();
  fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd_ < 0) return;
  dir_wd_ = ::inotify_add_watch(fd_, dir_.c_str(),
                                IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB);
  ArmFile();
}

FileWatch::~FileWatch() {
  if (fd_ >= 0) ::close(fd_);
}

void FileWatch::ArmFile() {
  // Adding a watch for the same inode again returns the same descriptor; a new inode a new one.
  file_wd_ = ::inotify_add_watch(fd_, path_.c_str(), IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB | IN_DELETE_SELF |
                                                         IN_MOVE_SELF);
}

void DrainInotify(int fd, const std::function<void(const inotify_event& event)>& on_event) {
  alignas(inotify_event) char buf[8192];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n <= 0) break;  // EAGAIN: drained
    for (ssize_t off = 0; off < n;) {
      const auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
      on_event(*ev);
      off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
    }
  }
}

FileWatch::Seen FileWatch::Drain() {
  Seen seen = Seen::kNothing;
  DrainInotify(fd_, [&](const inotify_event& ev) {
    bool relevant = false;
    if (ev.wd == dir_wd_) {
      relevant = ev.len > 0 && name_ == ev.name;
    } else if ((ev.mask & IN_IGNORED) == 0) {
      relevant = true;  // the file's own watch
    }
    if ((ev.mask & IN_Q_OVERFLOW) != 0) {
      seen = Seen::kChanging;  // events were lost: look again after the debounce
      return;
    }
    if (!relevant) return;
    if ((ev.mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) != 0) {
      seen = Seen::kSettled;
    } else if ((ev.mask & (IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF)) == 0 || seen == Seen::kNothing) {
      // After a close or a rename into place, a mode change or the replaced inode going away
      // (it follows the rename) leaves the new content whole.
      seen = Seen::kChanging;
    }
  });
  if (seen != Seen::kNothing) ArmFile();
  return seen;
}

}  // namespace ironward::run
