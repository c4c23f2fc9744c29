// The two state-directory operations a log file needs (state_dir.h): its tail without reading the
// whole file, and copy-truncate rotation while another process keeps appending to it.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "state/owned_fd.h"
#include "state/state_dir.h"

namespace ironward::state {

Result<std::optional<std::string>> StateReader::ReadTail(std::string_view name, std::size_t max_bytes) const {
  auto opened = OpenFile(name, O_RDONLY | O_NONBLOCK);
  if (!opened) return opened.error();
  if (*opened < 0) return std::optional<std::string>{};
  Fd fd(*opened);
  struct stat st {};
  ::fstat(fd.get(), &st);
  const auto size = static_cast<std::uint64_t>(st.st_size);
  const std::uint64_t start = size > max_bytes ? size - max_bytes : 0;
  std::string data(static_cast<std::size_t>(size - start), '\0');
  const ssize_t got = ::pread(fd.get(), data.data(), data.size(), static_cast<off_t>(start));
  if (got < 0) return Error::Transient("reading " + PathOf(name).string() + ": " + std::strerror(errno));
  data.resize(static_cast<std::size_t>(got));
  return std::optional<std::string>(std::move(data));
}

Status StateWriter::CopyTruncate(std::string_view from, std::string_view to, mode_t mode) {
  const std::string path = PathOf(from).string();
  auto opened = OpenFile(from, O_RDWR | O_NONBLOCK);
  if (!opened) return opened.error();
  if (*opened < 0) return Error::Transient(path + " does not exist");
  Fd live(*opened);
  auto copy = [&live](int out) -> Status {
    std::string buf(65536, '\0');
    for (;;) {
      const ssize_t n = ::read(live.get(), buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Error::Transient(std::strerror(errno));
      if (n == 0) return Status::Ok();
      if (auto s = WriteAll(out, std::string_view(buf.data(), static_cast<std::size_t>(n))); !s) return s;
    }
  };
  if (auto s = WriteAtomicWith(to, mode, copy); !s) return s;
  // What the other process writes between the copy and this truncate is lost (a few lines at most).
  if (::ftruncate(live.get(), 0) != 0) return Error::Transient("truncating " + path + ": " + std::strerror(errno));
  return Status::Ok();
}

}  // namespace ironward::state
