#include "controller/command_support.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "controller/spec/loader.h"
#include "state/encoding.h"

namespace ironward {

std::string ResolveStateDir(const GlobalOptions& global) {
  if (!global.state_dir.empty()) return global.state_dir;
  if (const char* env = std::getenv("IRONWARD_STATE_DIR"); env != nullptr && *env != '\0') return env;
  return kDefaultStateDir;
}

std::string IronwardCommand(const std::string& state_dir) {
  return state_dir == kDefaultStateDir ? "ironward" : "ironward --state-dir " + ShellQuote(state_dir);
}

void SetupLogging(const GlobalOptions& global) {
  auto logger = spdlog::stderr_color_mt("ironward");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  spdlog::set_default_logger(logger);
  const auto level = spdlog::level::from_str(global.log_level);
  if (level == spdlog::level::off && global.log_level != "off") {
    spdlog::set_level(spdlog::level::info);
    spdlog::warn("unknown --log-level '{}'; using info", global.log_level);
  } else {
    spdlog::set_level(level);
  }
}

std::optional<spec::DesiredState> LoadDesiredState(const std::string& path, std::ostream& err) {
  // `-f -`: the desired state on stdin (e.g. `sops -d gateway.yaml | ironward reconcile -f -`).
  const bool from_stdin = path == "-";
  std::string stdin_text;
  if (from_stdin) {
    std::ostringstream buf;
    buf << std::cin.rdbuf();
    stdin_text = buf.str();
  }
  const auto result = from_stdin ? spec::LoadString(stdin_text, "<stdin>") : spec::LoadFile(path);
  for (const auto& w : result.warnings) {
    spec::Diagnostic d = w;
    d.message = "warning: " + d.message;
    err << d.ToString() << "\n";
  }
  for (const auto& e : result.errors) err << e.ToString() << "\n";
  if (!result.ok()) {
    err << path << ": " << result.errors.size() << " error(s); nothing was changed\n";
    return std::nullopt;
  }
  auto desired = *result.state;
  if (from_stdin) return desired;  // no file: no git revision, nothing to watch
  std::error_code ec;
  if (auto abs = std::filesystem::absolute(path, ec); !ec) desired.source_path = abs.lexically_normal().string();
  return desired;
}

std::string PadRight(std::string s, std::size_t n) {
  if (s.size() < n) s.resize(n, ' ');
  return s;
}

Status WritePrivateFileAtomic(const std::string& path, std::string_view text, const std::string& what) {
  const std::filesystem::path target(path);
  // Built by appending: GCC 12 at -O2 misreads `"." + std::string&&` as an overlapping memcpy
  // (-Wrestrict, GCC PR 105651).
  std::string leaf = ".";
  leaf += target.filename().string();
  leaf += ".tmp-";
  leaf += RandomHex(6);
  const std::string tmp =
      (target.parent_path().empty() ? std::filesystem::path(".") : target.parent_path()) / leaf;
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return Error::Transient("writing " + what + " " + path + ": " + std::strerror(errno));
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return Error::Transient("writing " + what + " " + path + ": " + std::strerror(err));
  }
  return Status::Ok();
}

Runtime::Runtime() {
  if (auto client = docker::DockerClient::FromEnvironment(http, clock); client) {
    docker = std::move(*client);
    read_only_docker = std::make_unique<docker::ReadOnlyDocker>(*docker);
  } else {
    docker_error = client.error().message;
  }
}

ReadDeps Runtime::Reads(const state::StateReader& state) {
  return ReadDeps{clock, state, &read_only_http, &host, read_only_docker.get(), &read_only_firewall,
                  {&read_only_ufw, &read_only_firewalld}};
}

WriteDeps Runtime::Writes(state::StateWriter& state) {
  return WriteDeps{clock, state, &http, &host, docker.get(), &firewall, {&ufw, &firewalld}};
}

Result<HttpResponse> ReadOnlyHttpClient::Send(const HttpRequest& request) {
  if (request.method != "GET" && request.method != "HEAD") {
    return Error::Terminal("refusing " + request.method + " " + request.url + " during a read-only run");
  }
  return inner_.Send(request);
}

namespace {

std::string ReadFirstLine(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

std::string ResolveRef(const std::filesystem::path& git_dir, const std::string& ref) {
  if (auto loose = ReadFirstLine(git_dir / ref); !loose.empty()) return loose;
  std::ifstream packed(git_dir / "packed-refs");
  std::string line;
  while (std::getline(packed, line)) {
    // "<id> <refname>": a 40-hex SHA-1 or a 64-hex SHA-256 id ('#' header and '^' peeled lines skipped).
    const auto space = line.find(' ');
    if ((space == 40 || space == 64) && line.compare(space + 1, std::string::npos, ref) == 0) {
      return line.substr(0, space);
    }
  }
  return "";
}

}  // namespace

std::string GitRevisionOf(const std::string& file) {
  std::error_code ec;
  auto dir = std::filesystem::absolute(file, ec).parent_path();
  for (int depth = 0; depth < 64 && !dir.empty(); ++depth) {
    const auto dotgit = dir / ".git";
    if (std::filesystem::is_directory(dotgit, ec)) {
      const std::string head = ReadFirstLine(dotgit / "HEAD");
      if (head.rfind("ref: ", 0) == 0) return ResolveRef(dotgit, head.substr(5));
      return head;
    }
    if (std::filesystem::is_regular_file(dotgit, ec)) {  // worktree: "gitdir: <path>"
      const std::string line = ReadFirstLine(dotgit);
      if (line.rfind("gitdir: ", 0) != 0) return "";
      std::filesystem::path gitdir = line.substr(8);
      if (gitdir.is_relative()) gitdir = dir / gitdir;
      const std::string head = ReadFirstLine(gitdir / "HEAD");
      if (head.rfind("ref: ", 0) != 0) return head;
      auto common = gitdir;
      if (auto c = ReadFirstLine(gitdir / "commondir"); !c.empty()) common = gitdir / c;
      return ResolveRef(common, head.substr(5));
    }
    if (dir == dir.root_path()) break;
    dir = dir.parent_path();
  }
  return "";
}

std::string JsonString(const nlohmann::json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

}  // namespace ironward
