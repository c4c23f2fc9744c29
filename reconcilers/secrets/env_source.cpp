#include "reconcilers/secrets/env_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <cctype>
#include <cstdio>
#include <sstream>

extern char** environ;  // NOLINT: POSIX

namespace ironward::secrets {

std::map<std::string, std::string> ProcessEnvironment::All() const {
  std::map<std::string, std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry(*e);
    const auto eq = entry.find('=');
    if (eq != std::string::npos) out.emplace(entry.substr(0, eq), entry.substr(eq + 1));
  }
  return out;
}

Result<std::map<std::string, std::string>> ParseEnvFile(const std::string& text, const std::string& path) {
  std::map<std::string, std::string> out;
  std::istringstream in(text);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::size_t start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    line = line.substr(start);
    if (line.rfind("export ", 0) == 0) line = line.substr(7);
    const auto eq = line.find('=');
    const std::string where = path + ":" + std::to_string(number);
    if (eq == std::string::npos || eq == 0) return Error::Invalid(where + ": expected KEY=VALUE");
    std::string key = line.substr(0, eq);
    while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) key.pop_back();
    for (char c : key) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) {
        return Error::Invalid(where + ": '" + key + "' is not a variable name");
      }
    }
    std::string value = line.substr(eq + 1);
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    out[key] = value;
  }
  return out;
}

Result<std::map<std::string, std::string>> ReadEnvFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ELOOP) return Error::Terminal("credentials.envFile " + path + " is a symlink; refusing to follow it");
    return Error::Terminal("credentials.envFile " + path + ": " + std::strerror(errno));
  }
  struct stat st {};
  ::fstat(fd, &st);
  auto fail = [&](const std::string& why) -> Result<std::map<std::string, std::string>> {
    ::close(fd);
    return Error::Terminal("credentials.envFile " + path + " " + why);
  };
  if (!S_ISREG(st.st_mode)) return fail("is not a regular file");
  if (st.st_uid != ::geteuid()) return fail("is owned by uid " + std::to_string(st.st_uid) + ", not by us");
  if ((st.st_mode & 0777U) != 0600) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", st.st_mode & 0777U);
    return fail(std::string("has mode ") + mode + "; it holds secrets and must be 0600 (chmod 600 " + path + ")");
  }
  std::string text;
  char buf[8192];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > 1024 * 1024) return fail("is larger than 1 MiB");
  }
  ::close(fd);
  return ParseEnvFile(text, path);
}

}  // namespace ironward::secrets
