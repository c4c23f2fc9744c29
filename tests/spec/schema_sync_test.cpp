// schemas/ironward.v1.schema.json and the loader must agree: same keys at every object path,
// closed objects, and the same defaults.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>

#include "state/spec/loader.h"
#include "state/spec/provider_catalog.h"
#include "state/spec/units.h"
#include "tests/spec/spec_test_util.h"

namespace ironward::spec {
namespace {

using nlohmann::json;

const std::string kSchemaPath = std::string(IRONWARD_SOURCE_DIR) + "/schemas/ironward.v1.schema.json";

class SchemaSyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ifstream in(kSchemaPath);
    ASSERT_TRUE(in) << "cannot open " << kSchemaPath;
    schema_ = json::parse(in, nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(schema_.is_discarded()) << kSchemaPath << " is not valid JSON";
  }

  /// Follows "$ref": "#/$defs/NAME" (possibly repeatedly).
  const json& Resolve(const json& node) const {
    const json* cur = &node;
    for (int i = 0; i < 10 && cur->contains("$ref"); ++i) {
      const std::string ref = (*cur)["$ref"];
      const std::string prefix = "#/$defs/";
      EXPECT_EQ(ref.rfind(prefix, 0), 0U) << "unsupported $ref " << ref;
      cur = &schema_["$defs"][ref.substr(prefix.size())];
    }
    return *cur;
  }

  /// The object schema at a KnownKeys() path ("spec.providers[].x"), or nullptr.
  const json* At(const std::string& path) const {
    const json* cur = &Resolve(schema_);
    std::size_t start = 0;
    while (!path.empty() && start <= path.size()) {
      const std::size_t dot = path.find('.', start);
      std::string seg = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      bool list = false;
      if (seg.size() > 2 && seg.compare(seg.size() - 2, 2, "[]") == 0) {
        list = true;
        seg.resize(seg.size() - 2);
      }
      if (!cur->contains("properties") || !(*cur)["properties"].contains(seg)) return nullptr;
      cur = &Resolve((*cur)["properties"][seg]);
      if (list) {
        if (!cur->contains("items")) return nullptr;
        cur = &Resolve((*cur)["items"]);
      }
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    return cur;
  }

  /// Every object schema with "properties", by path; walks properties, items and
  /// anyOf/oneOf/allOf branches (not if/then, which only add constraints).
  void Walk(const json& node, const std::string& path,
            const std::function<void(const std::string&, const json&)>& visit) const {
    const json& n = Resolve(node);
    if (!n.is_object()) return;
    if (n.contains("properties")) {
      visit(path, n);
      for (const auto& [key, sub] : n["properties"].items()) {
        Walk(sub, path.empty() ? key : path + "." + key, visit);
      }
    }
    if (n.contains("items")) Walk(n["items"], path + "[]", visit);
    for (const char* k : {"anyOf", "oneOf", "allOf"}) {
      if (n.contains(k)) {
        for (const auto& branch : n[k]) Walk(branch, path, visit);
      }
    }
  }

  json schema_;
};

std::set<std::string> Keys(const json& object_schema) {
  std::set<std::string> out;
  for (const auto& [key, value] : object_schema["properties"].items()) out.insert(key);
  return out;
}

TEST_F(SchemaSyncTest, SchemaIsDraft202012WithId) {
  EXPECT_EQ(schema_.value("$schema", ""), "https://json-schema.org/draft/2020-12/schema");
  EXPECT_FALSE(schema_.value("$id", "").empty());
  EXPECT_FALSE(schema_.value("title", "").empty());
}

TEST_F(SchemaSyncTest, EveryLoaderPathHasTheSameKeysInTheSchema) {
  for (const auto& [path, keys] : KnownKeys()) {
    const json* node = At(path);
    ASSERT_NE(node, nullptr) << "schema has no object at '" << path << "'";
    ASSERT_TRUE(node->contains("properties")) << path;
    EXPECT_EQ(Keys(*node), keys) << "keys differ at '" << path << "'";
  }
}

TEST_F(SchemaSyncTest, EverySchemaObjectIsKnownToTheLoader) {
  std::set<std::string> seen;
  Walk(schema_, "", [&](const std::string& path, const json& node) {
    seen.insert(path);
    auto it = KnownKeys().find(path);
    ASSERT_NE(it, KnownKeys().end()) << "schema object '" << path << "' is unknown to the loader";
    EXPECT_EQ(Keys(node), it->second) << "keys differ at '" << path << "'";
  });
  EXPECT_EQ(seen.size(), KnownKeys().size());
}

TEST_F(SchemaSyncTest, EveryObjectIsClosedAndEveryPropertyDescribed) {
  Walk(schema_, "", [&](const std::string& path, const json& node) {
    EXPECT_EQ(node.value("additionalProperties", json(true)), json(false))
        << "'" << path << "' must set additionalProperties: false";
    for (const auto& [key, sub] : node["properties"].items()) {
      const json& s = Resolve(sub);
      EXPECT_TRUE(sub.contains("description") || s.contains("description"))
          << path << "." << key << " has no description";
    }
  });
}

TEST_F(SchemaSyncTest, SchemaDefaultsMatchLoaderDefaults) {
  const auto r = testing::Load(testing::Doc(
      "  providers:\n    - {name: p, secret: P_KEY, hosts: [p.example]}\n"
      "  sandboxes:\n    - {name: s, image: img}\n"));
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  const json actual = ToJson(*r.state);
  int compared = 0;
  std::function<void(const json&, const json&, const std::string&)> check =
      [&](const json& node, const json& value, const std::string& path) {
        const json& n = Resolve(node);
        if (!n.contains("properties")) return;
        for (const auto& [key, sub] : n["properties"].items()) {
          if (!value.contains(key)) continue;  // optional, unset
          const json& s = Resolve(sub);
          const json* def = sub.contains("default") ? &sub["default"] : s.contains("default") ? &s["default"] : nullptr;
          const json& v = value[key];
          const std::string p = path + "." + key;
          // providers/sandboxes are set by the document above so their items get checked.
          if (def != nullptr && key != "providers" && key != "sandboxes") {
            ++compared;
            if (*def == "default" && key == "upstreamDenyCidrs") {
              EXPECT_EQ(v, json(DefaultUpstreamDenyCidrs())) << p;
            } else if (def->is_string() && v.is_number_integer()) {  // sizes: "2g" vs bytes
              EXPECT_EQ(ParseMemorySize(def->get<std::string>(), nullptr), v.get<std::int64_t>()) << p;
            } else {
              EXPECT_EQ(*def, v) << p;
            }
          }
          if (v.is_object()) check(sub, v, p);
          if (v.is_array() && !v.empty() && v[0].is_object() && s.contains("items")) {
            check(s["items"], v[0], p + "[0]");
          }
        }
      };
  check(schema_, actual, "");
  EXPECT_GE(compared, 25) << "too few defaults compared; is the schema missing defaults?";
}

// The schema makes secret and hosts required only for names outside the catalog: its list of
// catalog names must be the binary's.
TEST_F(SchemaSyncTest, CatalogNamesInTheSchemaAreTheBuiltInCatalog) {
  const json* provider = At("spec.providers[]");
  ASSERT_NE(provider, nullptr);
  EXPECT_EQ((*provider)["required"], json::array({"name"}));
  EXPECT_EQ((*provider)["then"]["required"], json::array({"secret", "hosts"}));
  json names = json::array();
  for (const auto& p : ProviderCatalog()) names.push_back(p.name);
  EXPECT_EQ((*provider)["if"]["properties"]["name"]["not"]["enum"], names);
}

}  // namespace
}  // namespace ironward::spec
