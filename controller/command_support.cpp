#include "controller/command_support.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "state/spec/loader.h"
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

CLI::Option* AddDesiredFileOption(CLI::App* cmd, std::vector<std::string>* files, const std::string& help,
                                  bool required) {
  cmd->parse_complete_callback([files] {
    if (std::count(files->begin(), files->end(), "-") > 1) {
      throw CLI::ValidationError("--file", "`-f -` (stdin) can be given only once");
    }
  });
  // One value per -f: `-f a.yaml b.yaml` is an error, not a silent overlay.
  return cmd->add_option("-f,--file", *files, help + "; repeat -f to merge overlays in order")
      ->required(required)
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

std::optional<spec::DesiredState> LoadDesiredState(const std::vector<std::string>& paths, std::ostream& err) {
  // `-f -`: the desired state on stdin (e.g. `sops -d gateway.yaml | ironward reconcile -f -`).
  std::vector<spec::Source> sources;
  std::vector<spec::Diagnostic> unreadable;
  for (const auto& path : paths) {
    if (path == "-") {
      std::ostringstream buf;
      buf << std::cin.rdbuf();
      sources.push_back({"<stdin>", buf.str()});
    } else if (auto text = spec::ReadSourceFile(path, &unreadable)) {
      sources.push_back({path, std::move(*text)});
    }
  }
  spec::LoadResult result;
  if (unreadable.empty()) {
    result = spec::LoadSources(sources);
  } else {
    result.errors = std::move(unreadable);
  }
  for (const auto& w : result.warnings) {
    spec::Diagnostic d = w;
    d.message = "warning: " + d.message;
    err << d.ToString() << "\n";
  }
  for (const auto& e : result.errors) err << e.ToString() << "\n";
  if (!result.ok()) {
    err << FilesLabel(paths) << ": " << result.errors.size() << " error(s); nothing was changed\n";
    return std::nullopt;
  }
  auto desired = *result.state;
  // stdin has no path: no git revision, nothing to watch.
  for (const auto& path : paths) {
    if (path == "-") continue;
    std::error_code ec;
    const auto abs = std::filesystem::absolute(path, ec);
    desired.source_paths.push_back(ec ? path : abs.lexically_normal().string());
  }
  desired.source_path = desired.source_paths.empty() ? "" : desired.source_paths.front();
  return desired;
}

std::string FileArgs(const std::vector<std::string>& paths) {
  std::string out;
  for (const auto& p : paths) out += (out.empty() ? "-f " : " -f ") + (p == "-" ? p : ShellQuote(p));
  return out.empty() ? "-f FILE" : out;
}

std::string FilesLabel(const std::vector<std::string>& paths) {
  std::string out;
  for (const auto& p : paths) out += (out.empty() ? "" : " + ") + p;
  return out;
}

std::string DesiredFilesDigest(const std::vector<std::string>& paths) {
  std::string digests;
  for (const auto& path : paths) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    digests += (in ? Sha256Hex(text.str()) : std::string("missing")) + "\n";
  }
  if (paths.size() == 1) return digests.substr(0, digests.size() - 1);  // as recorded before overlays
  return Sha256Hex(digests);
}

std::vector<std::string> RefusedPaths(const nlohmann::json& refusal) {
  std::vector<std::string> out;
  if (refusal.is_object() && refusal.contains("paths") && refusal["paths"].is_array()) {
    for (const auto& p : refusal["paths"]) {
      if (p.is_string()) out.push_back(p.get<std::string>());
    }
    return out;
  }
  if (const std::string path = JsonString(refusal, "path"); !path.empty()) out.push_back(path);
  return out;
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
  } else {
    docker_error = client.error().message;
  }
}

ReadDeps Runtime::Reads(const state::StateReader& state) {
  return ReadDeps{clock, state, &http, &host, docker.get(), &firewall, {&ufw, &firewalld}, &files};
}

WriteDeps Runtime::Writes(state::StateWriter& state) {
  return WriteDeps{clock, state, &http, &host, docker.get(), &firewall, {&ufw, &firewalld}, &files};
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

std::string GitRevisionOf(const std::vector<std::string>& files) {
  std::vector<std::string> seen;
  for (const auto& f : files) {
    const std::string rev = GitRevisionOf(f);
    if (!rev.empty() && std::find(seen.begin(), seen.end(), rev) == seen.end()) seen.push_back(rev);
  }
  std::string out;
  for (const auto& r : seen) out += (out.empty() ? "" : "+") + r;
  return out;
}

std::string JsonString(const nlohmann::json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

}  // namespace ironward
