#include "reconcilers/binary/tarball.h"

#include <gtest/gtest.h>

#include "tests/binary/binary_test_util.h"

namespace ironward::binary {
namespace {

using testing::Gzip;
using testing::TarBuilder;

const std::string kBinary = "\x7f" "ELF fake iron-proxy bytes\n";

std::string ErrorOf(const std::string& tar_gz) {
  auto r = ExtractIronProxy(tar_gz);
  EXPECT_FALSE(r.ok()) << "extraction unexpectedly succeeded";
  if (r.ok()) return "";
  EXPECT_TRUE(r.error().terminal());
  return r.error().message;
}

TEST(TarballTest, ExtractsTheRootIronProxyAndSkipsOtherFiles) {
  const std::string tar = TarBuilder()
                              .Add("./", "", '5')
                              .Add("README.md", "# readme\n")
                              .Add("iron-proxy", kBinary)
                              .Add("LICENSE", std::string(1500, 'L'))
                              .Finish();
  auto r = ExtractIronProxy(Gzip(tar));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, kBinary);
}

TEST(TarballTest, AcceptsDotSlashName) {
  auto r = ExtractIronProxy(Gzip(TarBuilder().Add("./iron-proxy", kBinary).Finish()));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, kBinary);
}

TEST(TarballTest, ReadsArchivesMadeBySystemTarInGnuAndPaxFormats) {
  testing::TempDir dir;
  testing::WriteFile(dir.path() / "stage" / "iron-proxy", kBinary, 0755);
  testing::WriteFile(dir.path() / "stage" / "README.md", "readme\n");
  for (const char* format : {"gnu", "pax", "ustar"}) {
    const auto archive = dir.path() / (std::string(format) + ".tar.gz");
    testing::Run("tar --format=" + std::string(format) + " -C '" + (dir.path() / "stage").string() + "' -czf '" +
                 archive.string() + "' README.md iron-proxy");
    auto r = ExtractIronProxy(testing::ReadFile(archive));
    ASSERT_TRUE(r.ok()) << format << ": " << r.error().message;
    EXPECT_EQ(*r, kBinary) << format;
  }
}

TEST(TarballTest, HonoursGnuLongNamesAndPaxPaths) {
  const std::string long_dir(120, 'd');
  auto gnu = ExtractIronProxy(Gzip(TarBuilder()
                                       .Add("././@LongLink", long_dir + "/notes.txt", 'L')
                                       .Add("truncated", "notes")
                                       .Add("iron-proxy", kBinary)
                                       .Finish()));
  ASSERT_TRUE(gnu.ok()) << gnu.error().message;
  EXPECT_EQ(*gnu, kBinary);

  auto pax = ExtractIronProxy(
      Gzip(TarBuilder().Add("PaxHeaders/x", "19 path=iron-proxy\n", 'x').Add("innocent", kBinary).Finish()));
  ASSERT_TRUE(pax.ok()) << pax.error().message;
  EXPECT_EQ(*pax, kBinary);
}

TEST(TarballTest, RefusesParentTraversal) {
  EXPECT_NE(ErrorOf(Gzip(TarBuilder().Add("../iron-proxy", kBinary).Finish())).find("'..'"), std::string::npos);
  // Anywhere in the archive, and when smuggled in through a pax path.
  EXPECT_NE(ErrorOf(Gzip(TarBuilder().Add("docs/../../etc/x", "x").Add("iron-proxy", kBinary).Finish())).find("'..'"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Gzip(TarBuilder().Add("PaxHeaders/x", "22 path=../iron-proxy\n", 'x').Add("ok", kBinary).Finish()))
                .find("'..'"),
            std::string::npos);
}

TEST(TarballTest, RefusesAbsolutePaths) {
  EXPECT_NE(ErrorOf(Gzip(TarBuilder().Add("/iron-proxy", kBinary).Finish())).find("absolute path"), std::string::npos);
}

TEST(TarballTest, RefusesLinksDevicesAndDirectoriesNamedIronProxy) {
  const std::string symlink = ErrorOf(Gzip(TarBuilder().Add("iron-proxy", "", '2', "/bin/sh").Finish()));
  EXPECT_NE(symlink.find("symlink to '/bin/sh'"), std::string::npos) << symlink;
  EXPECT_NE(ErrorOf(Gzip(TarBuilder().Add("README.md", "x").Add("iron-proxy", "", '1', "README.md").Finish()))
                .find("hard link"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Gzip(TarBuilder().Add("iron-proxy", "", '3').Finish())).find("character device"), std::string::npos);
  EXPECT_NE(ErrorOf(Gzip(TarBuilder().Add("iron-proxy/", "", '5').Finish())).find("directory"), std::string::npos);
}

TEST(TarballTest, RefusesTwoIronProxyEntries) {
  const std::string msg =
      ErrorOf(Gzip(TarBuilder().Add("iron-proxy", kBinary).Add("./iron-proxy", "other").Finish()));
  EXPECT_NE(msg.find("more than one"), std::string::npos) << msg;
}

TEST(TarballTest, RefusesArchiveWithoutRootBinary) {
  const std::string msg =
      ErrorOf(Gzip(TarBuilder().Add("iron-proxy_0.39.0_linux_amd64/iron-proxy", kBinary).Finish()));
  EXPECT_NE(msg.find("no regular file named iron-proxy"), std::string::npos) << msg;
  EXPECT_NE(msg.find("iron-proxy_0.39.0_linux_amd64/iron-proxy"), std::string::npos) << msg;
}

TEST(TarballTest, RefusesTruncatedArchives) {
  const std::string tar = TarBuilder().Add("README.md", "x").Add("iron-proxy", std::string(4096, 'b')).Finish();
  const std::string cut_tar = ErrorOf(Gzip(tar.substr(0, 1024 + 1000)));
  EXPECT_NE(cut_tar.find("truncated tar"), std::string::npos) << cut_tar;
  const std::string no_end = ErrorOf(Gzip(tar.substr(0, tar.size() - 1024)));
  EXPECT_NE(no_end.find("no end-of-archive"), std::string::npos) << no_end;
  const std::string gz = Gzip(tar);
  const std::string cut_gz = ErrorOf(gz.substr(0, gz.size() / 2));
  EXPECT_NE(cut_gz.find("truncated gzip"), std::string::npos) << cut_gz;
}

TEST(TarballTest, RefusesDataThatIsNotGzipOrNotTar) {
  EXPECT_NE(ErrorOf("<html>404 Not Found</html>").find("not a gzip file"), std::string::npos);
  EXPECT_NE(ErrorOf("").find("not a gzip file"), std::string::npos);
  EXPECT_NE(ErrorOf(Gzip(std::string(2048, 'z'))).find("not a tar archive"), std::string::npos);
  std::string gz = Gzip(TarBuilder().Add("iron-proxy", kBinary).Finish());
  gz[gz.size() / 2] = static_cast<char>(gz[gz.size() / 2] ^ 0x5A);
  EXPECT_NE(ErrorOf(gz).find("gzip"), std::string::npos);
}

TEST(TarballTest, RefusesCorruptHeaderChecksum) {
  std::string tar = TarBuilder().Add("README.md", "x").Add("iron-proxy", kBinary).Finish();
  tar[1024 + 3] = 'X';  // second header's name
  const std::string msg = ErrorOf(Gzip(tar));
  EXPECT_NE(msg.find("checksum mismatch at offset 1024"), std::string::npos) << msg;
}

TEST(TarballTest, RefusesOversizedBinaryAndGzipBombs) {
  auto big = ExtractIronProxy(Gzip(TarBuilder().Add("iron-proxy", std::string(5000, 'b')).Finish()), 4096);
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.error().message.find("limit"), std::string::npos) << big.error().message;
  auto bomb = Gunzip(Gzip(std::string(1 << 20, '\0')), 1000);
  ASSERT_FALSE(bomb.ok());
  EXPECT_NE(bomb.error().message.find("exceeds"), std::string::npos);
}

TEST(TarballTest, GunzipAcceptsConcatenatedMembers) {
  auto r = Gunzip(Gzip("hello ") + Gzip("world"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, "hello world");
}

}  // namespace
}  // namespace ironward::binary
