// CLI surface of the double: version dispatch, flag errors, generate-ca and its refusal.
#include "double_harness.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <sys/stat.h>

#include <cstdio>

namespace doubletest {
namespace {

TEST(IronProxyDoubleCli, VersionSpellingsPrintVersionAndExitZero) {
  for (const char* arg : {"version", "--version", "-v"}) {
    RunResult r = RunDouble(Double039(), {arg}, {});
    EXPECT_EQ(r.exit_code, 0) << arg;
    EXPECT_EQ(r.out, "0.39.0\n") << arg;
    RunResult r45 = RunDouble(Double045(), {arg}, {});
    EXPECT_EQ(r45.out, "0.45.0\n") << arg;
  }
}

TEST(IronProxyDoubleCli, GoFlagParsingExitCodes) {
  EXPECT_EQ(RunDouble(Double039(), {"-version"}, {}).exit_code, 2);
  RunResult unknown = RunDouble(Double039(), {"-nope"}, {});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("flag provided but not defined: -nope"), std::string::npos);
  RunResult help = RunDouble(Double039(), {"-h"}, {});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.err.find("-config string"), std::string::npos);
  EXPECT_NE(help.err.find("-enrollment-token string"), std::string::npos);
  EXPECT_NE(RunDouble(Double045(), {"-h"}, {}).err.find("-token string"), std::string::npos);
}

TEST(IronProxyDoubleCli, GenerateCaWritesCaCertAndRefusesToOverwrite) {
  TempDir dir;
  std::string out = dir.str() + "/pki";
  RunResult r = RunDouble(Double039(), {"generate-ca", "-outdir", out, "-name", "Test CA", "-alg", "ed25519"}, {});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "wrote " + out + "/ca.crt\nwrote " + out + "/ca.key\n");
  struct stat st {};
  ASSERT_EQ(stat((out + "/ca.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  FILE* f = std::fopen((out + "/ca.crt").c_str(), "r");
  ASSERT_NE(f, nullptr);
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  ASSERT_NE(cert, nullptr);
  EXPECT_TRUE(X509_get_extension_flags(cert) & EXFLAG_CA);
  EXPECT_EQ(X509_get_pathlen(cert), 0);
  EXPECT_EQ(X509_get_key_usage(cert), static_cast<uint32_t>(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  X509_free(cert);

  RunResult again = RunDouble(Double039(), {"generate-ca", "-outdir", out, "-alg", "ed25519"}, {});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_EQ(again.err, "error: creating " + out + "/ca.crt: open " + out + "/ca.crt: file exists\n");
}

TEST(IronProxyDoubleCli, GenerateCaRejectsUnknownAlgorithm) {
  TempDir dir;
  RunResult r = RunDouble(Double045(), {"generate-ca", "-outdir", dir.path(), "-alg", "dsa"}, {});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "error: unsupported algorithm \"dsa\" (use rsa4096 or ed25519)\n");
}

TEST(IronProxyDoublePackaging, ReleaseLayoutIsGoreleaserShapedAndDeterministic) {
  TempDir dir;
  auto package = [&](const std::string& root) {
    std::string cmd = std::string(IRON_PACKAGE_SCRIPT) + " " + Double039() + " 0.39.0 " + root;
    FILE* f = popen(cmd.c_str(), "r");
    char buf[128] = {};
    std::string out = std::fgets(buf, sizeof buf, f) ? buf : "";
    EXPECT_EQ(pclose(f), 0);
    return out;
  };
  std::string a = package(dir.str() + "/a"), b = package(dir.str() + "/b");
  ASSERT_EQ(a.size(), 65u);
  EXPECT_EQ(a, b);
  std::string v = dir.str() + "/a/v0.39.0/";
  FILE* f = std::fopen((v + "checksums.txt").c_str(), "r");
  ASSERT_NE(f, nullptr);
  char line[256] = {};
  ASSERT_NE(std::fgets(line, sizeof line, f), nullptr);
  std::fclose(f);
  EXPECT_EQ(std::string(line), a.substr(0, 64) + "  iron-proxy_0.39.0_linux_amd64.tar.gz\n");
  RunResult listing = RunDouble("/usr/bin/tar", {"-tzf", v + "iron-proxy_0.39.0_linux_amd64.tar.gz"}, {});
  EXPECT_EQ(listing.out, "iron-proxy\nREADME.md\nLICENSE\n");
}

}  // namespace
}  // namespace doubletest
