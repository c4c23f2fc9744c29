// Internal to the loader: typed, position-aware access to a yaml-cpp tree. Every problem is
// recorded in a Diag (never thrown); readers return nullopt after reporting.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "state/spec/loader.h"

namespace ironward::spec::detail {

/// 1-based position. With several files (overlays) `line` counts across all of them: each
/// file is parsed after as many blank lines as the files before it have, so a node's own
/// yaml-cpp mark says which file set it; Diag turns it back into FILE:LINE:COL.
struct Pos {
  int line = 1;
  int col = 1;
};
Pos PosOf(const YAML::Mark& mark);
/// Where `node` is: its mark; for a mapping or list the merge of overlays built (no mark of its
/// own), where its first entry is; `fallback` for null and empty ones (the caller passes the
/// position of the key that holds it).
Pos PosOfNode(const YAML::Node& node, Pos fallback);

enum class Kind { kNull, kBool, kInt, kFloat, kString, kSequence, kMapping };
/// YAML 1.2 core-schema type of a node (quoted scalars are always strings).
Kind Classify(const YAML::Node& node);
/// The type an unquoted, untagged scalar with this text has (kNull for "", "~", "null").
Kind ClassifyPlain(std::string_view text);
/// "an integer", "a string", "a list", ...
const char* Describe(Kind kind);

/// "" -> "document"; otherwise the path itself ("spec.proxy.tunnelPort").
std::string Label(const std::string& path);
std::string Child(const std::string& path, std::string_view key);
std::string Item(const std::string& path, std::size_t index);

/// Closest candidate by (case-insensitive) edit distance, or "" when nothing is close.
std::string Suggest(std::string_view key, const std::set<std::string>& candidates);

/// One input file: its name in diagnostics and the line (across all files) before its first.
struct SourceSpan {
  std::string file;
  int line_offset = 0;
};

/// Collects diagnostics and remembers where each path was found, so checks that run after
/// parsing (cross-field checks) can still point at the right line.
class Diag {
 public:
  explicit Diag(std::string file) : spans_{{std::move(file), 0}} {}
  /// Several files, in order, each starting after the lines of the ones before.
  explicit Diag(std::vector<SourceSpan> spans) : spans_(std::move(spans)) {}

  void Record(const std::string& path, Pos pos) { positions_.emplace(path, pos); }
  bool Has(const std::string& path) const { return positions_.count(path) != 0; }
  /// Position of `path`, or of its nearest recorded ancestor, or 1:1.
  Pos Find(const std::string& path) const;

  void Error(const std::string& path, const std::string& message);
  void ErrorAt(Pos pos, const std::string& path, const std::string& message);
  void Warn(const std::string& path, const std::string& message);
  void WarnAt(Pos pos, const std::string& path, const std::string& message);

  bool HasErrors() const { return !errors_.empty(); }
  /// Every error as FILE:LINE:COL of the file it is in, in file order, then by position.
  std::vector<Diagnostic> TakeErrors() { return Take(&errors_); }
  std::vector<Diagnostic> TakeWarnings() { return Take(&warnings_); }

  /// The line within its own file of a (cross-file) position.
  int LocalLine(Pos pos) const { return pos.line - SpanOf(pos).line_offset; }
  /// "FILE:LINE:COL" of a position, for messages that name a second place.
  std::string Where(Pos pos) const;

 private:
  struct Entry {
    Pos pos;
    std::string message;
  };
  void Add(std::vector<Entry>* list, Pos pos, const std::string& path, const std::string& message);
  const SourceSpan& SpanOf(Pos pos) const;
  std::vector<Diagnostic> Take(std::vector<Entry>* list) const;

  std::vector<SourceSpan> spans_;
  std::map<std::string, Pos> positions_;
  std::vector<Entry> errors_;
  std::vector<Entry> warnings_;
};

/// A value found at `path` ("spec.proxy.tunnelPort", "spec.providers[0]").
struct Field {
  std::string path;
  YAML::Node node;
  Pos pos;
};

/// A mapping at `path`; unknown keys are reported against KnownKeys()[keys_path].
class Map {
 public:
  Map(Diag& diag, const Field& field, const std::string& keys_path);

  bool valid() const { return valid_; }
  const std::string& path() const { return path_; }
  Pos pos() const { return pos_; }
  std::optional<Field> Get(std::string_view key) const;
  /// Like Get, but a missing key is an error: "PATH: missing required key 'KEY'".
  std::optional<Field> Require(std::string_view key) const;

 private:
  Diag& diag_;
  std::string path_;
  Pos pos_;
  bool valid_ = false;
  std::map<std::string, Field, std::less<>> fields_;
};

/// Reports "PATH: expected WHAT, got KIND 'value'".
void TypeError(Diag& diag, const Field& field, const char* expected);

std::optional<std::string> ReadString(Diag& diag, const Field& field);
/// A non-empty string.
std::optional<std::string> ReadNonEmpty(Diag& diag, const Field& field);
std::optional<std::int64_t> ReadInt(Diag& diag, const Field& field);
std::optional<double> ReadNumber(Diag& diag, const Field& field);
std::optional<bool> ReadBool(Diag& diag, const Field& field);
/// Any scalar (string, number, boolean) as its text; for env values.
std::optional<std::string> ReadScalarText(Diag& diag, const Field& field);
std::optional<std::vector<Field>> ReadSeq(Diag& diag, const Field& field);
std::optional<std::vector<std::string>> ReadStringList(Diag& diag, const Field& field);
/// 1..65535.
std::optional<std::uint16_t> ReadPort(Diag& diag, const Field& field);
/// Go-style duration, at least `min`.
std::optional<std::chrono::seconds> ReadDuration(Diag& diag, const Field& field,
                                                 std::chrono::seconds min);

/// One of `choices` (exact, case-sensitive).
std::optional<std::string> ReadChoice(Diag& diag, const Field& field,
                                      std::initializer_list<const char*> choices);

/// Walks the whole tree once: duplicate keys, non-scalar keys, nesting depth and node budget
/// (aliases can make a small file expand enormously). Returns false if the tree is unusable.
bool CheckStructure(Diag& diag, const YAML::Node& root);

inline constexpr int kMaxDepth = 64;
inline constexpr std::size_t kMaxNodes = 200000;
inline constexpr std::size_t kMaxErrors = 200;

}  // namespace ironward::spec::detail
