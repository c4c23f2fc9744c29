// Desired-state loader: YAML (yaml-cpp) -> spec::DesiredState, with every error reported as
// FILE:LINE:COL: message, all at once, never a crash.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "state/spec/spec.h"

namespace ironward::spec {

struct Diagnostic {
  std::string file;
  int line = 0;    ///< 1-based; 0 = whole file
  int column = 0;  ///< 1-based
  std::string message;

  /// "FILE:LINE:COL: message"
  std::string ToString() const;
};

struct LoadResult {
  std::optional<DesiredState> state;  ///< set only when errors is empty
  std::vector<Diagnostic> errors;
  std::vector<Diagnostic> warnings;
  bool ok() const { return state.has_value(); }
};

LoadResult LoadFile(const std::string& path);
/// `name` is what diagnostics print as FILE.
LoadResult LoadString(const std::string& text, const std::string& name);

/// One input of LoadSources: what diagnostics call it (its path, "<stdin>") and its text.
struct Source {
  std::string name;
  std::string text;
};
/// Several files merged in order: the first is the base, each later one an overlay on what the
/// ones before it give (docs/desired-state.md#overlays). Every diagnostic names the file that
/// set the value. `raw_text` of the result is the merged document as YAML (LoadString of it
/// gives the same state and digest). One source is exactly LoadString.
LoadResult LoadSources(const std::vector<Source>& sources);
/// Reads each path (all of them, reporting every unreadable one), then LoadSources; sets
/// source_path (the first) and source_paths.
LoadResult LoadFiles(const std::vector<std::string>& paths);
/// The text of a desired-state file (at most one byte over the size limit, which the loader
/// reports), or nullopt after adding "PATH: cannot read file: ..." to `errors`.
std::optional<std::string> ReadSourceFile(const std::string& path, std::vector<Diagnostic>* errors);

/// Canonical JSON of the defaulted spec (sorted keys, resolved defaults): the digest input.
nlohmann::json ToJson(const DesiredState& state);
/// The optional fields of a sandbox that are set (ports, user, capAdd, restart, oneshot, healthcheck,
/// noProxy, requireDigest) in YAML names; {} when none is. Part of the canonical JSON and of the
/// sandbox's container digest only when set, so existing sandboxes keep their digests.
nlohmann::json SandboxOptionsJson(const Sandbox& sandbox);
/// sha256 hex of metadata.name + canonical spec JSON.
std::string ComputeDigest(const DesiredState& state);

/// For the schema-sync test: JSON-pointer-like object path ("", "spec", "spec.proxy",
/// "spec.providers[]", ...) -> the keys the loader accepts there.
const std::map<std::string, std::set<std::string>>& KnownKeys();

}  // namespace ironward::spec
