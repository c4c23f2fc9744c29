// The iron-proxy double packaged as a real 0.39.0 release (scripts/package-iron-proxy-release.sh),
// for tests that install the proxy through ironward from a file:// source.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

#include <gtest/gtest.h>

#include "tests/support/gateway_yaml.h"
#include "tests/support/temp_dir.h"

namespace ironward::testing {

/// Packages `binary` (the iron-proxy double) as iron-proxy 0.39.0 release under `dir` with
/// `script` (scripts/package-iron-proxy-release.sh), exactly as a real release is laid out.
/// Returns the tarball's SHA-256 hex (also left in `dir`/sha), or "" when packaging failed.
inline std::string PackageRelease039(const std::string& script, const std::string& binary,
                                     const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);  // the shell opens `dir`/sha before the script runs
  const std::filesystem::path sha_file = dir / "sha";
  const std::string cmd = script + " " + binary + " 0.39.0 '" + dir.string() + "' > '" + sha_file.string() + "'";
  if (std::system(cmd.c_str()) != 0) return "";
  std::ifstream in(sha_file);
  std::string sha;
  in >> sha;
  return sha;
}

#if defined(PACKAGE_SCRIPT) && defined(IRON_PROXY_DOUBLE)
/// Fixture base of the tests that install the proxy through ironward: the suite packages the
/// iron-proxy double once as a 0.39.0 release in releases_ (file:// source), sha_ its SHA-256.
/// Only in test programs that define PACKAGE_SCRIPT and IRON_PROXY_DOUBLE.
class PackagedReleaseTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    releases_ = new TempDir();
    sha_ = PackageRelease039(PACKAGE_SCRIPT, IRON_PROXY_DOUBLE, releases_->path());
    ASSERT_EQ(sha_.size(), 64U);
  }
  static void TearDownTestSuite() {
    delete releases_;
    releases_ = nullptr;
  }

  /// kBaseYaml installing from the packaged release, the proxy's listeners from `tunnel_port` on.
  static GatewayYaml PackagedGateway(int tunnel_port) {
    GatewayYaml g;
    g.Release(releases_->path(), sha_);
    g.tunnel_port = tunnel_port;
    return g;
  }

  static inline TempDir* releases_ = nullptr;
  static inline std::string sha_;
};
#endif

}  // namespace ironward::testing
