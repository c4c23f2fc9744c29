// A directory's every entry with its mode and content digest, to compare a state directory byte
// for byte before and after a command (links ironward_base for Sha256Hex).
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "state/encoding.h"
#include "tests/support/temp_dir.h"

namespace ironward::testing {

/// path -> "mode:sha256" for every entry under dir ("mode" alone for directories).
inline std::map<std::string, std::string> Snapshot(const std::filesystem::path& dir) {
  std::map<std::string, std::string> out;
  if (!std::filesystem::exists(dir)) return out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    const auto rel = std::filesystem::relative(e.path(), dir).string();
    std::string value = std::to_string(ModeOf(e.path()));
    if (e.is_regular_file()) value += ":" + Sha256Hex(ReadFile(e.path()));
    out[rel] = value;
  }
  return out;
}

}  // namespace ironward::testing
