// Every example loads clean; every document in testdata/invalid/ fails with the error its
// first line announces ("# error: <fragment>"). The same invalid documents are rejected by
// the JSON Schema in validate_examples.py.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "state/spec/loader.h"

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

// examples/gitops/repo is a fleet: the base and every host's overlay merge clean, and each host
// gets what its file's comments say.
TEST(ExamplesTest, EveryGitopsHostMergesOntoTheBaseWithoutErrorsOrWarnings) {
  const fs::path repo = fs::path(IRONWARD_SOURCE_DIR) / "examples" / "gitops" / "repo";
  const std::string base = (repo / "base.yaml").string();
  const auto alone = LoadFile(base);
  ASSERT_TRUE(alone.ok()) << Diagnostics(alone);
  const auto hosts = YamlFiles(repo / "hosts");
  ASSERT_GE(hosts.size(), 2U);
  std::map<std::string, Spec> specs;
  for (const auto& h : hosts) {
    const auto r = LoadFiles({base, h.string()});
    ASSERT_TRUE(r.ok()) << h << "\n" << Diagnostics(r);
    EXPECT_TRUE(r.warnings.empty()) << h << "\n" << Diagnostics(r);
    EXPECT_EQ(r.state->name, h.stem().string()) << "each host's file names its gateway after the host";
    EXPECT_NE(r.state->digest, alone.state->digest) << h;
    specs[h.stem().string()] = r.state->spec;
  }
  const auto names = [](const std::vector<Sandbox>& list) {
    std::vector<std::string> out;
    for (const auto& s : list) out.push_back(s.name);
    return out;
  };
  EXPECT_EQ(names(specs.at("web1").sandboxes), (std::vector<std::string>{"triage", "review", "research"}));
  EXPECT_EQ(specs.at("web1").sandboxes[0].env.at("LOG_FORMAT"), "json");
  EXPECT_EQ(specs.at("web1").sandboxes[0].env.at("REGION"), "eu");
  EXPECT_EQ(specs.at("web1").providers.size(), 3U);
  EXPECT_EQ(names(specs.at("web2").sandboxes), (std::vector<std::string>{"triage"}));
  EXPECT_EQ(specs.at("web2").sandboxes[0].resources.memory_bytes, 1024LL * 1024 * 1024);
  EXPECT_EQ(specs.at("web2").sandboxes[0].resources.pids, 256);
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
