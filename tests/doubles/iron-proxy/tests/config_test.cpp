// Strict config decoding and startup validation, per pretended version.
#include "double_harness.h"

#include <gtest/gtest.h>

namespace doubletest {
namespace {

class IronProxyDoubleConfig : public ::testing::Test {
 protected:
  void SetUp() override { MakeDoubleCa(dir_); }
  RunResult RunWith(const std::string& bin, const std::string& yaml, Env extra = {}) {
    std::string path = dir_.Write("proxy.yaml", yaml);
    Env env = BaseEnv(dir_);
    for (const auto& [k, v] : extra) env[k] = v;
    Proc p(bin, {"-config", path}, env);
    // A valid config keeps running: stop it once it is up.
    if (p.WaitStartedOrExit("iron-proxy starting")) p.Signal(SIGTERM);
    return p.Wait();
  }
  TempDir dir_;
};

TEST_F(IronProxyDoubleConfig, UnknownKeyIsAStrictDecodeErrorWithLine) {
  RunResult r = RunWith(Double039(), "log:\n  level: info\n  audit_path: /tmp/x\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "error: parsing config: yaml: unmarshal errors:\n  line 3: field audit_path not found in type config.Log\n");
}

TEST_F(IronProxyDoubleConfig, EmptyFileIsEof) {
  RunResult r = RunWith(Double039(), "# only a comment\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "error: parsing config: EOF\n");
}

TEST_F(IronProxyDoubleConfig, DuplicateKeyIsAnError) {
  RunResult r = RunWith(Double039(), "metrics:\n  listen: \":1\"\n  listen: \":2\"\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("line 3: field listen already set in type config.Metrics"), std::string::npos) << r.err;
}

TEST_F(IronProxyDoubleConfig, UnknownKeysInsideTransformConfigAreIgnored) {
  RunResult r = RunWith(Double039(), BaseConfig(dir_, "transforms:\n  - name: allowlist\n    config:\n      domainz: [x]\n      domains: [a.example]\n"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
}

TEST_F(IronProxyDoubleConfig, ValidateErrorsArePlainText) {
  RunResult r = RunWith(Double039(), "log:\n  level: info\n");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "error: dns.proxy_ip is required\n");
  RunResult lvl = RunWith(Double039(), "log:\n  level: loud\n");
  EXPECT_EQ(lvl.err, "error: unknown log level: \"loud\"\n");
  std::string bare_ip = BaseConfig(dir_, "", false);
  bare_ip.insert(bare_ip.find("tls:"), "  upstream_deny_cidrs: [\"10.0.0.1\"]\n");
  RunResult cidr = RunWith(Double039(), bare_ip);
  EXPECT_EQ(cidr.exit_code, 1);
  EXPECT_NE(cidr.err.find("must be CIDR notation"), std::string::npos) << cidr.err;
  RunResult mgmt = RunWith(Double039(), BaseConfig(dir_, "management:\n  listen: \"127.0.0.1:0\"\n"));
  EXPECT_EQ(mgmt.err, "error: management.api_key_env \"IRON_MANAGEMENT_API_KEY\" is not set in the environment\n");
}

TEST_F(IronProxyDoubleConfig, TransformErrorsAreJsonAndComeBeforeValidate) {
  RunResult r = RunWith(Double039(), "transforms:\n  - name: nope\n");
  EXPECT_EQ(r.exit_code, 1);
  Json j = Json::parse(r.err.substr(0, r.err.find('\n')), nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.err;
  EXPECT_EQ(j["level"], "ERROR");
  EXPECT_EQ(j["msg"], "building transform pipeline");
  EXPECT_NE(j["error"].get<std::string>().find("unknown transform \"nope\""), std::string::npos);
}

TEST_F(IronProxyDoubleConfig, CaWithoutKeyCertSignIsRefused) {
  ASSERT_EQ(std::system(("cd " + dir_.str() + " && rm -f ca.crt ca.key && openssl req -x509 -newkey ec "
                         "-pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=bad -addext basicConstraints=critical,CA:TRUE "
                         "-addext keyUsage=digitalSignature -keyout ca.key -out ca.crt >/dev/null 2>&1").c_str()), 0);
  RunResult r = RunWith(Double039(), BaseConfig(dir_, ""));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("\"msg\":\"initializing cert cache\""), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("CA certificate missing KeyUsageCertSign"), std::string::npos);
}

TEST_F(IronProxyDoubleConfig, VersionSpecificKeys) {
  std::string dns_off = "dns:\n  enabled: false\nproxy:\n  http_listen: \"127.0.0.1:0\"\n  https_listen: \"127.0.0.1:0\"\n"
                        "tls:\n  ca_cert: \"" + dir_.str() + "/ca.crt\"\n  ca_key: \"" + dir_.str() + "/ca.key\"\n"
                        "metrics:\n  listen: \"127.0.0.1:" + std::to_string(FreePort()) + "\"\n";
  RunResult old = RunWith(Double039(), dns_off);
  EXPECT_EQ(old.exit_code, 1);
  EXPECT_NE(old.err.find("line 2: field enabled not found in type config.DNS"), std::string::npos) << old.err;
  RunResult now = RunWith(Double045(), dns_off);
  EXPECT_EQ(now.exit_code, 0) << now.err;
  EXPECT_NE(now.err.find("\"dns_listen\":\"disabled\""), std::string::npos);

  std::string up = BaseConfig(dir_, "") + "";
  up.insert(up.find("tls:"), "  upstream_proxy:\n    no_proxy: \"*\"\n");
  EXPECT_EQ(RunWith(Double039(), up).exit_code, 1);
  EXPECT_EQ(RunWith(Double045(), up).exit_code, 0);
}

TEST_F(IronProxyDoubleConfig, StateStoreAndManagedModeAt039) {
  std::string cfg = BaseConfig(dir_, "");
  std::string path = dir_.Write("proxy.yaml", cfg);
  RunResult nohome = RunDouble(Double039(), {"-config", path}, {});
  EXPECT_EQ(nohome.exit_code, 1);
  EXPECT_NE(nohome.err.find("neither $XDG_CONFIG_HOME nor $HOME are defined"), std::string::npos);
  EXPECT_EQ(RunWith(Double045(), cfg, {{"HOME", ""}, {"IRON_STATE_STORE", ""}}).exit_code, 0);
  RunResult managed = RunWith(Double039(), cfg, {{"IRON_ENROLLMENT_TOKEN", "tok"}});
  EXPECT_EQ(managed.exit_code, 1);
  EXPECT_NE(managed.err.find("\"msg\":\"registration failed\""), std::string::npos);
}

}  // namespace
}  // namespace doubletest
