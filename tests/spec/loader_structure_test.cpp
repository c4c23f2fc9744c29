// Document-level errors: YAML syntax, duplicate/unknown keys, types, required keys, limits.
#include <random>

#include "tests/spec/spec_test_util.h"

namespace ironward::spec {
namespace {

using testing::Doc;
using testing::HasError;
using testing::Load;
using testing::OnlyError;

TEST(LoaderStructureTest, BaseDocumentIsValid) {
  const auto r = Load(Doc());
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  EXPECT_TRUE(r.errors.empty());
}

TEST(LoaderStructureTest, SyntaxErrorHasPositionFromParser) {
  const auto r = Load("apiVersion: ironward.dev/v1\n\tkind: EgressGateway\n");
  EXPECT_TRUE(OnlyError(r, 2, 1, "YAML syntax error: illegal tab when looking for indentation"));
}

TEST(LoaderStructureTest, StrayFlowEntryDoesNotHangTheParser) {
  // yaml-cpp 0.7 loops forever on these when asked for all documents.
  EXPECT_TRUE(OnlyError(Load(","), 1, 1, "YAML syntax error: unexpected ','"));
  EXPECT_TRUE(OnlyError(Load("!x ,"), 1, 4, "YAML syntax error: unexpected ','"));
  EXPECT_TRUE(OnlyError(Load("kind: x\n,"), 2, 1, "YAML syntax error"));
}

TEST(LoaderStructureTest, UnclosedFlowSequenceIsSyntaxError) {
  const auto r = Load("apiVersion: ironward.dev/v1\nkind: [a, b\nmetadata: {}\n");
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.errors.size(), 1U) << testing::Dump(r);
  EXPECT_NE(r.errors[0].message.find("YAML syntax error"), std::string::npos);
  EXPECT_GE(r.errors[0].line, 2);
}

TEST(LoaderStructureTest, DuplicateKeyIsRejected) {
  const auto r = Load(Doc("    tunnelPort: 9090\n    tunnelPort: 9091\n"));
  EXPECT_TRUE(OnlyError(r, 10, 5, "spec.proxy: duplicate key 'tunnelPort' (first defined at line 9)"));
}

TEST(LoaderStructureTest, DuplicateKeyInFreeFormEnvIsRejected) {
  const auto r = Load(Doc(
      "  sandboxes:\n"
      "    - name: a\n"
      "      image: img\n"
      "      env:\n"
      "        TASK: one\n"
      "        TASK: two\n"));
  EXPECT_TRUE(OnlyError(r, 14, 9, "spec.sandboxes[0].env: duplicate key 'TASK'"));
}

TEST(LoaderStructureTest, DuplicateTopLevelKeyIsRejected) {
  const auto r = Load("kind: EgressGateway\n" + Doc());
  EXPECT_TRUE(OnlyError(r, 3, 1, "document: duplicate key 'kind' (first defined at line 1)"));
}

TEST(LoaderStructureTest, UnknownKeySuggestsClosestKnownKey) {
  const auto r = Load(Doc("    tunelPort: 9090\n"));
  EXPECT_TRUE(OnlyError(r, 9, 5, "spec.proxy: unknown key 'tunelPort'; did you mean 'tunnelPort'?"));
}

TEST(LoaderStructureTest, UnknownSnakeCaseKeySuggestsCamelCase) {
  const auto r = Load(Doc("    log_level: info\n"));
  EXPECT_TRUE(OnlyError(r, 9, 5, "did you mean 'logLevel'?"));
}

TEST(LoaderStructureTest, UnknownKeyWithoutCloseMatchListsAllowedKeys) {
  const auto r = Load(Doc("  tokens:\n    zzzzzzzz: 1\n"));
  EXPECT_TRUE(OnlyError(r, 10, 5, "spec.tokens: unknown key 'zzzzzzzz' (allowed: rotation)"));
}

TEST(LoaderStructureTest, UnknownKeyInListItemUsesItemPath) {
  const auto r = Load(Doc(
      "  providers:\n"
      "    - name: a\n"
      "      secret: A_KEY\n"
      "      hosts: [a.example]\n"
      "      header: [X-Key]\n"));
  EXPECT_TRUE(OnlyError(r, 13, 7, "spec.providers[0]: unknown key 'header'; did you mean 'headers'?"));
}

TEST(LoaderStructureTest, WrongScalarTypeNamesExpectedAndActual) {
  const auto r = Load(Doc("    tunnelPort: abc\n"));
  EXPECT_TRUE(OnlyError(r, 9, 17, "spec.proxy.tunnelPort: expected an integer, got a string"));
}

TEST(LoaderStructureTest, QuotedNumberIsAString) {
  const auto r = Load(Doc("    tunnelPort: \"9090\"\n"));
  EXPECT_TRUE(OnlyError(r, 9, 17, "expected an integer, got a string '9090'"));
}

TEST(LoaderStructureTest, ListWhereMappingExpected) {
  const auto r = Load(Doc("  ca: [a]\n"));
  EXPECT_TRUE(OnlyError(r, 9, 7, "spec.ca: expected a mapping, got a list"));
}

TEST(LoaderStructureTest, NullValuePointsAtKey) {
  const auto r = Load(Doc("  reconcile:\n    prune:\n"));
  EXPECT_TRUE(OnlyError(r, 10, 5, "spec.reconcile.prune: expected a boolean (true or false), got null"));
}

TEST(LoaderStructureTest, BooleanMustBeTrueOrFalse) {
  const auto r = Load(Doc("  reconcile:\n    prune: yes\n"));
  EXPECT_TRUE(OnlyError(r, 10, 12, "expected a boolean (true or false), got a string 'yes'"));
}

TEST(LoaderStructureTest, RootMustBeMapping) {
  const auto r = Load("- a\n- b\n");
  EXPECT_TRUE(OnlyError(r, 1, 1, "document: expected a mapping, got a list"));
}

TEST(LoaderStructureTest, EmptyFileIsAnError) {
  EXPECT_TRUE(OnlyError(Load(""), 1, 1, "no YAML document"));
  EXPECT_TRUE(OnlyError(Load("# only a comment\n"), 1, 1, "no YAML document"));
}

TEST(LoaderStructureTest, MoreThanOneDocumentIsAnError) {
  const auto r = Load(Doc() + "---\nkind: EgressGateway\n");
  EXPECT_TRUE(OnlyError(r, 9, 1, "expected exactly one YAML document; a second one starts here"));
}

TEST(LoaderStructureTest, MissingRequiredKeysPointAtParent) {
  const auto r = Load("apiVersion: ironward.dev/v1\nkind: EgressGateway\nmetadata:\n  x: 1\n");
  EXPECT_TRUE(HasError(r, 1, 1, "document: missing required key 'spec'"));
  EXPECT_TRUE(HasError(r, 4, 3, "metadata: missing required key 'name'"));
  EXPECT_TRUE(HasError(r, 4, 3, "metadata: unknown key 'x'"));
  EXPECT_EQ(r.errors.size(), 3U) << testing::Dump(r);
}

TEST(LoaderStructureTest, MissingSha256IsAnError) {
  const auto r = Load(
      "apiVersion: ironward.dev/v1\nkind: EgressGateway\nmetadata:\n  name: t\nspec:\n"
      "  proxy:\n    source:\n      url: https://example.com/x.tar.gz\n");
  EXPECT_TRUE(OnlyError(r, 8, 7, "spec.proxy.source: missing required key 'sha256'"));
}

TEST(LoaderStructureTest, WrongApiVersionAndKind) {
  std::string text = Doc();
  text.replace(text.find("ironward.dev/v1"), 15, "ironward.dev/v2");
  text.replace(text.find("EgressGateway"), 13, "Gateway");
  const auto r = Load(text);
  EXPECT_TRUE(HasError(r, 1, 13, "apiVersion: unsupported apiVersion 'ironward.dev/v2'"));
  EXPECT_TRUE(HasError(r, 2, 7, "kind: unsupported kind 'Gateway' (expected 'EgressGateway')"));
  EXPECT_EQ(r.errors.size(), 2U);
}

TEST(LoaderStructureTest, MetadataNameMustBeDnsLabel) {
  std::string text = Doc();
  text.replace(text.find("name: test"), 10, "name: Prod_1");
  EXPECT_TRUE(OnlyError(Load(text), 4, 9, "metadata.name: 'Prod_1' is not a valid name"));
}

TEST(LoaderStructureTest, NonScalarKeyIsRejected) {
  const auto r = Load(Doc("  ? [a, b]\n  : 1\n"));
  EXPECT_TRUE(HasError(r, 9, 5, "keys must be plain strings, got a list"));
}

TEST(LoaderStructureTest, AllErrorsAreReportedAtOnceInOrder) {
  const auto r = Load(Doc(
      "    tunnelPort: 0\n"         // 9
      "    logLevel: loud\n"        // 10
      "  ca:\n"                     // 11
      "    validity: forever\n"     // 12
      "  providers:\n"              // 13
      "    - name: Bad Name\n"      // 14
      "      secret: 1KEY\n"        // 15
      "      hosts: [API.x.com]\n"  // 16
      "  reconcile:\n"              // 17
      "    intervall: 10m\n"));     // 18
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(HasError(r, 9, 17, "port must be between 1 and 65535, got 0"));
  EXPECT_TRUE(HasError(r, 10, 15, "unknown value 'loud'"));
  EXPECT_TRUE(HasError(r, 12, 15, "invalid duration 'forever'"));
  EXPECT_TRUE(HasError(r, 14, 13, "not a valid provider name"));
  EXPECT_TRUE(HasError(r, 15, 15, "not a valid environment variable name"));
  EXPECT_TRUE(HasError(r, 16, 15, "uppercase"));
  EXPECT_TRUE(HasError(r, 18, 5, "did you mean 'interval'?"));
  EXPECT_EQ(r.errors.size(), 7U) << testing::Dump(r);
  for (std::size_t i = 1; i < r.errors.size(); ++i) {
    EXPECT_LE(r.errors[i - 1].line, r.errors[i].line);
  }
}

TEST(LoaderStructureTest, DeepNestingIsRejectedWithoutCrashing) {
  // Within yaml-cpp's own limit, but beyond ours.
  std::string deep = std::string(100, '[') + std::string(100, ']');
  auto r = Load(Doc("  allowlist: " + deep + "\n"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(testing::Dump(r).find("nesting deeper than 64 levels"), std::string::npos)
      << testing::Dump(r);
  // Far beyond yaml-cpp's limit.
  r = Load(std::string(200000, '['));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.errors[0].message.find("nesting is too deep"), std::string::npos);
  std::string blocks;
  for (int i = 0; i < 3000; ++i) blocks += std::string(static_cast<std::size_t>(i), ' ') + "a:\n";
  EXPECT_FALSE(Load(blocks).ok());
}

TEST(LoaderStructureTest, AliasExpansionIsBounded) {
  std::string text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 9; ++i) {
    const std::string prev = "*a" + std::to_string(i - 1);
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) text += (j ? ", " : "") + prev;
    text += "]\n";
  }
  const auto r = Load(text);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(testing::Dump(r).find("more than 200000 nodes"), std::string::npos) << testing::Dump(r);
}

TEST(LoaderStructureTest, HugeInputIsRejected) {
  const auto r = Load(Doc("# " + std::string(2 * 1024 * 1024, 'x') + "\n"));
  EXPECT_TRUE(OnlyError(r, 1, 1, "the file exceeds the size limit of 1048576 bytes"));
}

TEST(LoaderStructureTest, GarbageNeverThrows) {
  std::mt19937 rng(12345);
  const std::string alphabet = "ab:-[]{}&*!|>'\"#%@`,?\n\t \\0x";
  for (int i = 0; i < 2000; ++i) {
    std::string text;
    const std::size_t len = rng() % 80;
    for (std::size_t j = 0; j < len; ++j) text += alphabet[rng() % alphabet.size()];
    LoadResult r;
    EXPECT_NO_THROW(r = Load(text)) << text;
    EXPECT_FALSE(r.ok()) << text;
    for (const auto& e : r.errors) {
      EXPECT_EQ(e.file, testing::kFile);
      EXPECT_FALSE(e.message.empty());
    }
  }
}

TEST(LoaderStructureTest, DiagnosticToStringFormat) {
  EXPECT_EQ((Diagnostic{"f.yaml", 3, 7, "boom"}).ToString(), "f.yaml:3:7: boom");
  EXPECT_EQ((Diagnostic{"f.yaml", 0, 0, "cannot read"}).ToString(), "f.yaml: cannot read");
}

}  // namespace
}  // namespace ironward::spec
