// Shell commands for tests: run one with /bin/sh and capture its output, quote a word for it, trim
// an answer. Header-only and free of ironward libraries.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace ironward::testing {

struct CmdResult {
  int code = -1;    ///< exit code; -1 when a signal ended it (or it could not be started)
  std::string out;  ///< stdout (+ stderr when folded in)
};

/// Runs `cmd` with /bin/sh; stderr is folded into the captured stdout unless `with_stderr` is false
/// (then it goes to the test's own stderr).
inline CmdResult Sh(const std::string& cmd, bool with_stderr = true) {
  CmdResult r;
  FILE* p = ::popen((with_stderr ? cmd + " 2>&1" : cmd).c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) r.out.append(buf, n);
  const int st = ::pclose(p);
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

/// Single-quotes `s` for /bin/sh.
inline std::string Quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

/// `s` without trailing newlines, carriage returns and spaces.
inline std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace ironward::testing
