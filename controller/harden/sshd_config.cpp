#include "controller/harden/sshd_config.h"

#include <fnmatch.h>

#include <algorithm>
#include <cctype>
#include <sstream>

#include "state/encoding.h"

namespace ironward::harden {
namespace {

constexpr int kMaxIncludeDepth = 16;

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

// Splits the arguments of a line: whitespace-separated, "double quotes" group, a word starting
// with '#' starts a comment.
std::vector<std::string> SplitArgs(std::string_view rest) {
  std::vector<std::string> args;
  std::size_t i = 0;
  while (i < rest.size()) {
    while (i < rest.size() && IsSpace(rest[i])) ++i;
    if (i >= rest.size() || rest[i] == '#') break;
    std::string word;
    if (rest[i] == '"') {
      std::size_t end = rest.find('"', i + 1);
      if (end == std::string_view::npos) end = rest.size();
      word = std::string(rest.substr(i + 1, end - i - 1));
      i = end + 1;
    } else {
      while (i < rest.size() && !IsSpace(rest[i])) word += rest[i++];
    }
    args.push_back(std::move(word));
  }
  return args;
}

bool HasGlob(std::string_view s) { return s.find_first_of("*?[") != std::string_view::npos; }

// Relative Include paths are resolved against the main config's directory (sshd: SSHDIR), at
// any nesting level, so `dir` is passed down unchanged.
void IncludeFile(FileReader& files, const std::string& path, const std::string& dir, bool in_match, int depth,
                 SshdConfig* config) {
  FileRead read = files.Read(path, /*follow_symlinks=*/true);
  if (!read.ok()) {
    // A literal Include of a missing file is not an error for sshd either.
    if (read.outcome == FileRead::Outcome::kMissing) return;
    if (read.outcome == FileRead::Outcome::kDenied) config->include_denied = true;
    config->problems.push_back(read.error);
    return;
  }
  ParseSshdText(files, read.content, path, dir, in_match, depth + 1, config);
}

void HandleInclude(FileReader& files, const std::vector<std::string>& args, const std::string& dir, bool in_match,
                   int depth, SshdConfig* config) {
  if (depth >= kMaxIncludeDepth) {
    config->problems.push_back("Include nested deeper than " + std::to_string(kMaxIncludeDepth) + " levels; ignored");
    return;
  }
  for (const std::string& arg : args) {
    if (arg.empty()) continue;
    std::string path = arg.front() == '/' ? arg : dir + "/" + arg;
    if (!HasGlob(path)) {
      IncludeFile(files, path, dir, in_match, depth, config);
      continue;
    }
    auto slash = path.rfind('/');
    std::string parent = path.substr(0, slash);
    std::string pattern = path.substr(slash + 1);
    if (HasGlob(parent)) {
      config->problems.push_back("Include " + arg + ": wildcards in directory names are not supported; ignored");
      continue;
    }
    for (const std::string& name : files.List(parent.empty() ? "/" : parent)) {  // sorted, like glob(3)
      if (::fnmatch(pattern.c_str(), name.c_str(), FNM_PERIOD) == 0) {
        IncludeFile(files, parent + "/" + name, dir, in_match, depth, config);
      }
    }
  }
}

}  // namespace

namespace {

const SshdDirective* Pick(const SshdConfig& config, std::initializer_list<std::string_view> keys, bool last) {
  const SshdDirective* best = nullptr;
  for (auto key : keys) {
    auto it = config.directives.find(key);
    if (it == config.directives.end()) continue;
    for (const auto& d : it->second) {
      if (d.in_match) continue;
      if (best == nullptr || (last ? d.sequence > best->sequence : d.sequence < best->sequence)) best = &d;
    }
  }
  return best;
}

}  // namespace

const SshdDirective* SshdConfig::Last(std::initializer_list<std::string_view> keys) const {
  return Pick(*this, keys, true);
}

const SshdDirective* SshdConfig::First(std::initializer_list<std::string_view> keys) const {
  return Pick(*this, keys, false);
}

std::vector<const SshdDirective*> SshdConfig::InMatch(std::string_view key) const {
  std::vector<const SshdDirective*> out;
  auto it = directives.find(key);
  if (it == directives.end()) return out;
  for (const auto& d : it->second) {
    if (d.in_match) out.push_back(&d);
  }
  return out;
}

void ParseSshdText(FileReader& files, const std::string& text, const std::string& file_name, const std::string& dir,
                   bool in_match, int depth, SshdConfig* config) {
  std::istringstream lines(text);
  std::string raw;
  int line_no = 0;
  while (std::getline(lines, raw)) {
    ++line_no;
    std::string_view line(raw);
    std::size_t b = 0;
    while (b < line.size() && IsSpace(line[b])) ++b;
    line.remove_prefix(b);
    if (line.empty() || line.front() == '#') continue;
    std::size_t k = 0;
    while (k < line.size() && !IsSpace(line[k]) && line[k] != '=') ++k;
    std::string keyword = AsciiLower(line.substr(0, k));
    std::string_view rest = line.substr(k);
    std::size_t r = 0;
    while (r < rest.size() && IsSpace(rest[r])) ++r;
    if (r < rest.size() && rest[r] == '=') ++r;  // "Keyword = value" and "Keyword=value"
    std::vector<std::string> args = SplitArgs(rest.substr(r));
    if (keyword.empty()) continue;
    if (keyword == "match") {
      // `Match all` applies to every connection: treat it as the end of the conditional block.
      in_match = !(args.size() == 1 && AsciiLower(args[0]) == "all");
      continue;
    }
    if (keyword == "include") {
      // The included files inherit the Match context; a Match inside them does not leak out.
      HandleInclude(files, args, dir, in_match, depth, config);
      continue;
    }
    SshdDirective d;
    d.value = args.empty() ? "" : AsciiLower(args[0]);
    d.file = file_name;
    d.line = line_no;
    d.in_match = in_match;
    d.sequence = config->next_sequence++;
    config->directives[keyword].push_back(std::move(d));
  }
}

SshdConfig LoadSshdConfig(FileReader& files, const std::string& path) {
  SshdConfig config;
  FileRead read = files.Read(path, /*follow_symlinks=*/true);
  config.main_outcome = read.outcome;
  config.main_error = read.error;
  if (!read.ok()) return config;
  auto slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "" : path.substr(0, slash));
  ParseSshdText(files, read.content, path, dir, /*in_match=*/false, 0, &config);
  return config;
}

}  // namespace ironward::harden
