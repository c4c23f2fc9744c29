// File seam of the harden survey: sshd_config and state-dir files are read through this, so
// tests can fake them. The real one reads regular files only, with a size cap, and never blocks
// on a FIFO or device.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ironward::harden {

struct FileRead {
  enum class Outcome {
    kOk,
    kMissing,     ///< ENOENT / ENOTDIR
    kDenied,      ///< EACCES / EPERM (typically: not root)
    kNotRegular,  ///< a directory, FIFO, device, or a symlink when symlinks are refused
    kTooLarge,    ///< larger than the reader's cap
    kError,       ///< anything else (see error)
  };
  Outcome outcome = Outcome::kError;
  std::string content;  ///< for kOk
  std::string error;    ///< human-readable reason for anything but kOk

  bool ok() const { return outcome == Outcome::kOk; }
  static FileRead Ok(std::string text) { return {Outcome::kOk, std::move(text), ""}; }
  static FileRead Fail(Outcome o, std::string why) { return {o, "", std::move(why)}; }
};

struct FileInfo {
  enum class Kind { kMissing, kRegular, kSymlink, kDirectory, kOther, kDenied, kError };
  Kind kind = Kind::kError;
  std::uint64_t size = 0;
  std::string error;
};

class FileReader {
 public:
  virtual ~FileReader() = default;
  /// Reads a whole regular file. With follow_symlinks=false a symlink is kNotRegular.
  virtual FileRead Read(const std::string& path, bool follow_symlinks) = 0;
  /// lstat(): what is at `path` itself (a symlink is reported as kSymlink, not followed).
  virtual FileInfo Stat(const std::string& path) = 0;
  /// Names (not paths) of the entries of a directory, sorted; empty when missing or unreadable.
  virtual std::vector<std::string> List(const std::string& dir) = 0;
};

class RealFileReader final : public FileReader {
 public:
  explicit RealFileReader(std::size_t max_bytes = 1024U * 1024U) : max_bytes_(max_bytes) {}
  FileRead Read(const std::string& path, bool follow_symlinks) override;
  FileInfo Stat(const std::string& path) override;
  std::vector<std::string> List(const std::string& dir) override;

 private:
  std::size_t max_bytes_;
};

}  // namespace ironward::harden
