// LazyLibrary (reconcilers/io/lazy_library.h): a library that cannot be loaded or lacks a function
// is an error naming it, at first use; a real one binds functions that work. And the ironward
// binary itself links none of the libraries it opens on first use (start-up, issue #18).
#include "reconcilers/io/lazy_library.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdio>
#include <memory>
#include <string>

namespace ironward {
namespace {

using ::testing::HasSubstr;

TEST(LazyLibraryTest, AMissingLibraryIsAnErrorNamingIt) {
  LazyLibrary lib("libironward-no-such-library.so.9");
  EXPECT_THAT(lib.Open(), HasSubstr("cannot load libironward-no-such-library.so.9: "));
  EXPECT_EQ(lib.Open(), lib.Open());  // once: the same answer again
}

TEST(LazyLibraryTest, BindsRealFunctionsAndNamesMissingOnes) {
  // libz: always on a Debian system (zlib1g is required), and zlibVersion takes no arguments.
  LazyLibrary lib("libz.so.1");
  ASSERT_EQ(lib.Open(), "");
  decltype(&zlibVersion) version = nullptr;
  std::string missing;
  IRONWARD_LAZY_BIND(lib, zlibVersion, version, missing);
  ASSERT_EQ(missing, "");
  ASSERT_NE(version, nullptr);
  EXPECT_EQ(std::string(version()).substr(0, 2), std::string(ZLIB_VERSION).substr(0, 2));

  decltype(&zlibVersion) absent = version;
  lib.Bind("ironward_no_such_function", absent, missing);
  lib.Bind("ironward_no_such_function_either", absent, missing);
  EXPECT_EQ(absent, nullptr);
  EXPECT_EQ(missing, "ironward_no_such_function, ironward_no_such_function_either");
}

TEST(LazyLibraryTest, TheBinaryLinksNoneOfTheLibrariesItOpensOnFirstUse) {
  const std::string cmd = "objdump -p '" IRONWARD_BINARY "'";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(cmd.c_str(), "r"), &::pclose);
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe.get())) > 0;) out.append(buf, n);
  ASSERT_THAT(out, HasSubstr("NEEDED")) << "objdump printed no dynamic section for " << IRONWARD_BINARY;
  for (const char* lib : {"libcurl", "libnftables", "libsystemd"}) {
    EXPECT_THAT(out, ::testing::Not(HasSubstr(lib))) << IRONWARD_BINARY << " links " << lib;
  }
}

}  // namespace
}  // namespace ironward
