#include "reconcilers/binary/release_url.h"

#include <gtest/gtest.h>

namespace ironward::binary {
namespace {

TEST(ReleaseUrlTest, ExpandsTheDefaultGithubTemplate) {
  spec::ProxySource source;  // default url template
  auto urls = ExpandReleaseUrls(source, "0.39.0", Platform{"linux", "amd64"});
  ASSERT_TRUE(urls.ok()) << urls.error().message;
  EXPECT_EQ(urls->tarball,
            "https://github.com/ironsh/iron-proxy/releases/download/v0.39.0/iron-proxy_0.39.0_linux_amd64.tar.gz");
  EXPECT_EQ(urls->checksums, "https://github.com/ironsh/iron-proxy/releases/download/v0.39.0/checksums.txt");
  EXPECT_EQ(urls->archive_name, "iron-proxy_0.39.0_linux_amd64.tar.gz");
}

TEST(ReleaseUrlTest, ExpandsArchForArm64) {
  spec::ProxySource source;
  auto urls = ExpandReleaseUrls(source, "0.45.0", Platform{"linux", "arm64"});
  ASSERT_TRUE(urls.ok());
  EXPECT_EQ(urls->archive_name, "iron-proxy_0.45.0_linux_arm64.tar.gz");
}

TEST(ReleaseUrlTest, MapsUnameMachinesToGoreleaserArchs) {
  EXPECT_EQ(*ArchFromMachine("x86_64"), "amd64");
  EXPECT_EQ(*ArchFromMachine("aarch64"), "arm64");
  EXPECT_EQ(*ArchFromMachine("arm64"), "arm64");
  auto riscv = ArchFromMachine("riscv64");
  ASSERT_FALSE(riscv.ok());
  EXPECT_TRUE(riscv.error().terminal());
  EXPECT_NE(riscv.error().message.find("riscv64"), std::string::npos);
  auto host = HostPlatform();
  ASSERT_TRUE(host.ok());
  EXPECT_EQ(host->os, "linux");
}

TEST(ReleaseUrlTest, UsesAnExplicitChecksumsUrlWithPlaceholders) {
  spec::ProxySource source;
  source.url = "https://mirror.example/iron/{version}/iron-proxy_{version}_{os}_{arch}.tar.gz";
  source.checksums_url = "https://mirror.example/sums/{version}.txt";
  auto urls = ExpandReleaseUrls(source, "0.39.0", Platform{"linux", "amd64"});
  ASSERT_TRUE(urls.ok());
  EXPECT_EQ(urls->tarball, "https://mirror.example/iron/0.39.0/iron-proxy_0.39.0_linux_amd64.tar.gz");
  EXPECT_EQ(urls->checksums, "https://mirror.example/sums/0.39.0.txt");
}

TEST(ReleaseUrlTest, ChecksumsDefaultToTheTarballDirectoryForHttpAndFile) {
  spec::ProxySource source;
  source.url = "file:///srv/releases/v{version}/iron-proxy_{version}_{os}_{arch}.tar.gz";
  auto urls = ExpandReleaseUrls(source, "0.39.0", Platform{"linux", "amd64"});
  ASSERT_TRUE(urls.ok());
  EXPECT_EQ(urls->checksums, "file:///srv/releases/v0.39.0/checksums.txt");

  source.url = "http://127.0.0.1:8080/x/iron-proxy_{version}.tar.gz?sig=abc";
  urls = ExpandReleaseUrls(source, "0.39.0", Platform{"linux", "amd64"});
  ASSERT_TRUE(urls.ok());
  EXPECT_EQ(urls->archive_name, "iron-proxy_0.39.0.tar.gz");
  EXPECT_EQ(urls->checksums, "http://127.0.0.1:8080/x/checksums.txt");
}

TEST(ReleaseUrlTest, RefusesUnknownPlaceholdersAndSchemes) {
  spec::ProxySource source;
  source.url = "https://example/{verison}/a.tar.gz";
  auto typo = ExpandReleaseUrls(source, "0.39.0", Platform{});
  ASSERT_FALSE(typo.ok());
  EXPECT_EQ(typo.error().kind, ErrorKind::kInvalidSpec);
  EXPECT_NE(typo.error().message.find("{verison}"), std::string::npos);

  source.url = "ftp://example/a.tar.gz";
  auto ftp = ExpandReleaseUrls(source, "0.39.0", Platform{});
  ASSERT_FALSE(ftp.ok());
  EXPECT_NE(ftp.error().message.find("https://, http:// or file://"), std::string::npos);

  source.url = "https://example/{version";
  EXPECT_FALSE(ExpandReleaseUrls(source, "0.39.0", Platform{}).ok());
  source.url = "https://example/dir/";
  EXPECT_FALSE(ExpandReleaseUrls(source, "0.39.0", Platform{}).ok());
}

TEST(ReleaseUrlTest, DisplayUrlHidesCredentialsAndQuery) {
  EXPECT_EQ(DisplayUrl("https://user:pa55@mirror.example/a/b.tar.gz?X-Sig=zzz"), "https://mirror.example/a/b.tar.gz?…");
  EXPECT_EQ(DisplayUrl("file:///srv/a.tar.gz"), "file:///srv/a.tar.gz");
  EXPECT_EQ(DisplayUrl("https://example/a@b.tar.gz"), "https://example/a@b.tar.gz");
}

}  // namespace
}  // namespace ironward::binary
