#include "log.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <mutex>

#include <sys/time.h>
#include <unistd.h>

namespace irondouble {
namespace {

std::atomic<int> g_level{static_cast<int>(Level::kInfo)};
std::mutex g_write_mu;

const char* LevelName(Level level) {
  switch (level) {
    case Level::kDebug: return "DEBUG";
    case Level::kInfo: return "INFO";
    case Level::kWarn: return "WARN";
    case Level::kError: return "ERROR";
  }
  return "INFO";
}

// Writes everything to fd 2. A closed pipe kills the process with SIGPIPE, like a Go
// program writing to a broken stderr (SIGPIPE is otherwise ignored for sockets).
void WriteStderr(const std::string& data) {
  std::lock_guard<std::mutex> lock(g_write_mu);
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(STDERR_FILENO, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE) {
        std::signal(SIGPIPE, SIG_DFL);
        std::raise(SIGPIPE);
      }
      return;
    }
    off += static_cast<std::size_t>(n);
  }
}

}  // namespace

bool ParseLevel(std::string_view name, Level* out) {
  if (name == "debug") *out = Level::kDebug;
  else if (name == "info") *out = Level::kInfo;
  else if (name == "warn") *out = Level::kWarn;
  else if (name == "error") *out = Level::kError;
  else return false;
  return true;
}

void SetLogLevel(Level level) { g_level = static_cast<int>(level); }

bool LevelEnabled(Level level) { return static_cast<int>(level) >= g_level.load(); }

std::string NowRfc3339Nano() {
  struct timespec ts {};
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm {};
  localtime_r(&ts.tv_sec, &tm);
  char base[32];
  std::strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out = base;
  if (ts.tv_nsec != 0) {
    char frac[16];
    std::snprintf(frac, sizeof frac, ".%09ld", ts.tv_nsec);
    std::string f = frac;
    while (!f.empty() && f.back() == '0') f.pop_back();
    out += f;
  }
  long off = tm.tm_gmtoff;
  if (off == 0) {
    out += "Z";
  } else {
    char zone[48];
    char sign = off < 0 ? '-' : '+';
    if (off < 0) off = -off;
    std::snprintf(zone, sizeof zone, "%c%02ld:%02ld", sign, off / 3600, (off % 3600) / 60);
    out += zone;
  }
  return out;
}

Json DurationMs(long long micros) {
  if (micros % 1000 == 0) return Json(micros / 1000);  // Go prints whole floats without ".0"
  return Json(static_cast<double>(micros) / 1000.0);
}

void Log(Level level, std::string_view msg, const Json& attrs) {
  if (!LevelEnabled(level)) return;
  Json line = Json::object();
  line["time"] = NowRfc3339Nano();
  line["level"] = LevelName(level);
  line["msg"] = std::string(msg);
  if (attrs.is_object()) {
    for (const auto& [key, value] : attrs.items()) line[key] = value;
  }
  WriteStderr(line.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n");
}

void PlainStderr(std::string_view line) {
  std::string s(line);
  s += "\n";
  WriteStderr(s);
}

}  // namespace irondouble
