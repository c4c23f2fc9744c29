// Overlays (`-f base.yaml -f host.yaml`): the merge rules and where diagnostics point.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/spec/spec_test_util.h"

namespace ironward::spec {
namespace {

using ::testing::ElementsAre;

/// The base of every test; line numbers are what the tests' positions refer to.
const std::string kBase = std::string(
                              "apiVersion: ironward.dev/v1\n"  // 1
                              "kind: EgressGateway\n"          // 2
                              "metadata:\n"                    // 3
                              "  name: fleet\n"                // 4
                              "spec:\n"                        // 5
                              "  proxy:\n"                     // 6
                              "    tunnelPort: 9090\n"         // 7
                              "    source:\n"                  // 8
                              "      sha256: \"") +
                          testing::kSha +
                          "\"\n"                                     // 9
                          "  providers:\n"                           // 10
                          "    - name: openrouter\n"                 // 11
                          "      hosts: [\"openrouter.ai\"]\n"       // 12
                          "    - name: openai\n"                     // 13
                          "  allowlist: [\"api.github.com\", \"pypi.org\"]\n"  // 14
                          "  credentials:\n"                         // 15
                          "    source: env\n"                        // 16
                          "    envFile: /etc/ironward/secrets.env\n"  // 17
                          "  sandboxes:\n"                           // 18
                          "    - name: agent-1\n"                    // 19
                          "      image: local/agent:1\n"             // 20
                          "      command: [\"sleep\", \"infinity\"]\n"  // 21
                          "      env: {TASK: demo, LEVEL: \"1\"}\n"  // 22
                          "    - name: agent-2\n"                    // 23
                          "      image: local/agent:1\n";            // 24

LoadResult Merge(const std::vector<std::string>& overlays) {
  std::vector<Source> sources = {{"base.yaml", kBase}};
  for (std::size_t i = 0; i < overlays.size(); ++i) {
    sources.push_back({i == 0 ? "host.yaml" : "host" + std::to_string(i + 1) + ".yaml", overlays[i]});
  }
  return LoadSources(sources);
}

/// An error printed exactly as "FILE:LINE:COL: ..." containing `fragment`.
::testing::AssertionResult HasErrorIn(const LoadResult& r, const std::string& file, int line, int col,
                                      const std::string& fragment) {
  const std::string prefix = file + ":" + std::to_string(line) + ":" + std::to_string(col) + ": ";
  for (const auto& e : r.errors) {
    const std::string s = e.ToString();
    if (s.rfind(prefix, 0) == 0 && s.find(fragment) != std::string::npos) return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "no error at " << prefix << " containing \"" << fragment << "\"; got:\n"
                                       << testing::Dump(r);
}

::testing::AssertionResult HasWarningIn(const LoadResult& r, const std::string& file, int line, int col,
                                        const std::string& fragment) {
  for (const auto& w : r.warnings) {
    if (w.file == file && w.line == line && w.column == col && w.message.find(fragment) != std::string::npos) {
      return ::testing::AssertionSuccess();
    }
  }
  return ::testing::AssertionFailure() << "no warning at " << file << ":" << line << ":" << col << " containing \""
                                       << fragment << "\"; got:\n"
                                       << testing::Dump(r);
}

const Sandbox& SandboxNamed(const Spec& s, const std::string& name) {
  for (const auto& sb : s.sandboxes) {
    if (sb.name == name) return sb;
  }
  throw std::runtime_error("no sandbox " + name);
}

std::vector<std::string> ProviderNames(const Spec& s) {
  std::vector<std::string> out;
  for (const auto& p : s.providers) out.push_back(p.name);
  return out;
}

TEST(OverlayTest, TheBaseAloneIsValid) {
  const auto r = LoadString(kBase, "base.yaml");
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  EXPECT_TRUE(r.warnings.empty()) << testing::Dump(r);
}

TEST(OverlayTest, MappingsMergeKeyByKeyAndScalarsReplace) {
  const auto r = Merge({"spec:\n  proxy:\n    logLevel: debug\n    tunnelPort: 19090\n"});
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  const auto& p = r.state->spec.proxy;
  EXPECT_EQ(p.log_level, "debug");                 // added by the overlay
  EXPECT_EQ(p.tunnel_port, 19090);                 // replaced by the overlay
  EXPECT_EQ(p.source.sha256, testing::kSha);       // kept from the base, two levels down
  EXPECT_EQ(r.state->name, "fleet");               // an overlay needs no apiVersion, kind or metadata
  EXPECT_EQ(r.state->spec.credentials.env_file, "/etc/ironward/secrets.env");
}

TEST(OverlayTest, NamedListsMergeByNameFieldByFieldAndNewItemsAreAppended) {
  const auto r = Merge({"spec:\n"
                        "  providers:\n"
                        "    - name: anthropic\n"
                        "    - name: openrouter\n"
                        "      hosts: [\"openrouter.ai\", \"*.openrouter.ai\"]\n"});
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  const auto& s = r.state->spec;
  // The base's order, then what only the overlay has.
  EXPECT_THAT(ProviderNames(s), ElementsAre("openrouter", "openai", "anthropic"));
  // The item merged field by field: hosts (a list of strings) replaced, the secret from the catalog kept.
  EXPECT_THAT(s.providers[0].hosts, ElementsAre("openrouter.ai", "*.openrouter.ai"));
  EXPECT_EQ(s.providers[0].secret, "OPENROUTER_API_KEY");
}

TEST(OverlayTest, ASandboxMergesItsEnvMapAndReplacesItsCommandList) {
  const auto r = Merge({"spec:\n"
                        "  sandboxes:\n"
                        "    - name: agent-1\n"
                        "      command: [\"python3\", \"-m\", \"agent\"]\n"
                        "      env: {LEVEL: \"2\", REGION: eu}\n"});
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  const auto& a = SandboxNamed(r.state->spec, "agent-1");
  EXPECT_THAT(a.command, ElementsAre("python3", "-m", "agent"));
  EXPECT_EQ(a.env.at("TASK"), "demo");   // base
  EXPECT_EQ(a.env.at("LEVEL"), "2");     // overlay over base
  EXPECT_EQ(a.env.at("REGION"), "eu");   // overlay
  EXPECT_EQ(a.image, "local/agent:1");   // base
  EXPECT_EQ(r.state->spec.sandboxes.size(), 2U);
}

TEST(OverlayTest, ListsWithoutNamesReplaceAndAnEmptyListClears) {
  const auto r = Merge({"spec:\n  allowlist: [\"example.org\"]\n  sandboxes: []\n"});
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  EXPECT_THAT(r.state->spec.allowlist, ElementsAre("example.org"));
  EXPECT_TRUE(r.state->spec.sandboxes.empty());
}

TEST(OverlayTest, AScalarAndAListReplaceEachOther) {
  // upstreamDenyCidrs takes `default` or a list: an overlay may switch between them.
  const auto r = Merge({"spec:\n  proxy:\n    upstreamDenyCidrs: [\"10.0.0.0/8\"]\n"});
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  EXPECT_THAT(r.state->spec.proxy.upstream_deny_cidrs, ElementsAre("10.0.0.0/8"));
}

TEST(OverlayTest, LaterFilesWinInOrder) {
  const auto r = Merge({"spec:\n  proxy:\n    logLevel: debug\n    tunnelPort: 19090\n",
                        "spec:\n  proxy:\n    logLevel: warn\n"});
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  EXPECT_EQ(r.state->spec.proxy.log_level, "warn");
  EXPECT_EQ(r.state->spec.proxy.tunnel_port, 19090);
}

TEST(OverlayTest, AnOverlayMayRenameTheGateway) {
  const auto r = Merge({"metadata:\n  name: web1\n"});
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  EXPECT_EQ(r.state->name, "web1");
  EXPECT_NE(r.state->digest, LoadString(kBase, "base.yaml").state->digest);
}

TEST(OverlayTest, DeleteRemovesANamedItemAndAKey) {
  const auto r = Merge({"spec:\n"
                        "  sandboxes:\n"
                        "    - {name: agent-2, $delete: true}\n"
                        "  credentials:\n"
                        "    envFile: {$delete: true}\n"});
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  ASSERT_EQ(r.state->spec.sandboxes.size(), 1U);
  EXPECT_EQ(r.state->spec.sandboxes[0].name, "agent-1");
  EXPECT_EQ(r.state->spec.credentials.env_file, "");
  EXPECT_TRUE(r.warnings.empty()) << testing::Dump(r);
}

TEST(OverlayTest, DeletingWhatNoEarlierFileSetsIsAWarningInTheOverlay) {
  const auto r = Merge({"spec:\n"                                  // 1
                        "  sandboxes:\n"                           // 2
                        "    - {name: agent-9, $delete: true}\n"   // 3
                        "  ca:\n"                                  // 4
                        "    renewBefore: {$delete: true}\n"});    // 5
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  EXPECT_TRUE(HasWarningIn(r, "host.yaml", 3, 7, "no item named 'agent-9'"));
  EXPECT_TRUE(HasWarningIn(r, "host.yaml", 5, 18, "no value that an earlier file sets"));
  EXPECT_EQ(r.state->spec.sandboxes.size(), 2U);
}

TEST(OverlayTest, DeleteIsAnErrorInTheBaseWithOtherFieldsOrNotTrue) {
  {
    const auto r = LoadSources({{"base.yaml", kBase + "  reconcile: {prune: {$delete: true}}\n"}, {"host.yaml", ""}});
    EXPECT_TRUE(HasErrorIn(r, "base.yaml", 25, 22, "the first file (the base) has nothing to remove"));
  }
  const auto r = Merge({"spec:\n"                                            // 1
                        "  sandboxes:\n"                                     // 2
                        "    - {name: agent-1, $delete: true, image: x}\n"   // 3
                        "  credentials:\n"                                   // 4
                        "    envFile: {$delete: yes}\n"                      // 5
                        "  allowlist:\n"                                     // 6
                        "    - {$delete: true}\n"});                         // 7
  EXPECT_TRUE(HasErrorIn(r, "host.yaml", 3, 38, "has only its `name` besides (got 'image')"));
  EXPECT_TRUE(HasErrorIn(r, "host.yaml", 5, 24, "'$delete' takes only `true`"));
  EXPECT_TRUE(HasErrorIn(r, "host.yaml", 7, 7, "in a list item with a `name`"));
}

TEST(OverlayTest, AMappingAgainstAScalarIsAnErrorNamingBothPlaces) {
  const auto r = Merge({"spec:\n"                  // 1
                        "  proxy: loopback\n"      // 2
                        "  reconcile:\n"           // 3
                        "    interval: 10m\n"});   // 4
  EXPECT_TRUE(HasErrorIn(r, "host.yaml", 2, 10,
                         "spec.proxy: a scalar here cannot replace a mapping set at base.yaml:6:3; an overlay merges "
                         "a mapping only with a mapping"));
  EXPECT_EQ(r.errors.size(), 1U) << testing::Dump(r);

  // The other way round: a mapping over a scalar or a list.
  const auto r2 = Merge({"spec:\n"                          // 1
                         "  allowlist: {example.org: 1}\n"  // 2
                         "metadata:\n"                      // 3
                         "  name: {first: web}\n"});        // 4
  EXPECT_TRUE(HasErrorIn(r2, "host.yaml", 2, 14, "a mapping here cannot replace a list set at base.yaml:14:3"));
  EXPECT_TRUE(HasErrorIn(r2, "host.yaml", 4, 9, "a mapping here cannot replace a scalar set at base.yaml:4:3"));
}

TEST(OverlayTest, NullOverAValueIsAnErrorPointingToDelete) {
  const auto r = Merge({"spec:\n  credentials:\n    envFile:\n"});
  EXPECT_TRUE(HasErrorIn(r, "host.yaml", 3, 5,
                         "null here cannot replace a scalar set at base.yaml:17:5; "
                         "to remove it write `{$delete: true}`"));
}

TEST(OverlayTest, ValidationErrorsPointAtTheOverlayThatSetTheValue) {
  const auto r = Merge({"spec:\n"                                   // 1
                        "  proxy:\n"                                // 2
                        "    tunnelPort: \"abc\"\n"                 // 3
                        "    logLvl: debug\n"                       // 4
                        "  providers:\n"                            // 5
                        "    - name: openai\n"                      // 6
                        "      secret: OPENROUTER_API_KEY\n"        // 7
                        "  sandboxes:\n"                            // 8
                        "    - name: agent-2\n"                     // 9
                        "      env: {HTTPS_PROXY: x}\n"});          // 10
  EXPECT_TRUE(HasErrorIn(r, "host.yaml", 3, 17, "spec.proxy.tunnelPort: expected an integer, got a string 'abc'"));
  EXPECT_TRUE(HasErrorIn(r, "host.yaml", 4, 5, "unknown key 'logLvl'; did you mean 'logLevel'?"));
  // A cross-field check run on the merged document: the value the overlay set is the culprit.
  EXPECT_TRUE(
      HasErrorIn(r, "host.yaml", 7, 15, "secret 'OPENROUTER_API_KEY' is already used by provider 'openrouter'"));
  EXPECT_TRUE(HasErrorIn(r, "host.yaml", 10, 13, "'HTTPS_PROXY' is set by ironward"));
  // Errors are in command-line file order: nothing from the base here, and sorted by line.
  for (const auto& e : r.errors) EXPECT_EQ(e.file, "host.yaml") << e.ToString();
  for (std::size_t i = 1; i < r.errors.size(); ++i) EXPECT_LE(r.errors[i - 1].line, r.errors[i].line);
}

TEST(OverlayTest, AMissingKeyOfAMergedMappingIsReportedAtTheBase) {
  const std::string base = "apiVersion: ironward.dev/v1\nkind: EgressGateway\nmetadata:\n  name: x\nspec:\n  proxy:\n"
                           "    source:\n      url: \"file:///tmp/x.tar.gz\"\n";
  const std::string host = "spec:\n  proxy:\n    source:\n      checksumsUrl: \"file:///tmp/sums\"\n";
  const auto r = LoadSources({{"base.yaml", base}, {"host.yaml", host}});
  EXPECT_TRUE(HasErrorIn(r, "base.yaml", 8, 7, "spec.proxy.source: missing required key 'sha256'"));
}

TEST(OverlayTest, SyntaxAndStructureErrorsUseTheOverlaysOwnLineNumbers) {
  const auto syntax = Merge({"spec:\n  proxy: [\n"});
  ASSERT_FALSE(syntax.ok());
  EXPECT_EQ(syntax.errors.at(0).file, "host.yaml") << testing::Dump(syntax);
  EXPECT_THAT(syntax.errors.at(0).message, ::testing::HasSubstr("YAML syntax error"));

  const auto dup = Merge({"spec:\n  proxy:\n    logLevel: debug\n    logLevel: warn\n"});
  EXPECT_TRUE(HasErrorIn(dup, "host.yaml", 4, 5, "duplicate key 'logLevel' (first defined at line 3)"));

  const auto two_docs = Merge({"spec: {}\n---\nspec: {}\n"});
  EXPECT_TRUE(HasErrorIn(two_docs, "host.yaml", 2, 1, "a second one starts here"));
}

TEST(OverlayTest, AnOverlayNamingAnItemTwiceIsAnError) {
  const auto r = Merge({"spec:\n  providers:\n    - name: anthropic\n    - name: anthropic\n      optional: true\n"});
  EXPECT_TRUE(HasErrorIn(r, "host.yaml", 4, 7, "'anthropic' is named twice in this list"));
}

TEST(OverlayTest, AnEmptyOverlayChangesNothing) {
  const auto base = LoadString(kBase, "base.yaml");
  for (const std::string empty : {"", "# nothing for this host\n", "---\n"}) {
    const auto r = Merge({empty});
    ASSERT_TRUE(r.ok()) << "overlay: '" << empty << "'\n" << testing::Dump(r);
    EXPECT_EQ(r.state->digest, base.state->digest);
  }
  // An empty base is still an error.
  const auto r = LoadSources({{"base.yaml", ""}, {"host.yaml", "spec: {}\n"}});
  EXPECT_TRUE(HasErrorIn(r, "base.yaml", 1, 1, "the file has no YAML document"));
}

TEST(OverlayTest, TheDigestCoversEveryFileAndTheOrder) {
  const auto base = LoadString(kBase, "base.yaml");
  const auto a = Merge({"spec:\n  proxy:\n    logLevel: debug\n"});
  const auto b = Merge({"spec:\n  proxy:\n    logLevel: warn\n"});
  const auto ab = Merge({"spec:\n  proxy:\n    logLevel: debug\n", "spec:\n  proxy:\n    logLevel: warn\n"});
  const auto ba = Merge({"spec:\n  proxy:\n    logLevel: warn\n", "spec:\n  proxy:\n    logLevel: debug\n"});
  ASSERT_TRUE(a.ok() && b.ok() && ab.ok() && ba.ok());
  EXPECT_NE(a.state->digest, base.state->digest);
  EXPECT_NE(a.state->digest, b.state->digest);
  EXPECT_NE(ab.state->digest, ba.state->digest);
  // It is the digest of the merged result: the same single file gives the same one.
  EXPECT_EQ(ab.state->digest, b.state->digest);
  EXPECT_EQ(ba.state->digest, a.state->digest);
}

TEST(OverlayTest, TheMergedYamlLoadsBackToTheSameStateKeepingStringsStrings) {
  const auto r = Merge({"spec:\n"
                        "  proxy:\n"
                        "    version: \"0.40.0\"\n"
                        "  sandboxes:\n"
                        "    - name: agent-1\n"
                        "      env: {PORT: \"8080\", DEBUG: \"true\", EMPTY: \"\", TILDE: \"~\", MULTI: \"a\\nb: c\"}\n"
                        "      user: \"1000\"\n"});
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  const std::string& yaml = r.state->raw_text;
  EXPECT_EQ(yaml.rfind("# merged by ironward from: base.yaml host.yaml\n", 0), 0U) << yaml;
  const auto again = LoadString(yaml, "merged.yaml");
  ASSERT_TRUE(again.ok()) << testing::Dump(again) << yaml;
  EXPECT_EQ(again.state->digest, r.state->digest) << yaml;
  const auto& env = SandboxNamed(again.state->spec, "agent-1").env;
  EXPECT_EQ(env.at("PORT"), "8080");
  EXPECT_EQ(env.at("EMPTY"), "");
  EXPECT_EQ(env.at("TILDE"), "~");
  EXPECT_EQ(env.at("MULTI"), "a\nb: c");
  EXPECT_EQ(again.state->spec.proxy.version, "0.40.0");
}

// The merge is written back as YAML (UTF-8): text that is not UTF-8 could not come back the same.
// Found by fuzz_spec_loader (a stray 0x81 in a URL came back as U+FFFD).
TEST(OverlayTest, TextThatIsNotUtf8IsAnErrorAtItsPositionAndUtf8RoundTrips) {
  const auto bad = Merge({"spec:\n  sandboxes:\n    - name: agent-1\n      env: {NOTE: \"caf\xC3\"}\n"});
  EXPECT_TRUE(HasErrorIn(bad, "host.yaml", 4, 23, "not valid UTF-8"));
  const auto overlong = Merge({"metadata: {name: \"a\xC0\xAF\"}\n"});
  EXPECT_TRUE(HasErrorIn(overlong, "host.yaml", 1, 20, "not valid UTF-8"));

  const std::string note = "caf\xC3\xA9 \xE2\x9C\x93 \xF0\x9F\x98\x80";  // two, three and four bytes
  const auto good = Merge({"spec:\n  sandboxes:\n    - name: agent-1\n      env: {NOTE: \"" + note + "\"}\n"});
  ASSERT_TRUE(good.ok()) << testing::Dump(good);
  EXPECT_EQ(SandboxNamed(good.state->spec, "agent-1").env.at("NOTE"), note);
  const auto again = LoadString(good.state->raw_text, "merged.yaml");
  ASSERT_TRUE(again.ok()) << testing::Dump(again);
  EXPECT_EQ(again.state->digest, good.state->digest);
}

TEST(OverlayTest, AnAliasSharedInTheBaseIsNotChangedThroughTheOtherUse) {
  // yaml-cpp shares one node for an anchor and its aliases: the merge must never write into
  // the files' trees, or agent-2 would get agent-1's overlay too.
  const std::string base = kBase.substr(0, kBase.find("  sandboxes:\n")) +
                           "  sandboxes:\n"
                           "    - name: agent-1\n"
                           "      image: local/agent:1\n"
                           "      env: &common {TASK: demo}\n"
                           "    - name: agent-2\n"
                           "      image: local/agent:1\n"
                           "      env: *common\n";
  const auto r = LoadSources({{"base.yaml", base},
                              {"host.yaml", "spec:\n  sandboxes:\n    - name: agent-1\n      env: {REGION: eu}\n"}});
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  EXPECT_EQ(SandboxNamed(r.state->spec, "agent-1").env.size(), 2U);
  EXPECT_EQ(SandboxNamed(r.state->spec, "agent-2").env.size(), 1U);
}

TEST(OverlayTest, OneSourceIsExactlyLoadString) {
  const auto one = LoadSources({{"base.yaml", kBase}});
  const auto plain = LoadString(kBase, "base.yaml");
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one.state->digest, plain.state->digest);
  EXPECT_EQ(one.state->raw_text, kBase);  // the file as written, comments and all
}

}  // namespace
}  // namespace ironward::spec
