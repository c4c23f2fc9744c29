// Defaults, canonical JSON, digest stability, LoadFile.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/spec/spec_test_util.h"

namespace ironward::spec {
namespace {

using testing::Doc;
using testing::Load;

TEST(LoaderDefaultsTest, MinimalDocumentGetsSpecDefaults) {
  const auto r = Load(Doc());
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  const DesiredState& st = *r.state;
  EXPECT_EQ(st.name, "test");
  EXPECT_EQ(st.api_version, "ironward.dev/v1");
  EXPECT_EQ(st.kind, "EgressGateway");
  const Spec defaults;
  const Spec& s = st.spec;
  EXPECT_EQ(s.proxy.version, "0.39.0");
  EXPECT_EQ(s.proxy.source.url, defaults.proxy.source.url);
  EXPECT_EQ(s.proxy.source.sha256, testing::kSha);
  EXPECT_FALSE(s.proxy.source.checksums_url.has_value());
  EXPECT_EQ(s.proxy.bind, BindKind::kDockerBridge);
  EXPECT_EQ(s.proxy.tunnel_port, 9090);
  EXPECT_EQ(s.proxy.http_port, 9091);
  EXPECT_EQ(s.proxy.metrics_port, 9092);
  EXPECT_EQ(s.proxy.management_port, 9093);
  EXPECT_EQ(s.proxy.dns_port, 9094);
  EXPECT_EQ(s.proxy.https_port, 9095);
  EXPECT_TRUE(s.proxy.upstream_deny_default);
  EXPECT_EQ(s.proxy.upstream_deny_cidrs, DefaultUpstreamDenyCidrs());
  EXPECT_EQ(s.proxy.log_level, "info");
  EXPECT_EQ(s.proxy.upstream_ca_file, "");
  EXPECT_EQ(s.ca.algorithm, CaAlgorithm::kRsa4096);
  EXPECT_EQ(s.ca.validity, std::chrono::hours(87600));
  EXPECT_FALSE(s.ca.renew_before.has_value());
  EXPECT_EQ(s.ca.rotation, 1);
  EXPECT_TRUE(s.providers.empty());
  EXPECT_TRUE(s.allowlist.empty());
  EXPECT_EQ(s.credentials.source, CredentialSource::kEnv);
  EXPECT_EQ(s.credentials.bitwarden.access_token_env, "BWS_ACCESS_TOKEN");
  EXPECT_EQ(s.credentials.bitwarden.server_url, "https://vault.bitwarden.com");
  EXPECT_EQ(s.credentials.bitwarden.refresh_interval, std::chrono::hours(1));
  EXPECT_EQ(s.credentials.bitwarden.retry_interval, std::chrono::seconds(30));
  EXPECT_FALSE(s.credentials.allow_env_fallback);
  EXPECT_EQ(s.tokens.rotation, 1);
  EXPECT_EQ(s.enforcement.mode, EnforcementMode::kWarn);
  EXPECT_EQ(s.enforcement.network, NetworkMode::kNone);
  EXPECT_EQ(s.enforcement.uncovered_providers, UncoveredPolicy::kWarn);
  EXPECT_EQ(s.enforcement.selector, "ironward.dev/policed=true");
  EXPECT_EQ(s.enforcement.network_name, "ironward-sandboxes");
  EXPECT_EQ(s.enforcement.network_subnet, "172.30.99.0/24");
  EXPECT_EQ(s.reconcile.interval, std::chrono::minutes(10));
  EXPECT_FALSE(s.reconcile.prune);
  EXPECT_FALSE(s.reconcile.suspend);
  EXPECT_EQ(s.reconcile.parallelism, 4);
  EXPECT_TRUE(r.warnings.empty()) << testing::Dump(r);
}

TEST(LoaderDefaultsTest, ProviderAndSandboxDefaults) {
  const auto r = Load(Doc(
      "  providers:\n    - {name: p, secret: P_KEY, hosts: [p.example]}\n"
      "  sandboxes:\n    - {name: s, image: img}\n"));
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  EXPECT_EQ(r.state->spec.providers[0].headers, std::vector<std::string>{"Authorization"});
  const Sandbox& sb = r.state->spec.sandboxes[0];
  EXPECT_EQ(sb.resources.memory_bytes, 2LL << 30);
  EXPECT_DOUBLE_EQ(sb.resources.cpus, 1.0);
  EXPECT_EQ(sb.resources.pids, 256);
  EXPECT_TRUE(sb.command.empty());
  EXPECT_TRUE(sb.env.empty());
}

TEST(LoaderDefaultsTest, ExplicitHttpPortKeepsOtherDerivedPorts) {
  const auto r = Load(Doc("    tunnelPort: 18080\n    httpPort: 18000\n"));
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  EXPECT_EQ(r.state->spec.proxy.http_port, 18000);
  EXPECT_EQ(r.state->spec.proxy.metrics_port, 18082);
  EXPECT_EQ(r.state->spec.proxy.https_port, 18085);
}

TEST(LoaderDefaultsTest, RawTextSourceAndDigestAreFilled) {
  const std::string text = Doc();
  const auto r = Load(text);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.state->raw_text, text);
  EXPECT_EQ(r.state->source_path, "");  // in-memory
  EXPECT_EQ(r.state->digest, ComputeDigest(*r.state));
  EXPECT_EQ(r.state->digest.size(), 64U);
}

TEST(LoaderCanonicalJsonTest, IsDefaultedWithSortedKeys) {
  const auto r = Load(Doc());
  ASSERT_TRUE(r.ok());
  const nlohmann::json j = ToJson(*r.state);
  EXPECT_EQ(j["metadata"]["name"], "test");
  EXPECT_EQ(j["spec"]["proxy"]["httpPort"], 9091);
  EXPECT_EQ(j["spec"]["proxy"]["bind"], "docker-bridge");
  EXPECT_EQ(j["spec"]["ca"]["validity"], "87600h");
  EXPECT_EQ(j["spec"]["reconcile"]["interval"], "10m");
  EXPECT_EQ(j["spec"]["proxy"]["upstreamDenyCidrs"].size(), DefaultUpstreamDenyCidrs().size());
  const std::string dump = j.dump();
  EXPECT_LT(dump.find("\"apiVersion\""), dump.find("\"kind\""));
  EXPECT_LT(dump.find("\"allowlist\""), dump.find("\"ca\""));
  EXPECT_LT(dump.find("\"ca\""), dump.find("\"proxy\""));
}

TEST(LoaderDigestTest, SameSpecSameDigest) {
  EXPECT_EQ(Load(Doc()).state->digest, Load(Doc()).state->digest);
}

TEST(LoaderDigestTest, FormattingCommentsAndKeyOrderDoNotMatter) {
  const std::string a =
      "apiVersion: ironward.dev/v1\nkind: EgressGateway\nmetadata: {name: test}\n"
      "spec:\n  proxy:\n    tunnelPort: 9090\n    source: {sha256: \"" + std::string(testing::kSha) +
      "\"}\n  allowlist: [a.example, b.example]\n  ca: {validity: 87600h}\n";
  const std::string b =
      "# a comment\nkind: EgressGateway\napiVersion: \"ironward.dev/v1\"\n"
      "spec:\n  ca:\n    validity: 3650d   # same duration, other unit\n"
      "  allowlist:\n    - a.example\n    - b.example\n"
      "  proxy:\n    source:\n      sha256: " + std::string(testing::kSha) +
      "\n\n\n"
      "metadata:\n  name: test\n";
  const auto ra = Load(a);
  const auto rb = Load(b);
  ASSERT_TRUE(ra.ok()) << testing::Dump(ra);
  ASSERT_TRUE(rb.ok()) << testing::Dump(rb);
  EXPECT_EQ(ra.state->digest, rb.state->digest);
  EXPECT_NE(Load(Doc()).state->digest, ra.state->digest) << "Doc() has no allowlist";
}

TEST(LoaderDigestTest, ValueChangesChangeTheDigest) {
  const std::string base = Load(Doc()).state->digest;
  EXPECT_NE(Load(Doc("    tunnelPort: 9190\n")).state->digest, base);
  EXPECT_NE(Load(Doc("  reconcile: {prune: true}\n")).state->digest, base);
  EXPECT_NE(Load(Doc("  allowlist: [a.example]\n")).state->digest, base);
  std::string renamed = Doc();
  renamed.replace(renamed.find("name: test"), 10, "name: other");
  EXPECT_NE(Load(renamed).state->digest, base);
  EXPECT_NE(Load(Doc("  reconcile: {parallelism: 8}\n")).state->digest, base);
  // An explicit default is not a change.
  EXPECT_EQ(Load(Doc("    tunnelPort: 9090\n    httpPort: 9091\n")).state->digest, base);
  EXPECT_EQ(Load(Doc("  reconcile: {parallelism: 4}\n")).state->digest, base);
  EXPECT_EQ(Load(Doc("    upstreamDenyCidrs: default\n")).state->digest, base);
}

TEST(LoaderFileTest, ReadsFileAndReportsItsPath) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("spec-load-" + std::to_string(::getpid()) + ".yaml"))
          .string();
  {
    std::ofstream out(path);
    out << Doc("    tunnelPort: nope\n");
  }
  const auto r = LoadFile(path);
  {
    std::ofstream out(path);
    out << Doc();
  }
  const auto good = LoadFile(path);
  std::filesystem::remove(path);
  ASSERT_TRUE(good.ok()) << testing::Dump(good);
  EXPECT_EQ(good.state->source_path, path);
  EXPECT_EQ(good.state->raw_text, Doc());
  ASSERT_EQ(r.errors.size(), 1U);
  EXPECT_EQ(r.errors[0].ToString(),
            path + ":9:17: spec.proxy.tunnelPort: expected an integer, got a string 'nope'");
}

TEST(LoaderFileTest, MissingFileAndDirectoryAreErrorsNotExceptions) {
  auto r = LoadFile("/nonexistent/ironward.yaml");
  ASSERT_EQ(r.errors.size(), 1U);
  EXPECT_EQ(r.errors[0].ToString(),
            "/nonexistent/ironward.yaml: cannot read file: No such file or directory");
  r = LoadFile("/tmp");
  ASSERT_EQ(r.errors.size(), 1U);
  EXPECT_NE(r.errors[0].message.find("is a directory"), std::string::npos);
}

TEST(LoaderReconcileTest, ParallelismIsBetweenOneAndThirtyTwo) {
  auto eight = Load(Doc("  reconcile:\n    parallelism: 8\n"));
  ASSERT_TRUE(eight.ok()) << testing::Dump(eight);
  EXPECT_EQ(eight.state->spec.reconcile.parallelism, 8);
  EXPECT_TRUE(testing::OnlyError(Load(Doc("  reconcile:\n    parallelism: 0\n")), 10, 18,
                                 "must be between 1 and 32, got 0"));
  EXPECT_TRUE(testing::OnlyError(Load(Doc("  reconcile:\n    parallelism: 33\n")), 10, 18, "got 33"));
}

}  // namespace
}  // namespace ironward::spec
