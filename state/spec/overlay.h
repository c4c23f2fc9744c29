// Internal to the loader: merging overlays (`-f base.yaml -f hosts/web1.yaml`) and writing the
// merged tree back as YAML. The rules are in docs/desired-state.md#overlays.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "state/spec/yaml_reader.h"

namespace ironward::spec::detail {

/// The key an overlay removes something with: `KEY: {$delete: true}` or, in a list whose items
/// have a `name`, `- {name: N, $delete: true}`.
inline constexpr const char* kDeleteKey = "$delete";

/// Merges `documents` (parsed files, in order; a null one is an empty overlay) into one tree:
/// mappings merge key by key, lists whose items all have a `name` merge item by item by name,
/// anything else an overlay sets replaces what was there. Conflicts (a mapping against a
/// scalar or list, a null over a value) are errors at the overlay naming the other place; the
/// earlier value is kept so the rest of the document is still checked. The inputs are never
/// modified: merged mappings and lists are new nodes holding the files' own nodes, so every
/// value keeps the mark of the file that set it.
YAML::Node MergeOverlays(Diag& diag, const std::vector<YAML::Node>& documents);

/// `root` as block-style YAML that loads back to the same values (strings that would read as
/// another type are quoted, tags kept where the text alone would change the type); nullopt if
/// yaml-cpp cannot write it.
std::optional<std::string> EmitYaml(const YAML::Node& root);

}  // namespace ironward::spec::detail
