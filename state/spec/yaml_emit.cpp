// EmitYaml: the merged document of several files as one YAML text (`validate -o yaml`, the
// desired state a saved plan carries). It must load back to exactly the same values: the
// loader types a plain scalar by its text (YAML 1.2 core schema) and a quoted one as a string.
#include <yaml-cpp/yaml.h>

#include "state/spec/overlay.h"

namespace ironward::spec::detail {
namespace {

const char* CoreTagName(Kind kind) {
  switch (kind) {
    case Kind::kBool: return "bool";
    case Kind::kInt: return "int";
    case Kind::kFloat: return "float";
    case Kind::kNull: return "null";
    default: return "str";
  }
}

void EmitScalar(YAML::Emitter& out, const YAML::Node& n) {
  const Kind kind = Classify(n);
  const std::string& text = n.Scalar();
  if (kind == Kind::kString) {
    // "8080", "true", "null", "": strings only when quoted.
    if (ClassifyPlain(text) != Kind::kString) out << YAML::DoubleQuoted;
    out << text;
    return;
  }
  // A typed scalar whose text alone reads as another type (`!!int` on a string-looking text):
  // keep the tag.
  if (ClassifyPlain(text) != kind) out << YAML::SecondaryTag(CoreTagName(kind));
  out << text;
}

void EmitNode(YAML::Emitter& out, const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      out << YAML::Null;
      return;
    case YAML::NodeType::Scalar:
      EmitScalar(out, n);
      return;
    case YAML::NodeType::Sequence:
      out << YAML::BeginSeq;
      for (const auto& item : n) EmitNode(out, item);
      out << YAML::EndSeq;
      return;
    case YAML::NodeType::Map:
      out << YAML::BeginMap;
      for (auto kv = n.begin(); kv != n.end(); ++kv) {
        out << YAML::Key;
        EmitScalar(out, kv->first);
        out << YAML::Value;
        EmitNode(out, kv->second);
      }
      out << YAML::EndMap;
      return;
  }
}

}  // namespace

std::optional<std::string> EmitYaml(const YAML::Node& root) {
  YAML::Emitter out;
  out.SetIndent(2);
  out.SetSeqFormat(YAML::Block);
  out.SetMapFormat(YAML::Block);
  EmitNode(out, root);
  if (!out.good()) return std::nullopt;
  return std::string(out.c_str()) + "\n";
}

}  // namespace ironward::spec::detail
