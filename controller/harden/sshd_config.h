// A small sshd_config reader for the survey: keywords (case-insensitive), comments, `Include`
// (globs in the last path component, relative paths resolved against the config's directory)
// and `Match` blocks (recorded separately, never mixed into the global values).
//
// Precedence: the issue asks for "last directive wins", so Last() is what the signals judge.
// Note that sshd itself keeps the FIRST value it obtains for most keywords; First() is exposed
// so a signal can point out when the two disagree (check the truth with `sshd -T`).
#pragma once

#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "controller/harden/file_reader.h"

namespace ironward::harden {

struct SshdDirective {
  std::string value;  ///< first argument, lower-cased ("no", "prohibit-password")
  std::string file;
  int line = 0;
  bool in_match = false;  ///< inside a `Match` block (other than `Match all`)
  int sequence = 0;       ///< position among all directives, in reading order

  std::string Where() const { return file + ":" + std::to_string(line); }
};

struct SshdConfig {
  FileRead::Outcome main_outcome = FileRead::Outcome::kError;  ///< reading the main file
  std::string main_error;
  std::vector<std::string> problems;  ///< included files that could not be read, depth limit, ...
  bool include_denied = false;        ///< some include was unreadable for lack of permission
  int next_sequence = 0;

  /// Every occurrence by lower-cased keyword, in the order sshd would read them.
  std::map<std::string, std::vector<SshdDirective>, std::less<>> directives;

  /// Last / first occurrence outside Match blocks; nullptr when none. `keys` are aliases
  /// (e.g. kbdinteractiveauthentication + challengeresponseauthentication).
  const SshdDirective* Last(std::initializer_list<std::string_view> keys) const;
  const SshdDirective* First(std::initializer_list<std::string_view> keys) const;
  /// Occurrences inside Match blocks.
  std::vector<const SshdDirective*> InMatch(std::string_view key) const;
};

/// Reads `path` (following a symlink to a regular file is allowed: /etc is root's) and its Includes.
SshdConfig LoadSshdConfig(FileReader& files, const std::string& path);

/// Parses one file's text into `config` (exposed for tests); `dir` resolves relative Includes.
void ParseSshdText(FileReader& files, const std::string& text, const std::string& file_name, const std::string& dir,
                   bool in_match, int depth, SshdConfig* config);

}  // namespace ironward::harden
