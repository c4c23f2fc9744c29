// LibNftRunner (libnftables in process) against the nft program on the real kernel: the same
// table written by one is read identically by the other, a missing table looks the same to
// NftFirewall, and errors come back as text, never on our stdout/stderr. Needs root and nftables;
// skips otherwise. Tables are iwtest_lib<pid> (tests/network/cleanup.sh sweeps leftovers).
#include "reconcilers/network/libnft_runner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "reconcilers/io/process.h"
#include "reconcilers/network/nft_firewall.h"
#include "reconcilers/network/ruleset.h"

namespace ironward::netfilter {
namespace {

using ::testing::HasSubstr;
using std::chrono::milliseconds;

class LibNftRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (CAP_NET_ADMIN) for nftables";
    if (FindExecutable("nft").empty()) GTEST_SKIP() << "nft (package nftables) is not installed";
    (void)program_.Run({"nft", "delete", "table", "inet", table_}, milliseconds(5000));
  }
  void TearDown() override { (void)program_.Run({"nft", "delete", "table", "inet", table_}, milliseconds(5000)); }

  static TableSpec Table(std::vector<std::uint16_t> ports) {
    auto t = BuildSandboxTable({"iw-0a1b2c3d", "172.30.99.1", std::move(ports)});
    EXPECT_TRUE(t.ok()) << t.error().message;
    return t.ok() ? *t : TableSpec{};
  }
  static std::string Describe(const TableState& s) {
    std::string out;
    for (const auto& c : s.chains) out += c.name + "/" + c.type + "/" + c.hook + "/" + std::to_string(c.priority) + "/" + c.policy + ";";
    for (const auto& r : s.rules) out += r.chain + ":" + r.comment + ";";
    return out;
  }

  const std::string table_ = "iwtest_lib" + std::to_string(::getpid());
  LibNftRunner lib_;
  RealProcesses program_;
  NftFirewall via_lib_{lib_, table_};
  NftFirewall via_program_{program_, table_};
};

TEST_F(LibNftRunnerTest, AMissingTableIsAbsentThroughBoth) {
  auto a = via_lib_.ReadTable();
  auto b = via_program_.ReadTable();
  ASSERT_TRUE(a.ok()) << a.error().message;
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_FALSE(a->has_value());
  EXPECT_FALSE(b->has_value());
  EXPECT_TRUE(via_lib_.DeleteTable().ok()) << "deleting a missing table is not an error";
}

TEST_F(LibNftRunnerTest, WhatOneWritesTheOtherReadsTheSame) {
  ASSERT_TRUE(via_lib_.ReplaceTable(Table({9090, 9091})).ok());
  auto by_lib = via_lib_.ReadTable();
  auto by_program = via_program_.ReadTable();
  ASSERT_TRUE(by_lib.ok() && by_lib->has_value()) << (by_lib.ok() ? "absent" : by_lib.error().message);
  ASSERT_TRUE(by_program.ok() && by_program->has_value());
  EXPECT_EQ(Describe(**by_lib), Describe(**by_program));
  EXPECT_GT((*by_lib)->rules.size(), 2U);
  EXPECT_TRUE(CompareTable(Table({9090, 9091}), **by_lib).empty()) << Describe(**by_lib);

  // Replaced by the program, read by the library: the new ports' rules, the old ones gone.
  ASSERT_TRUE(via_program_.ReplaceTable(Table({7000})).ok());
  auto again = via_lib_.ReadTable();
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_TRUE(CompareTable(Table({7000}), **again).empty()) << Describe(**again);
  EXPECT_FALSE(CompareTable(Table({9090, 9091}), **again).empty());

  ASSERT_TRUE(via_lib_.DeleteTable().ok());
  auto gone = via_program_.ReadTable();
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
}

TEST_F(LibNftRunnerTest, TheDnsRoutingNatChainLoadsAndReadsBackInSync) {
  auto steered = BuildSandboxTable(
      {"iw-0a1b2c3d", "172.30.99.1", {9090, 9091}, DnsSteering{"172.30.99.0/24", 9094, 9091, 9095}});
  ASSERT_TRUE(steered.ok()) << steered.error().message;
  ASSERT_TRUE(via_lib_.ReplaceTable(*steered).ok());
  auto read = via_program_.ReadTable();
  ASSERT_TRUE(read.ok() && read->has_value()) << (read.ok() ? "absent" : read.error().message);
  EXPECT_TRUE(CompareTable(*steered, **read).empty()) << Describe(**read);
  EXPECT_NE(Describe(**read).find("prerouting/nat/prerouting/-100/accept;"), std::string::npos) << Describe(**read);
  // The kernel's own rendering of the DNAT rules (what `nft list` shows an operator).
  const auto listed = program_.Run({"nft", "list", "chain", "inet", table_, "prerouting"}, milliseconds(5000));
  ASSERT_TRUE(listed.ok()) << listed.err;
  EXPECT_NE(listed.out.find("udp dport 53 dnat ip to 172.30.99.1:9094"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("tcp dport 443 dnat ip to 172.30.99.1:9095"), std::string::npos) << listed.out;
  // Back to proxy-variables: the nat chain is gone and the comparison says so before the reload.
  EXPECT_FALSE(CompareTable(Table({9090, 9091}), **read).empty());
  ASSERT_TRUE(via_program_.ReplaceTable(Table({9090, 9091})).ok());
  auto plain = via_lib_.ReadTable();
  ASSERT_TRUE(plain.ok() && plain->has_value());
  EXPECT_TRUE(CompareTable(Table({9090, 9091}), **plain).empty()) << Describe(**plain);
}

TEST_F(LibNftRunnerTest, ErrorsComeBackAsTextLikeTheProgramsExitStatus) {
  testing::internal::CaptureStdout();
  testing::internal::CaptureStderr();
  const auto r = lib_.Run({"nft", "list", "table", "inet", table_}, milliseconds(1000));
  const auto bad = lib_.Run({"nft", "add", "rule", "inet", table_, "nochain", "this", "is", "not", "nft"}, milliseconds(1000));
  const std::string out = testing::internal::GetCapturedStdout();
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(r.outcome, CommandResult::Outcome::kExited);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("No such file or directory"));
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_FALSE(bad.err.empty());
  EXPECT_EQ(out, "") << "nothing on our stdout";
  EXPECT_EQ(err, "") << "nothing on our stderr";

  EXPECT_EQ(lib_.Run({"iptables", "-L"}, milliseconds(1000)).outcome, CommandResult::Outcome::kNotFound);
  EXPECT_EQ(lib_.Run({"nft"}, milliseconds(1000)).exit_code, 2);
}

}  // namespace
}  // namespace ironward::netfilter
