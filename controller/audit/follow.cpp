#include "controller/audit/follow.h"

#include <poll.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <csignal>
#include <ostream>

#include "controller/audit/audit_output.h"

namespace ironward::audit {
namespace {

/// Wake-up interval when no event arrives (and the only one without inotify).
constexpr int kPollMs = 1000;
constexpr auto kNamesRefresh = std::chrono::seconds(10);

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

void Drain(int fd) {
  char buf[4096];
  while (fd >= 0 && ::read(fd, buf, sizeof buf) > 0) {
  }
}

}  // namespace

int FollowRecords(LogTail& tail, const std::string& state_dir, const FollowOptions& options, std::ostream& out,
                  std::ostream& err) {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  ::sigprocmask(SIG_BLOCK, &mask, nullptr);
  ::signal(SIGPIPE, SIG_IGN);  // a closed pipe shows as a failed write; stop then
  const Fd signals(::signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC));
  const Fd changes(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (changes.get() >= 0) {
    ::inotify_add_watch(changes.get(), state_dir.c_str(),
                        IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_CLOSE_WRITE | IN_ATTRIB);
  }

  SandboxNames names = options.look_up_names ? options.look_up_names() : SandboxNames{};
  auto names_at = std::chrono::steady_clock::now();
  if (options.format == LineFormat::kCsv) out << RecordCsvHeader() << std::flush;
  ReadStats stats;
  auto print = [&](const Record& r) {
    if (!options.filter.Matches(r)) return;
    const std::string source = SourceAddress(r.remote_addr);
    if (options.look_up_names && names.count(source) == 0 && std::chrono::steady_clock::now() - names_at > kNamesRefresh) {
      names = options.look_up_names();  // a sandbox started since
      names_at = std::chrono::steady_clock::now();
    }
    switch (options.format) {
      case LineFormat::kText:
        out << RecordText(r, names);
        break;
      case LineFormat::kJson:
        out << RecordJson(r, names).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
        break;
      case LineFormat::kCsv:
        out << RecordCsv(r, names);
        break;
    }
    out.flush();
  };
  for (;;) {
    if (auto s = tail.Poll([&](std::string_view line) { ReadLine(line, &stats, print); }); !s) {
      err << "Error: " << s.error().message << "\n";
      return 1;
    }
    if (!out) return 0;  // the reader went away (| head)
    pollfd fds[2] = {{signals.get(), POLLIN, 0}, {changes.get(), POLLIN, 0}};
    const int n = ::poll(fds, 2, kPollMs);
    if (n > 0 && (fds[0].revents & POLLIN) != 0) return 0;
    if (n > 0 && (fds[1].revents & POLLIN) != 0) Drain(changes.get());
  }
}

}  // namespace ironward::audit
