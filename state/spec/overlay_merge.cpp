// MergeOverlays: the first file is the base, each later file is merged onto what the ones
// before it give. Nothing here reads the schema: the rules are the same for every key, so a
// field added to the desired state merges without a change here.
#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "state/spec/overlay.h"

namespace ironward::spec::detail {
namespace {

/// What matters to the merge about a node.
enum class Shape { kNull, kScalar, kList, kMap };

Shape ShapeOf(const YAML::Node& n) {
  if (!n.IsDefined() || n.IsNull()) return Shape::kNull;
  if (n.IsMap()) return Shape::kMap;
  if (n.IsSequence()) return Shape::kList;
  return Shape::kScalar;
}

const char* Describe(Shape s) {
  switch (s) {
    case Shape::kNull: return "null";
    case Shape::kScalar: return "a scalar";
    case Shape::kList: return "a list";
    case Shape::kMap: return "a mapping";
  }
  return "?";
}

/// The key node and value of `key` in mapping `map`.
std::optional<std::pair<YAML::Node, YAML::Node>> Entry(const YAML::Node& map, std::string_view key) {
  for (auto kv = map.begin(); kv != map.end(); ++kv) {
    if (kv->first.IsScalar() && kv->first.Scalar() == key) return std::make_pair(kv->first, kv->second);
  }
  return std::nullopt;
}

/// The value of `key` in mapping `map`, if it has it.
std::optional<YAML::Node> Lookup(const YAML::Node& map, std::string_view key) {
  auto e = Entry(map, key);
  if (!e) return std::nullopt;
  return e->second;
}

/// The `name` of a list item, when it is a mapping with a scalar name.
std::optional<std::string> NameOf(const YAML::Node& item) {
  if (!item.IsMap()) return std::nullopt;
  const auto name = Lookup(item, "name");
  if (!name || !name->IsScalar()) return std::nullopt;
  return name->Scalar();
}

/// Every item has a name: the list merges item by item.
bool IsNamedList(const YAML::Node& list) {
  for (const auto& item : list) {
    if (!NameOf(item)) return false;
  }
  return true;
}

bool IsDeleteMarker(const YAML::Node& n) { return n.IsMap() && Lookup(n, kDeleteKey).has_value(); }

bool IsTrue(const YAML::Node& n) {
  return Classify(n) == Kind::kBool && (n.Scalar() == "true" || n.Scalar() == "True" || n.Scalar() == "TRUE");
}

bool SameScalar(const YAML::Node& a, const YAML::Node& b) {
  return a.Scalar() == b.Scalar() && Classify(a) == Classify(b);
}

class Merger {
 public:
  explicit Merger(Diag& diag) : diag_(diag) {}

  /// The first file: nothing before it, so a `$delete` there is an error.
  YAML::Node Base(const YAML::Node& doc) {
    base_ = true;
    YAML::Node out = Adopt(doc, {1, 1}, "");
    base_ = false;
    return out;
  }

  /// `over` onto `base`. `base_at` and `over_at` are where each is named (its key, or its list
  /// item): where a conflict says the earlier value was set, and the position of a null.
  YAML::Node Merge(const YAML::Node& base, Pos base_at, const YAML::Node& over, Pos over_at, const std::string& path) {
    const Shape b = ShapeOf(base);
    const Shape o = ShapeOf(over);
    if (b == Shape::kNull) return Adopt(over, over_at, path);
    if (b == Shape::kMap && o == Shape::kMap) return MergeMaps(base, over, path);
    if (b == Shape::kList && o == Shape::kList && over.size() > 0 && IsNamedList(base) && IsNamedList(over)) {
      return MergeNamedLists(base, over, path);
    }
    if (b == Shape::kScalar && o == Shape::kScalar) return SameScalar(base, over) ? base : over;
    const bool map_against_other = (b == Shape::kMap) != (o == Shape::kMap);
    if (!map_against_other && o != Shape::kNull) return Adopt(over, over_at, path);  // lists and scalars replace
    std::string hint;
    if (o == Shape::kNull) {
      hint = "; to remove it write `{$delete: true}`";
    } else if (b == Shape::kMap) {
      hint = "; an overlay merges a mapping only with a mapping";
    } else {
      hint = "; an overlay replaces " + std::string(Describe(b)) + " only with a scalar or a list";
    }
    diag_.ErrorAt(PosOfNode(over, over_at), path,
                  std::string(Describe(o)) + " here cannot replace " + Describe(b) + " set at " +
                      diag_.Where(base_at) + hint);
    return base;
  }

 private:
  /// A `$delete` mapping is `{$delete: true}`, plus the `name` in a list item. False (reported)
  /// when it is not.
  bool CheckDeleteMarker(const YAML::Node& n, Pos at, const std::string& path, bool list_item) {
    bool ok = true;
    if (base_) {
      diag_.ErrorAt(PosOfNode(n, at), path,
                    "'$delete' removes what an earlier file sets; the first file (the base) has nothing to remove");
      return false;
    }
    for (auto kv = n.begin(); kv != n.end(); ++kv) {
      const std::string& key = kv->first.Scalar();
      const Pos key_at = PosOfNode(kv->first, at);
      if (key == kDeleteKey) {
        if (!IsTrue(kv->second)) {
          diag_.ErrorAt(PosOfNode(kv->second, key_at), path, "'$delete' takes only `true`");
          ok = false;
        }
      } else if (!(list_item && key == "name")) {
        diag_.ErrorAt(key_at, path,
                      list_item ? "an item with '$delete' has only its `name` besides (got '" + key + "')"
                                : "'$delete' removes the whole value; a mapping with it has no other keys (got '" +
                                      key + "')");
        ok = false;
      }
    }
    return ok;
  }

  void NothingToDelete(const YAML::Node& marker, Pos at, const std::string& path, const std::string& what) {
    diag_.WarnAt(PosOfNode(marker, at), path, "'$delete': " + what + " that an earlier file sets; nothing removed");
  }

  /// A value with nothing under it: taken as it is, except for `$delete` markers inside,
  /// which have nothing to remove (warned) or are misplaced (errors).
  YAML::Node Adopt(const YAML::Node& n, Pos at, const std::string& path) {
    if (n.IsMap()) {
      if (IsDeleteMarker(n)) {  // only here as the item of a list without names, or the document
        diag_.ErrorAt(PosOfNode(n, at), path,
                      "'$delete' goes in the value of a key (`KEY: {$delete: true}`) or in a list item with a "
                      "`name` (`- {name: N, $delete: true}`)");
        return n;
      }
      bool changed = false;
      YAML::Node out(YAML::NodeType::Map);
      for (auto kv = n.begin(); kv != n.end(); ++kv) {
        const std::string child = Child(path, kv->first.Scalar());
        const Pos key_at = PosOfNode(kv->first, at);
        if (IsDeleteMarker(kv->second)) {
          if (CheckDeleteMarker(kv->second, key_at, child, false)) {
            NothingToDelete(kv->second, key_at, child, "no value");
          }
          changed = true;
          continue;
        }
        YAML::Node v = Adopt(kv->second, key_at, child);
        changed = changed || !v.is(kv->second);
        out.force_insert(kv->first, v);
      }
      return changed ? out : n;
    }
    if (n.IsSequence()) {
      bool changed = false;
      YAML::Node out(YAML::NodeType::Sequence);
      std::size_t i = 0;
      for (const auto& item : n) {
        const std::string child = Item(path, i++);
        const auto name = NameOf(item);
        if (name && IsDeleteMarker(item)) {
          if (CheckDeleteMarker(item, at, child, true)) {
            NothingToDelete(item, at, child, "no item named '" + *name + "'");
          }
          changed = true;
          continue;
        }
        YAML::Node v = Adopt(item, at, child);
        changed = changed || !v.is(item);
        out.push_back(v);
      }
      return changed ? out : n;
    }
    return n;
  }

  YAML::Node MergeMaps(const YAML::Node& base, const YAML::Node& over, const std::string& path) {
    const Pos base_at = PosOfNode(base, {1, 1});
    const Pos over_at = PosOfNode(over, {1, 1});
    YAML::Node out(YAML::NodeType::Map);
    for (auto kv = base.begin(); kv != base.end(); ++kv) {
      const std::string& key = kv->first.Scalar();
      const std::string child = Child(path, key);
      const auto in_over = Entry(over, key);
      if (!in_over) {
        out.force_insert(kv->first, kv->second);
        continue;
      }
      const auto& [over_key, over_value] = *in_over;
      const Pos over_key_at = PosOfNode(over_key, over_at);
      if (IsDeleteMarker(over_value)) {
        if (!CheckDeleteMarker(over_value, over_key_at, child, false)) out.force_insert(kv->first, kv->second);
        continue;
      }
      const YAML::Node v = Merge(kv->second, PosOfNode(kv->first, base_at), over_value, over_key_at, child);
      // The key of the file whose value is kept, so that a message about the key (or a null
      // value, which has no position of its own) points at the file that set it.
      out.force_insert(v.is(over_value) ? over_key : kv->first, v);
    }
    for (auto o = over.begin(); o != over.end(); ++o) {
      if (Lookup(base, o->first.Scalar())) continue;
      const std::string child = Child(path, o->first.Scalar());
      const Pos key_at = PosOfNode(o->first, over_at);
      if (IsDeleteMarker(o->second)) {
        if (CheckDeleteMarker(o->second, key_at, child, false)) NothingToDelete(o->second, key_at, child, "no value");
        continue;
      }
      out.force_insert(o->first, Adopt(o->second, key_at, child));
    }
    return out;
  }

  YAML::Node MergeNamedLists(const YAML::Node& base, const YAML::Node& over, const std::string& path) {
    const Pos over_at = PosOfNode(over, {1, 1});
    // Never assigned to: yaml-cpp's Node::operator= rewrites the node a handle points at (here
    // one of the input files' nodes), so entries are emplaced and reset instead.
    std::vector<std::optional<YAML::Node>> items;
    for (const auto& item : base) items.emplace_back(item);
    const auto find = [&items](const std::string& name) {
      return std::find_if(items.begin(), items.end(), [&](const auto& b) { return b && NameOf(*b) == name; });
    };
    std::vector<std::string> seen;  // names in this overlay's list
    std::size_t i = 0;
    for (const auto& item : over) {
      const std::string item_path = Item(path, i++);
      const std::string name = *NameOf(item);
      if (std::find(seen.begin(), seen.end(), name) != seen.end()) {
        diag_.ErrorAt(PosOfNode(item, over_at), item_path,
                      "'" + name + "' is named twice in this list; an overlay merges items by `name`, one item each");
        continue;
      }
      seen.push_back(name);
      const auto it = find(name);
      if (IsDeleteMarker(item)) {
        if (!CheckDeleteMarker(item, over_at, item_path, true)) continue;
        if (it == items.end()) {
          NothingToDelete(item, over_at, item_path, "no item named '" + name + "'");
        } else {
          it->reset();
        }
        continue;
      }
      if (it == items.end()) {
        items.emplace_back(Adopt(item, over_at, item_path));
      } else {
        const YAML::Node merged = Merge(**it, PosOfNode(**it, over_at), item, PosOfNode(item, over_at), item_path);
        it->reset();
        it->emplace(merged);
      }
    }
    YAML::Node out(YAML::NodeType::Sequence);
    for (const auto& item : items) {
      if (item) out.push_back(*item);
    }
    return out;
  }

  Diag& diag_;
  bool base_ = false;
};

}  // namespace

YAML::Node MergeOverlays(Diag& diag, const std::vector<YAML::Node>& documents) {
  Merger merger(diag);
  YAML::Node merged = merger.Base(documents.front());
  for (std::size_t i = 1; i < documents.size(); ++i) {
    if (ShapeOf(documents[i]) == Shape::kNull) continue;  // an empty overlay changes nothing
    // reset, not `=`: assigning would rewrite the node `merged` points at (see MergeNamedLists).
    merged.reset(merger.Merge(merged, {1, 1}, documents[i], {1, 1}, ""));
  }
  return merged;
}

}  // namespace ironward::spec::detail
