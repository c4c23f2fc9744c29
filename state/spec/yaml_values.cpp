// Typed readers of yaml_reader.h: scalars, lists, ports, durations, choices.
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "state/spec/units.h"
#include "state/spec/yaml_reader.h"

namespace ironward::spec::detail {

std::optional<std::string> ReadString(Diag& diag, const Field& field) {
  if (Classify(field.node) != Kind::kString) {
    TypeError(diag, field, "a string");
    return std::nullopt;
  }
  return field.node.Scalar();
}

std::optional<std::string> ReadNonEmpty(Diag& diag, const Field& field) {
  auto s = ReadString(diag, field);
  if (s && s->empty()) {
    diag.ErrorAt(field.pos, field.path, "must not be empty");
    return std::nullopt;
  }
  return s;
}

std::optional<std::int64_t> ReadInt(Diag& diag, const Field& field) {
  if (Classify(field.node) != Kind::kInt) {
    TypeError(diag, field, "an integer");
    return std::nullopt;
  }
  std::string_view s = field.node.Scalar();
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) {
    diag.ErrorAt(field.pos, field.path, "integer '" + field.node.Scalar() + "' is out of range");
    return std::nullopt;
  }
  return v;
}

std::optional<double> ReadNumber(Diag& diag, const Field& field) {
  const Kind k = Classify(field.node);
  if (k != Kind::kInt && k != Kind::kFloat) {
    TypeError(diag, field, "a number");
    return std::nullopt;
  }
  const std::string& s = field.node.Scalar();
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(v)) {
    diag.ErrorAt(field.pos, field.path, "'" + s + "' is not a finite number");
    return std::nullopt;
  }
  return v;
}

std::optional<bool> ReadBool(Diag& diag, const Field& field) {
  if (Classify(field.node) != Kind::kBool) {
    TypeError(diag, field, "a boolean (true or false)");
    return std::nullopt;
  }
  const char c = field.node.Scalar().empty() ? 'f' : field.node.Scalar()[0];
  return c == 't' || c == 'T';
}

std::optional<std::string> ReadScalarText(Diag& diag, const Field& field) {
  const Kind k = Classify(field.node);
  if (k == Kind::kNull || k == Kind::kSequence || k == Kind::kMapping) {
    TypeError(diag, field, "a string");
    return std::nullopt;
  }
  return field.node.Scalar();
}

std::optional<std::vector<Field>> ReadSeq(Diag& diag, const Field& field) {
  if (!field.node.IsSequence()) {
    TypeError(diag, field, "a list");
    return std::nullopt;
  }
  std::vector<Field> out;
  std::size_t i = 0;
  for (const auto& item : field.node) {
    Field f{Item(field.path, i++), item, PosOfNode(item, field.pos)};
    diag.Record(f.path, f.pos);
    out.push_back(std::move(f));
  }
  return out;
}

std::optional<std::vector<std::string>> ReadStringList(Diag& diag, const Field& field) {
  auto items = ReadSeq(diag, field);
  if (!items) return std::nullopt;
  std::vector<std::string> out;
  bool ok = true;
  for (const auto& item : *items) {
    auto s = ReadString(diag, item);
    if (s) {
      out.push_back(*s);
    } else {
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::uint16_t> ReadPort(Diag& diag, const Field& field) {
  auto v = ReadInt(diag, field);
  if (!v) return std::nullopt;
  if (*v < 1 || *v > 65535) {
    diag.ErrorAt(field.pos, field.path,
                 "port must be between 1 and 65535, got " + std::to_string(*v));
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(*v);
}

std::optional<std::chrono::seconds> ReadDuration(Diag& diag, const Field& field,
                                                 std::chrono::seconds min) {
  if (Classify(field.node) != Kind::kString) {
    TypeError(diag, field, "a duration like 30s, 10m, 1h30m or 7d");
    return std::nullopt;
  }
  std::string why;
  auto d = ParseDuration(field.node.Scalar(), &why);
  if (!d) {
    diag.ErrorAt(field.pos, field.path, why);
    return std::nullopt;
  }
  if (*d < min) {
    diag.ErrorAt(field.pos, field.path,
                 "must be at least " + FormatDuration(min) + ", got '" + field.node.Scalar() + "'");
    return std::nullopt;
  }
  return d;
}

std::optional<std::string> ReadChoice(Diag& diag, const Field& field,
                                      std::initializer_list<const char*> choices) {
  std::set<std::string> allowed(choices.begin(), choices.end());
  std::string list;
  for (const char* c : choices) list += (list.empty() ? "" : ", ") + std::string(c);
  const Kind k = Classify(field.node);
  if (k == Kind::kSequence || k == Kind::kMapping || k == Kind::kNull) {
    TypeError(diag, field, ("one of " + list).c_str());
    return std::nullopt;
  }
  const std::string& v = field.node.Scalar();
  if (allowed.count(v) == 0) {
    const std::string hint = Suggest(v, allowed);
    diag.ErrorAt(field.pos, field.path,
                 "unknown value '" + v + "' (expected one of: " + list + ")" +
                     (hint.empty() ? "" : "; did you mean '" + hint + "'?"));
    return std::nullopt;
  }
  return v;
}

}  // namespace ironward::spec::detail
