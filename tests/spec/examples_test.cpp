// Every example loads clean; every document in testdata/invalid/ fails with the error its
// first line announces ("# error: <fragment>"). The same invalid documents are rejected by
// the JSON Schema in validate_examples.py.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "controller/spec/loader.h"

namespace ironward::spec {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> YamlFiles(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".yaml" || e.path().extension() == ".yml") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string Diagnostics(const LoadResult& r) {
  std::string out;
  for (const auto& e : r.errors) out += "  error: " + e.ToString() + "\n";
  for (const auto& w : r.warnings) out += "  warning: " + w.ToString() + "\n";
  return out;
}

TEST(ExamplesTest, EveryExampleLoadsWithoutErrorsOrWarnings) {
  const auto files = YamlFiles(fs::path(IRONWARD_SOURCE_DIR) / "examples");
  ASSERT_GE(files.size(), 2U);
  for (const auto& f : files) {
    const auto r = LoadFile(f.string());
    EXPECT_TRUE(r.ok()) << f << "\n" << Diagnostics(r);
    EXPECT_TRUE(r.warnings.empty()) << f << "\n" << Diagnostics(r);
  }
}

TEST(ExamplesTest, FullExampleUsesEverySection) {
  const auto r = LoadFile((fs::path(IRONWARD_SOURCE_DIR) / "examples" / "full.yaml").string());
  ASSERT_TRUE(r.ok()) << Diagnostics(r);
  const Spec& s = r.state->spec;
  EXPECT_EQ(s.credentials.source, CredentialSource::kBitwarden);
  EXPECT_GE(s.providers.size(), 2U);
  EXPECT_GE(s.sandboxes.size(), 2U);
  EXPECT_TRUE(s.ca.renew_before.has_value());
  EXPECT_TRUE(s.proxy.source.checksums_url.has_value());
  EXPECT_EQ(s.proxy.source.url,
            "https://github.com/ironsh/iron-proxy/releases/download/v{version}/"
            "iron-proxy_{version}_{os}_{arch}.tar.gz");
}

TEST(ExamplesTest, InvalidDocumentsAreRejectedWithTheAnnouncedError) {
  const auto files = YamlFiles(fs::path(IRONWARD_SOURCE_DIR) / "tests/spec/testdata/invalid");
  ASSERT_GE(files.size(), 5U);
  for (const auto& f : files) {
    std::ifstream in(f);
    std::string first;
    std::getline(in, first);
    const std::string marker = "# error: ";
    ASSERT_EQ(first.rfind(marker, 0), 0U) << f << " must start with '# error: <fragment>'";
    const std::string fragment = first.substr(marker.size());
    const auto r = LoadFile(f.string());
    EXPECT_FALSE(r.ok()) << f;
    bool found = false;
    for (const auto& e : r.errors) found = found || e.ToString().find(fragment) != std::string::npos;
    EXPECT_TRUE(found) << f << ": no error containing '" << fragment << "'\n" << Diagnostics(r);
  }
}

}  // namespace
}  // namespace ironward::spec
