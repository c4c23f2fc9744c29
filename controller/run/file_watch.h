// Watches the desired-state file with inotify: the file itself (in-place writes) and its
// directory filtered by name (editor saves via rename, atomic replaces, git checkouts, deletes
// and re-creates). Only says "something may have changed"; the loop compares content digests.
#pragma once

#include <sys/inotify.h>

#include <functional>
#include <string>

namespace ironward::run {

/// Reads every pending event of the non-blocking inotify descriptor `fd` (until EAGAIN) and hands
/// each to `on_event` (its name, when it has one, is `event.name`).
void DrainInotify(int fd, const std::function<void(const inotify_event& event)>& on_event);

class FileWatch {
 public:
  explicit FileWatch(std::string path);
  ~FileWatch();
  FileWatch(const FileWatch&) = delete;
  FileWatch& operator=(const FileWatch&) = delete;

  bool ok() const { return fd_ >= 0 && dir_wd_ >= 0; }
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  enum class Seen {
    kNothing,   ///< no event concerned the file
    kChanging,  ///< it changed and may still be changing (written, created, deleted)
    kSettled,   ///< the last change closed a write or renamed a file into place: its content is whole
  };
  /// Reads all pending events and says what they mean for the file. Re-arms the per-file watch
  /// (a replaced file is a new inode).
  Seen Drain();

 private:
  void ArmFile();

  std::string path_;
  std::string dir_;
  std::string name_;
  int fd_ = -1;
  int dir_wd_ = -1;
  int file_wd_ = -1;
};

}  // namespace ironward::run
