// Decoding yaml-cpp nodes with gopkg.in/yaml.v3 semantics: typed fields, "line N: ..." type
// errors collected in document order, optional KnownFields strictness, duplicate-key errors.
#pragma once

#include <yaml-cpp/yaml.h>

#include <functional>
#include <string>
#include <vector>

namespace irondouble {

class YamlDecoder {
 public:
  explicit YamlDecoder(bool known_fields) : known_fields_(known_fields) {}

  // Handler for one struct field; returns false when the key is not a field of the type.
  using FieldFn = std::function<bool(const std::string& key, const YAML::Node& value)>;

  // Decodes a mapping into a struct named go_type (e.g. "config.DNS"). Null leaves it zero.
  void Struct(const YAML::Node& node, const std::string& go_type, const FieldFn& field);
  void String(const YAML::Node& node, std::string* out);
  void Int(const YAML::Node& node, long long* out, const char* go_type);
  void Bool(const YAML::Node& node, bool* out);
  void StringList(const YAML::Node& node, std::vector<std::string>* out);
  // Iterates a sequence (null = empty); calls item for each element.
  void List(const YAML::Node& node, const std::string& go_type,
            const std::function<void(const YAML::Node&)>& item);

  bool ok() const { return errors_.empty(); }
  // "yaml: unmarshal errors:\n  line N: ...\n  line M: ..."
  std::string Message() const;
  void AddError(const YAML::Node& node, const std::string& text);

  static int Line(const YAML::Node& node) { return node.Mark().line + 1; }
  static bool IsNull(const YAML::Node& node);
  // "!!str", "!!int", "!!bool", "!!float", "!!null", "!!seq", "!!map"
  static std::string ShortTag(const YAML::Node& node);

 private:
  void Mismatch(const YAML::Node& node, const std::string& go_type);

  bool known_fields_;
  std::vector<std::string> errors_;
};

}  // namespace irondouble
