#include "yaml_decode.h"

#include <cerrno>
#include <cstdlib>
#include <map>
#include <regex>
#include <set>

namespace irondouble {
namespace {

bool IsPlain(const YAML::Node& node) { return node.Tag() == "?" || node.Tag().empty(); }

bool ResolvesBool(const std::string& v, bool* out) {
  static const std::set<std::string> kTrue = {"true", "True", "TRUE"};
  static const std::set<std::string> kFalse = {"false", "False", "FALSE"};
  if (kTrue.count(v)) { *out = true; return true; }
  if (kFalse.count(v)) { *out = false; return true; }
  return false;
}

bool ResolvesInt(const std::string& v, long long* out) {
  static const std::regex kInt(R"([-+]?(0|[1-9][0-9_]*|0x[0-9a-fA-F_]+|0o[0-7_]+|0b[01_]+))");
  if (!std::regex_match(v, kInt)) return false;
  std::string s;
  for (char c : v) if (c != '_') s += c;
  int base = 10;
  std::size_t start = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  std::string digits = s.substr(start);
  if (digits.rfind("0x", 0) == 0) { base = 16; digits = digits.substr(2); }
  else if (digits.rfind("0o", 0) == 0) { base = 8; digits = digits.substr(2); }
  else if (digits.rfind("0b", 0) == 0) { base = 2; digits = digits.substr(2); }
  errno = 0;
  long long n = std::strtoll(digits.c_str(), nullptr, base);
  if (errno != 0) return false;
  *out = (s[0] == '-') ? -n : n;
  return true;
}

bool ResolvesFloat(const std::string& v) {
  static const std::regex kFloat(R"([-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))");
  return std::regex_match(v, kFloat);
}

}  // namespace

bool YamlDecoder::IsNull(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return true;
  if (!node.IsScalar() || !IsPlain(node)) return false;
  const std::string& v = node.Scalar();
  return v.empty() || v == "~" || v == "null" || v == "Null" || v == "NULL";
}

std::string YamlDecoder::ShortTag(const YAML::Node& node) {
  if (IsNull(node)) return "!!null";
  if (node.IsSequence()) return "!!seq";
  if (node.IsMap()) return "!!map";
  if (!IsPlain(node)) {
    const std::string& tag = node.Tag();
    if (tag.rfind("tag:yaml.org,2002:", 0) == 0) return "!!" + tag.substr(18);
    return "!!str";
  }
  const std::string& v = node.Scalar();
  bool b = false;
  long long i = 0;
  if (ResolvesBool(v, &b)) return "!!bool";
  if (ResolvesInt(v, &i)) return "!!int";
  if (ResolvesFloat(v)) return "!!float";
  return "!!str";
}

void YamlDecoder::AddError(const YAML::Node& node, const std::string& text) {
  errors_.push_back("line " + std::to_string(Line(node)) + ": " + text);
}

void YamlDecoder::Mismatch(const YAML::Node& node, const std::string& go_type) {
  std::string tag = ShortTag(node);
  if (node.IsScalar()) {
    std::string v = node.Scalar();
    if (v.size() > 10) v = v.substr(0, 7) + "...";  // yaml.v3 shortens long values
    AddError(node, "cannot unmarshal " + tag + " `" + v + "` into " + go_type);
  } else {
    AddError(node, "cannot unmarshal " + tag + " into " + go_type);
  }
}

void YamlDecoder::Struct(const YAML::Node& node, const std::string& go_type, const FieldFn& field) {
  if (IsNull(node)) return;
  if (!node.IsMap()) {
    Mismatch(node, go_type);
    return;
  }
  std::map<std::string, int> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    // A copy, not a reference: yaml-cpp's iterator returns its pair through a temporary proxy.
    const YAML::Node key = it->first;
    std::string name = key.IsScalar() ? key.Scalar() : "";
    if (seen.count(name)) {
      AddError(key, "field " + name + " already set in type " + go_type);
      continue;
    }
    seen[name] = Line(key);
    if (!field(name, it->second) && known_fields_) {
      AddError(key, "field " + name + " not found in type " + go_type);
    }
  }
}

void YamlDecoder::String(const YAML::Node& node, std::string* out) {
  if (IsNull(node)) return;
  if (!node.IsScalar()) {
    Mismatch(node, "string");
    return;
  }
  *out = node.Scalar();
}

void YamlDecoder::Int(const YAML::Node& node, long long* out, const char* go_type) {
  if (IsNull(node)) return;
  long long v = 0;
  if (!node.IsScalar() || (IsPlain(node) ? !ResolvesInt(node.Scalar(), &v) : true)) {
    Mismatch(node, go_type);
    return;
  }
  *out = v;
}

void YamlDecoder::Bool(const YAML::Node& node, bool* out) {
  if (IsNull(node)) return;
  bool v = false;
  if (node.IsScalar() && IsPlain(node)) {
    const std::string& s = node.Scalar();
    if (ResolvesBool(s, &v)) { *out = v; return; }
    // yaml.v3 still accepts YAML 1.1 booleans when the target is a bool.
    static const std::set<std::string> kYes = {"yes", "Yes", "YES", "on", "On", "ON", "y", "Y"};
    static const std::set<std::string> kNo = {"no", "No", "NO", "off", "Off", "OFF", "n", "N"};
    if (kYes.count(s)) { *out = true; return; }
    if (kNo.count(s)) { *out = false; return; }
  }
  Mismatch(node, "bool");
}

void YamlDecoder::StringList(const YAML::Node& node, std::vector<std::string>* out) {
  if (IsNull(node)) return;
  if (!node.IsSequence()) {
    Mismatch(node, "[]string");
    return;
  }
  out->clear();
  for (const auto& item : node) {
    std::string s;
    String(item, &s);
    out->push_back(s);
  }
}

void YamlDecoder::List(const YAML::Node& node, const std::string& go_type,
                       const std::function<void(const YAML::Node&)>& item) {
  if (IsNull(node)) return;
  if (!node.IsSequence()) {
    Mismatch(node, go_type);
    return;
  }
  for (const auto& element : node) item(element);
}

std::string YamlDecoder::Message() const {
  std::string out = "yaml: unmarshal errors:";
  for (const auto& e : errors_) out += "\n  " + e;
  return out;
}

}  // namespace irondouble
