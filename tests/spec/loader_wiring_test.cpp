// spec.wiring: profiles, explicit names, and every refusal at FILE:LINE:COL with its reason.
#include "tests/spec/spec_test_util.h"

namespace ironward::spec {
namespace {

using testing::Doc;
using testing::HasError;
using testing::Load;
using testing::OnlyError;

constexpr const char* kProvider =
    "  providers:\n"                                            // 9
    "    - {name: openrouter, secret: OR_KEY, hosts: [openrouter.ai]}\n";  // 10

TEST(LoaderWiringTest, DefaultsAreIronwardsOwnNames) {
  const auto r = Load(Doc());
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  const WiringSpec& w = r.state->spec.wiring;
  EXPECT_EQ(w.token_env_prefix, "IRONWARD_PROXY_TOKEN_");
  EXPECT_EQ(w.marker_env, "IRONWARD_EGRESS_PROXY");
  EXPECT_EQ(w.ca_path, "/etc/ssl/certs/ironward-egress-ca.crt");
  EXPECT_TRUE(w.IsDefault());
}

TEST(LoaderWiringTest, HermesProfileSetsHermesAgentsNames) {
  const auto r = Load(Doc("  wiring:\n    profile: hermes\n"));
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  const WiringSpec& w = r.state->spec.wiring;
  EXPECT_EQ(w.profile, "hermes");
  EXPECT_EQ(w.token_env_prefix, "HERMES_PROXY_TOKEN_");
  EXPECT_EQ(w.marker_env, "HERMES_EGRESS_PROXY");
  EXPECT_EQ(w.ca_path, "/etc/ssl/certs/hermes-egress-ca.crt");
  EXPECT_FALSE(w.IsDefault());
}

TEST(LoaderWiringTest, ExplicitKeysOverrideTheProfileWhateverTheirOrder) {
  const auto r = Load(Doc("  wiring:\n    caPath: /usr/local/share/ca/egress.crt\n    profile: hermes\n"));
  ASSERT_TRUE(r.ok()) << testing::Dump(r);
  EXPECT_EQ(r.state->spec.wiring.ca_path, "/usr/local/share/ca/egress.crt");
  EXPECT_EQ(r.state->spec.wiring.marker_env, "HERMES_EGRESS_PROXY");
}

TEST(LoaderWiringTest, OnlyANonDefaultWiringChangesTheDigest) {
  const auto plain = Load(Doc());
  const auto explicit_default = Load(Doc("  wiring: {profile: ironward}\n"));
  const auto hermes = Load(Doc("  wiring: {profile: hermes}\n"));
  ASSERT_TRUE(plain.ok() && explicit_default.ok() && hermes.ok());
  EXPECT_EQ(plain.state->digest, explicit_default.state->digest) << "existing files keep their digests";
  EXPECT_NE(plain.state->digest, hermes.state->digest);
  EXPECT_EQ(ToJson(*hermes.state)["spec"]["wiring"]["markerEnv"], "HERMES_EGRESS_PROXY");
  EXPECT_FALSE(ToJson(*plain.state)["spec"].contains("wiring"));
}

TEST(LoaderWiringTest, RefusesBadNamesAndPathsWithPositions) {
  EXPECT_TRUE(OnlyError(Load(Doc("  wiring:\n    profile: openai\n")), 10, 14, "spec.wiring.profile:"));
  EXPECT_TRUE(OnlyError(Load(Doc("  wiring:\n    tokenEnvPrefix: 9TOKEN_\n")), 10, 21,
                        "'9TOKEN_' is not a valid environment variable prefix"));
  EXPECT_TRUE(OnlyError(Load(Doc("  wiring:\n    markerEnv: EGRESS-ON\n")), 10, 16,
                        "'EGRESS-ON' is not a valid environment variable name"));
  EXPECT_TRUE(OnlyError(Load(Doc("  wiring:\n    caPath: etc/ca.crt\n")), 10, 13, "must be an absolute path"));
  EXPECT_TRUE(OnlyError(Load(Doc("  wiring:\n    caPath: /etc/ssl/../ca.crt\n")), 10, 13,
                        "without '..' segments"));
  EXPECT_TRUE(OnlyError(Load(Doc("  wiring:\n    caPath: \"/etc/ca.crt:rw\"\n")), 10, 13, "may not contain ':'"));
  EXPECT_TRUE(OnlyError(Load(Doc("  wiring:\n    caPath: /etc/ssl/certs/\n")), 10, 13, "no trailing '/'"));
  EXPECT_TRUE(OnlyError(Load(Doc("  wiring:\n    colour: blue\n")), 10, 5, "colour"));
}

TEST(LoaderWiringTest, NamesMayNotCollideWithTheProxyVariablesOrEachOther) {
  EXPECT_TRUE(OnlyError(Load(Doc("  wiring:\n    markerEnv: HTTPS_PROXY\n")), 10, 16,
                        "'HTTPS_PROXY' is one of the proxy/CA variables ironward sets"));
  EXPECT_TRUE(OnlyError(Load(Doc("  wiring:\n    tokenEnvPrefix: TOK_\n    markerEnv: TOK_ON\n")), 11, 16,
                        "starts with tokenEnvPrefix 'TOK_'"));
  const auto r = Load(Doc(std::string(kProvider) + "  wiring:\n    tokenEnvPrefix: HTTPS_\n"));
  EXPECT_TRUE(r.ok()) << "HTTPS_OR_KEY collides with nothing: " << testing::Dump(r);
  const auto clash = Load(Doc(
      "  providers:\n"
      "    - {name: p, secret: PROXY, hosts: [a.example]}\n"
      "  wiring:\n"
      "    tokenEnvPrefix: HTTPS_\n"));
  EXPECT_TRUE(OnlyError(clash, 12, 21, "provider 'p' would get its token as HTTPS_PROXY"));
}

TEST(LoaderWiringTest, SandboxesMayNotSetOrHideTheWiringsNames) {
  const std::string sandbox =
      "  wiring: {profile: hermes}\n"  // 11
      "  sandboxes:\n"                // 12
      "    - name: sb\n"              // 13
      "      image: img\n";           // 14
  EXPECT_TRUE(HasError(Load(Doc(std::string(kProvider) + sandbox + "      env: {HERMES_EGRESS_PROXY: \"0\"}\n")), 15,
                       13, "'HERMES_EGRESS_PROXY' is set by ironward in every sandbox"));
  EXPECT_TRUE(HasError(Load(Doc(std::string(kProvider) + sandbox + "      env: {HERMES_PROXY_TOKEN_X: t}\n")), 15, 13,
                       "HERMES_PROXY_TOKEN_* variables are the proxy tokens ironward injects"));
  EXPECT_TRUE(HasError(Load(Doc(std::string(kProvider) + sandbox + "      env: {OR_KEY: x}\n")), 15, 13,
                       "sandboxes get only the proxy token HERMES_PROXY_TOKEN_OR_KEY"));
  EXPECT_TRUE(HasError(Load(Doc(std::string(kProvider) + sandbox + "      mounts: [\"/srv/ca:/etc/ssl/certs:ro\"]\n")),
                       15, 16, "would hide the egress CA that ironward mounts at /etc/ssl/certs/hermes-egress-ca.crt"));
  // IRONWARD_EGRESS_PROXY is an ordinary name under the hermes profile, but IRONWARD_* stays reserved.
  EXPECT_TRUE(HasError(Load(Doc(std::string(kProvider) + sandbox + "      env: {IRONWARD_EGRESS_PROXY: \"1\"}\n")), 15,
                       13, "IRONWARD_* variables are reserved"));
}

}  // namespace
}  // namespace ironward::spec
