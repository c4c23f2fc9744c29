// Helpers for the desired-state tests: a known-good base document and diagnostics matchers.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "state/spec/loader.h"

namespace ironward::spec::testing {

inline constexpr const char* kFile = "test.yaml";
inline constexpr const char* kSha =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// Lines 1-8 of every document built with Doc(); `tail` starts at line 9 and is indented
/// as a child of `spec:` (two spaces) or of `proxy:` (four spaces).
inline std::string Doc(const std::string& tail = "") {
  return std::string(
             "apiVersion: ironward.dev/v1\n"  // 1
             "kind: EgressGateway\n"          // 2
             "metadata:\n"                    // 3
             "  name: test\n"                 // 4
             "spec:\n"                        // 5
             "  proxy:\n"                     // 6
             "    source:\n"                  // 7
             "      sha256: \"") +
         kSha + "\"\n" + tail;  // 8
}

inline LoadResult Load(const std::string& text) { return LoadString(text, kFile); }

inline std::string Dump(const LoadResult& r) {
  std::string out;
  for (const auto& e : r.errors) out += "  error: " + e.ToString() + "\n";
  for (const auto& w : r.warnings) out += "  warning: " + w.ToString() + "\n";
  return out.empty() ? "  (no diagnostics)\n" : out;
}

/// An error printed exactly as "test.yaml:LINE:COL: ..." whose message contains `fragment`.
inline ::testing::AssertionResult HasError(const LoadResult& r, int line, int col,
                                           const std::string& fragment) {
  const std::string prefix =
      std::string(kFile) + ":" + std::to_string(line) + ":" + std::to_string(col) + ": ";
  for (const auto& e : r.errors) {
    const std::string s = e.ToString();
    if (s.rfind(prefix, 0) == 0 && s.find(fragment) != std::string::npos) {
      return ::testing::AssertionSuccess();
    }
  }
  return ::testing::AssertionFailure()
         << "no error at " << line << ":" << col << " containing \"" << fragment << "\"; got:\n"
         << Dump(r);
}

inline ::testing::AssertionResult HasWarning(const LoadResult& r, int line, int col,
                                             const std::string& fragment) {
  for (const auto& w : r.warnings) {
    if (w.line == line && w.column == col && w.message.find(fragment) != std::string::npos) {
      return ::testing::AssertionSuccess();
    }
  }
  return ::testing::AssertionFailure()
         << "no warning at " << line << ":" << col << " containing \"" << fragment
         << "\"; got:\n"
         << Dump(r);
}

/// Exactly one error, and it matches.
inline ::testing::AssertionResult OnlyError(const LoadResult& r, int line, int col,
                                            const std::string& fragment) {
  if (r.errors.size() != 1 || r.ok()) {
    return ::testing::AssertionFailure() << "expected exactly one error, got:\n" << Dump(r);
  }
  return HasError(r, line, col, fragment);
}

}  // namespace ironward::spec::testing
