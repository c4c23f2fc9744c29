// Files for tests: a fresh directory removed at the end of the test, whole-file reads and writes,
// and a file's permission bits. Header-only and free of ironward libraries, so every test program
// (the iron-proxy double's own tests and the system tests included) can use it.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>

namespace ironward::testing {

/// A fresh directory under the temp directory (ironward-test-XXXXXX), removed with everything in it
/// on destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "ironward-test-XXXXXX").string();
    const char* made = ::mkdtemp(tmpl.data());
    if (made == nullptr) std::abort();  // no temp directory: nothing a test could do would be meaningful
    path_ = made;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  /// The path as text, for shell commands and "dir + /name" strings.
  std::string str() const { return path_.string(); }
  /// Writes `content` to `name` in this directory (truncating); the file's path.
  std::string Write(const std::string& name, const std::string& content) const {
    const std::string p = (path_ / name).string();
    std::ofstream(p, std::ios::binary | std::ios::trunc) << content;
    return p;
  }

 private:
  std::filesystem::path path_;
};

/// The whole file ("" when it cannot be read).
inline std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Replaces the file's content (creating it).
inline void WriteFile(const std::filesystem::path& p, const std::string& content) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << content;
}

/// The permission bits (07777) of `p` itself (a symlink is not followed); 0 when it is missing.
inline mode_t ModeOf(const std::filesystem::path& p) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777U;
}

}  // namespace ironward::testing
