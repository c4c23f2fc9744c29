#include "state/spec/yaml_reader.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "state/encoding.h"
#include "state/spec/units.h"

namespace ironward::spec::detail {
namespace {

constexpr std::string_view kCoreTag = "tag:yaml.org,2002:";

bool Matches(std::string_view s, std::initializer_list<std::string_view> options) {
  return std::find(options.begin(), options.end(), s) != options.end();
}

bool IsCoreInt(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool IsCoreFloat(std::string_view s) {
  if (Matches(s, {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
                  ".nan", ".NaN", ".NAN"})) {
    return true;
  }
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  std::size_t i = 0;
  bool digits = false;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) != 0) {
    ++i;
    digits = true;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) != 0) {
      ++i;
      digits = true;
    }
  }
  if (!digits) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    const std::size_t exp_start = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) != 0) ++i;
    if (i == exp_start) return false;
  }
  return i == s.size();
}

std::string ToLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1);
  std::vector<std::size_t> cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string Shown(const YAML::Node& node) {
  if (!node.IsScalar()) return "";
  const std::string& s = node.Scalar();
  if (s.size() > 40) return " '" + s.substr(0, 37) + "...'";
  return " '" + s + "'";
}

}  // namespace

Pos PosOf(const YAML::Mark& mark) {
  if (mark.is_null()) return {1, 1};
  return {mark.line + 1, mark.column + 1};
}

Pos PosOfNode(const YAML::Node& node, Pos fallback) {
  if (!node.IsDefined() || node.IsNull()) return fallback;
  if (!node.Mark().is_null()) return PosOf(node.Mark());
  if (node.IsMap() && node.size() > 0) return PosOfNode(node.begin()->first, fallback);
  if (node.IsSequence() && node.size() > 0) return PosOfNode(node[0], fallback);
  return fallback;
}

Kind ClassifyPlain(std::string_view s) {
  if (Matches(s, {"", "~", "null", "Null", "NULL"})) return Kind::kNull;
  if (Matches(s, {"true", "True", "TRUE", "false", "False", "FALSE"})) return Kind::kBool;
  if (IsCoreInt(s)) return Kind::kInt;
  if (IsCoreFloat(s)) return Kind::kFloat;
  return Kind::kString;
}

Kind Classify(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null: return Kind::kNull;
    case YAML::NodeType::Sequence: return Kind::kSequence;
    case YAML::NodeType::Map: return Kind::kMapping;
    case YAML::NodeType::Scalar: break;
  }
  const std::string& tag = node.Tag();
  const std::string& s = node.Scalar();
  if (tag == "!") return Kind::kString;  // quoted, or the non-specific tag
  if (tag.compare(0, kCoreTag.size(), kCoreTag) == 0) {
    const std::string_view t = std::string_view(tag).substr(kCoreTag.size());
    if (t == "str") return Kind::kString;
    if (t == "int") return Kind::kInt;
    if (t == "float") return Kind::kFloat;
    if (t == "bool") return Kind::kBool;
    if (t == "null") return Kind::kNull;
  }
  if (Matches(s, {"true", "True", "TRUE", "false", "False", "FALSE"})) return Kind::kBool;
  if (IsCoreInt(s)) return Kind::kInt;
  if (IsCoreFloat(s)) return Kind::kFloat;
  return Kind::kString;
}

const char* Describe(Kind kind) {
  switch (kind) {
    case Kind::kNull: return "null";
    case Kind::kBool: return "a boolean";
    case Kind::kInt: return "an integer";
    case Kind::kFloat: return "a number";
    case Kind::kString: return "a string";
    case Kind::kSequence: return "a list";
    case Kind::kMapping: return "a mapping";
  }
  return "?";
}

std::string Label(const std::string& path) { return path.empty() ? "document" : path; }

std::string Child(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string Item(const std::string& path, std::size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

std::string Suggest(std::string_view key, const std::set<std::string>& candidates) {
  const auto normalise = [](std::string_view s) {
    std::string out;
    for (char c : s) {
      if (c != '_' && c != '-') out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
  };
  const std::string lower = ToLower(key);
  std::string best;
  std::size_t best_distance = std::max<std::size_t>(2, key.size() / 3) + 1;
  for (const auto& c : candidates) {
    if (normalise(c) == normalise(key)) return c;  // tunnel_port, TunnelPort, tunnelport
    const std::size_t d = EditDistance(lower, ToLower(c));
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

Pos Diag::Find(const std::string& path) const {
  std::string p = path;
  while (true) {
    auto it = positions_.find(p);
    if (it != positions_.end()) return it->second;
    if (p.empty()) return {1, 1};
    const std::size_t cut = p.find_last_of(".[");
    p = cut == std::string::npos ? "" : p.substr(0, cut);
  }
}

void Diag::Add(std::vector<Entry>* list, Pos pos, const std::string& path, const std::string& message) {
  if (list->size() > kMaxErrors) return;
  if (list->size() == kMaxErrors) {
    list->push_back({pos, "too many problems; stopping here"});
    return;
  }
  list->push_back({pos, Label(path) + ": " + message});
}

const SourceSpan& Diag::SpanOf(Pos pos) const {
  // The last file starting before the line (spans are in order of their offsets).
  const SourceSpan* span = &spans_.front();
  for (const auto& s : spans_) {
    if (pos.line > s.line_offset) span = &s;
  }
  return *span;
}

std::string Diag::Where(Pos pos) const {
  return SpanOf(pos).file + ":" + std::to_string(LocalLine(pos)) + ":" + std::to_string(pos.col);
}

std::vector<Diagnostic> Diag::Take(std::vector<Entry>* list) const {
  // Cross-file lines sort the files in command-line order, each by position.
  std::stable_sort(list->begin(), list->end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.pos.line, a.pos.col) < std::tie(b.pos.line, b.pos.col);
  });
  std::vector<Diagnostic> out;
  out.reserve(list->size());
  for (auto& e : *list) out.push_back({SpanOf(e.pos).file, LocalLine(e.pos), e.pos.col, std::move(e.message)});
  list->clear();
  return out;
}

void Diag::Error(const std::string& path, const std::string& message) {
  Add(&errors_, Find(path), path, message);
}
void Diag::ErrorAt(Pos pos, const std::string& path, const std::string& message) {
  Add(&errors_, pos, path, message);
}
void Diag::Warn(const std::string& path, const std::string& message) {
  Add(&warnings_, Find(path), path, message);
}
void Diag::WarnAt(Pos pos, const std::string& path, const std::string& message) {
  Add(&warnings_, pos, path, message);
}

Map::Map(Diag& diag, const Field& field, const std::string& keys_path)
    : diag_(diag), path_(field.path), pos_(field.pos) {
  diag_.Record(path_, pos_);
  if (!field.node.IsMap()) {
    TypeError(diag_, field, "a mapping");
    return;
  }
  valid_ = true;
  const auto& known = KnownKeys();
  const auto it = known.find(keys_path);
  const std::set<std::string> empty;
  const std::set<std::string>& allowed = it == known.end() ? empty : it->second;
  for (auto kv = field.node.begin(); kv != field.node.end(); ++kv) {
    if (!kv->first.IsScalar()) continue;  // reported by CheckStructure
    const std::string& key = kv->first.Scalar();
    const Pos key_pos = PosOfNode(kv->first, pos_);
    if (allowed.count(key) == 0) {
      const std::string hint = Suggest(key, allowed);
      diag_.ErrorAt(key_pos, path_,
                    "unknown key '" + key + "'" +
                        (hint.empty() ? " (allowed: " + Join(allowed) + ")"
                                      : "; did you mean '" + hint + "'?"));
      continue;
    }
    if (fields_.count(key) != 0) continue;  // duplicate: reported by CheckStructure
    Field f{Child(path_, key), kv->second, PosOfNode(kv->second, key_pos)};
    diag_.Record(f.path, f.pos);
    fields_.emplace(key, std::move(f));
  }
}

std::optional<Field> Map::Get(std::string_view key) const {
  auto it = fields_.find(key);
  if (it == fields_.end()) return std::nullopt;
  return it->second;
}

std::optional<Field> Map::Require(std::string_view key) const {
  auto f = Get(key);
  if (!f && valid_) diag_.ErrorAt(pos_, path_, "missing required key '" + std::string(key) + "'");
  return f;
}

void TypeError(Diag& diag, const Field& field, const char* expected) {
  diag.ErrorAt(field.pos, field.path,
               std::string("expected ") + expected + ", got " + Describe(Classify(field.node)) +
                   Shown(field.node));
}

namespace {

struct Walker {
  Diag& diag;
  std::size_t nodes = 0;
  bool ok = true;

  void Walk(const YAML::Node& node, const std::string& path, int depth) {
    if (!ok) return;
    if (++nodes > kMaxNodes) {
      diag.ErrorAt(PosOf(node.Mark()), path,
                   "the document expands to more than " + std::to_string(kMaxNodes) +
                       " nodes (too many aliases?)");
      ok = false;
      return;
    }
    if (depth > kMaxDepth) {
      diag.ErrorAt(PosOf(node.Mark()), path,
                   "nesting deeper than " + std::to_string(kMaxDepth) + " levels");
      ok = false;
      return;
    }
    if (node.IsSequence()) {
      std::size_t i = 0;
      for (const auto& item : node) Walk(item, Item(path, i++), depth + 1);
      return;
    }
    if (!node.IsMap()) return;
    std::map<std::string, Pos> seen;
    for (auto kv = node.begin(); kv != node.end(); ++kv) {
      const Pos key_pos = PosOf(kv->first.Mark());
      if (!kv->first.IsScalar()) {
        diag.ErrorAt(key_pos, path,
                     std::string("keys must be plain strings, got ") +
                         Describe(Classify(kv->first)));
        continue;
      }
      const std::string& key = kv->first.Scalar();
      auto [it, inserted] = seen.emplace(key, key_pos);
      if (!inserted) {
        diag.ErrorAt(key_pos, path,
                     "duplicate key '" + key + "' (first defined at line " +
                         std::to_string(diag.LocalLine(it->second)) + ")");
        continue;
      }
      Walk(kv->second, Child(path, key), depth + 1);
    }
  }
};

}  // namespace

bool CheckStructure(Diag& diag, const YAML::Node& root) {
  Walker w{diag};
  w.Walk(root, "", 0);
  return w.ok;
}

}  // namespace ironward::spec::detail
