// Durations, sizes and the value validators on their own.
#include <gtest/gtest.h>

#include "state/spec/units.h"
#include "state/spec/validators.h"

namespace ironward::spec {
namespace {

using std::chrono::seconds;

TEST(SpecDurationTest, ParsesGoStyle) {
  std::string err;
  EXPECT_EQ(ParseDuration("87600h", &err), seconds(87600 * 3600));
  EXPECT_EQ(ParseDuration("1h30m", &err), seconds(5400));
  EXPECT_EQ(ParseDuration("10m", &err), seconds(600));
  EXPECT_EQ(ParseDuration("30s", &err), seconds(30));
  EXPECT_EQ(ParseDuration("7d", &err), seconds(7 * 86400));
  EXPECT_EQ(ParseDuration("1.5h", &err), seconds(5400));
  EXPECT_EQ(ParseDuration("1500ms", &err), std::nullopt);
  EXPECT_NE(err.find("whole number of seconds"), std::string::npos);
  EXPECT_EQ(ParseDuration("2000ms", &err), seconds(2));
  EXPECT_EQ(ParseDuration("0", &err), seconds(0));
}

TEST(SpecDurationTest, RejectsGarbage) {
  for (const char* bad : {"", "-1h", "h", "10", "1x", "1h-5m", "1.h.5", "abc", " 1h", "1h "}) {
    std::string err;
    EXPECT_EQ(ParseDuration(bad, &err), std::nullopt) << bad;
    EXPECT_FALSE(err.empty()) << bad;
  }
  std::string err;
  EXPECT_EQ(ParseDuration("99999999999999999h", &err), std::nullopt);
  EXPECT_NE(err.find("too large"), std::string::npos);
}

TEST(SpecDurationTest, FormatsCanonically) {
  EXPECT_EQ(FormatDuration(seconds(87600 * 3600)), "87600h");
  EXPECT_EQ(FormatDuration(seconds(5400)), "1h30m");
  EXPECT_EQ(FormatDuration(seconds(600)), "10m");
  EXPECT_EQ(FormatDuration(seconds(3661)), "1h1m1s");
  EXPECT_EQ(FormatDuration(seconds(0)), "0s");
}

TEST(SpecMemorySizeTest, ParsesUnits) {
  std::string err;
  EXPECT_EQ(ParseMemorySize("2g", &err), 2LL << 30);
  EXPECT_EQ(ParseMemorySize("512m", &err), 512LL << 20);
  EXPECT_EQ(ParseMemorySize("1024k", &err), 1LL << 20);
  EXPECT_EQ(ParseMemorySize("2GiB", &err), 2LL << 30);
  EXPECT_EQ(ParseMemorySize("100", &err), 100);
  for (const char* bad : {"", "g", "2x", "-1g", "1.5g", "2gbb", "99999999999t"}) {
    EXPECT_EQ(ParseMemorySize(bad, &err), std::nullopt) << bad;
  }
}

TEST(SpecValidatorsTest, Ipv4AndCidrs) {
  EXPECT_EQ(ParseIpv4("10.1.2.3"), 0x0A010203U);
  EXPECT_EQ(ParseIpv4("1.2.3.4.5"), std::nullopt);
  EXPECT_EQ(ParseIpv4("1.2.3"), std::nullopt);
  EXPECT_EQ(ParseIpv4("01.2.3.4"), std::nullopt);
  EXPECT_EQ(ParseIpv4("256.2.3.4"), std::nullopt);
  EXPECT_EQ(CheckCidr("10.0.0.0/8"), "");
  EXPECT_EQ(CheckCidr("::/0"), "");
  EXPECT_EQ(CheckCidr("10.0.0.0/8", true), "");
  EXPECT_NE(CheckCidr("::/0", true), "");
  auto c = ParseIpv4Cidr("172.30.99.7/24");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->prefix, 24);
  EXPECT_TRUE(c->host_bits_set);
  EXPECT_EQ(c->address, 0xAC1E6300U);
}

TEST(SpecValidatorsTest, Misc) {
  EXPECT_TRUE(IsUuid("8d5a2e6c-1f3b-4c7d-9e8f-0a1b2c3d4e5f"));
  EXPECT_FALSE(IsUuid("8d5a2e6c1f3b4c7d9e8f0a1b2c3d4e5f"));
  EXPECT_TRUE(IsEnvVarName("_A1"));
  EXPECT_FALSE(IsEnvVarName("1A"));
  EXPECT_FALSE(IsEnvVarName("A-B"));
  EXPECT_TRUE(IsHeaderName("X-Api-Key"));
  EXPECT_FALSE(IsHeaderName("X Api"));
  EXPECT_TRUE(IsDnsLabel("prod-agents"));
  EXPECT_FALSE(IsDnsLabel("-prod"));
  EXPECT_FALSE(IsDnsLabel(std::string(64, 'a')));
  int a = 0, b = 0, p = 0;
  EXPECT_TRUE(ParseSemver("0.45.12", &a, &b, &p));
  EXPECT_EQ(b, 45);
  EXPECT_FALSE(ParseSemver("0.045.1", &a, &b, &p));
  EXPECT_FALSE(ParseSemver("0.45", &a, &b, &p));
  EXPECT_FALSE(ParseSemver("0.45.1.2", &a, &b, &p));
  std::string target;
  EXPECT_EQ(CheckMount("/a:/b:ro", &target), "");
  EXPECT_EQ(target, "/b");
  EXPECT_NE(CheckMount("/a:/b:ro:x", &target), "");
}

}  // namespace
}  // namespace ironward::spec
