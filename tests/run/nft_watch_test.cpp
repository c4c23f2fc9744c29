#include "controller/run/nft_watch.h"

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "reconcilers/network/libnft_runner.h"

namespace ironward::run {
namespace {

/// Datagrams as the kernel sends them: nlmsghdr, nfgenmsg, attributes, each 4-byte aligned.
class Datagram {
 public:
  /// An object message (NEWTABLE, DELRULE...) naming its table in attribute 1.
  Datagram& Object(int msg, int family, const std::string& table) {
    std::vector<unsigned char> attrs = Attribute(NFTA_TABLE_NAME, table.c_str(), table.size() + 1);
    return Message(msg, family, attrs);
  }
  /// The batch's closing NEWGEN, made by task `pid`.
  Datagram& NewGen(std::uint32_t pid) {
    const std::uint32_t be_pid = htonl(pid);
    const std::uint32_t be_gen = htonl(77);
    std::vector<unsigned char> attrs = Attribute(NFTA_GEN_ID, &be_gen, sizeof be_gen);
    const auto second = Attribute(NFTA_GEN_PROC_PID, &be_pid, sizeof be_pid);
    attrs.insert(attrs.end(), second.begin(), second.end());
    return Message(NFT_MSG_NEWGEN, AF_UNSPEC, attrs);
  }
  const std::vector<unsigned char>& bytes() const { return bytes_; }

 private:
  static std::vector<unsigned char> Attribute(int type, const void* value, std::size_t size) {
    nlattr a{};
    a.nla_len = static_cast<std::uint16_t>(sizeof a + size);
    a.nla_type = static_cast<std::uint16_t>(type);
    std::vector<unsigned char> out(sizeof a + size);
    std::memcpy(out.data(), &a, sizeof a);
    std::memcpy(out.data() + sizeof a, value, size);
    out.resize((out.size() + 3) & ~std::size_t{3}, 0);
    return out;
  }
  Datagram& Message(int msg, int family, const std::vector<unsigned char>& attrs) {
    nlmsghdr h{};
    h.nlmsg_len = static_cast<std::uint32_t>(sizeof h + sizeof(nfgenmsg) + attrs.size());
    h.nlmsg_type = static_cast<std::uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | msg);
    nfgenmsg g{};
    g.nfgen_family = static_cast<std::uint8_t>(family);
    const std::size_t at = bytes_.size();
    bytes_.resize(at + h.nlmsg_len);
    std::memcpy(bytes_.data() + at, &h, sizeof h);
    std::memcpy(bytes_.data() + at + sizeof h, &g, sizeof g);
    std::memcpy(bytes_.data() + at + sizeof h + sizeof g, attrs.data(), attrs.size());
    return *this;
  }
  std::vector<unsigned char> bytes_;
};

constexpr std::uint32_t kOurs = 100;
constexpr std::uint32_t kTheirs = 200;

NftChangeFilter Filter() {
  return NftChangeFilter(NFPROTO_INET, "ironward", [](pid_t tid) { return tid == static_cast<pid_t>(kOurs); });
}

bool Feed(NftChangeFilter& f, const Datagram& d) { return f.Feed(d.bytes().data(), d.bytes().size()); }

TEST(NftChangeFilterTest, ABatchFromAnotherProcessTouchingOurTableIsReported) {
  auto f = Filter();
  EXPECT_TRUE(Feed(f, Datagram().Object(NFT_MSG_DELTABLE, NFPROTO_INET, "ironward").NewGen(kTheirs)));
  // `flush ruleset` in someone's nftables.conf: other tables first, ours among them.
  EXPECT_TRUE(Feed(f, Datagram()
                          .Object(NFT_MSG_DELTABLE, NFPROTO_IPV4, "filter")
                          .Object(NFT_MSG_DELCHAIN, NFPROTO_INET, "ironward")
                          .Object(NFT_MSG_DELTABLE, NFPROTO_INET, "firewalld")
                          .NewGen(kTheirs)));
}

TEST(NftChangeFilterTest, OurOwnBatchesAndOtherTablesAreNot) {
  auto f = Filter();
  EXPECT_FALSE(Feed(f, Datagram().Object(NFT_MSG_NEWTABLE, NFPROTO_INET, "ironward").NewGen(kOurs)))
      << "a pass loading the table must not trigger another pass";
  EXPECT_FALSE(Feed(f, Datagram().Object(NFT_MSG_NEWRULE, NFPROTO_INET, "firewalld").NewGen(kTheirs)));
  EXPECT_FALSE(Feed(f, Datagram().Object(NFT_MSG_NEWRULE, NFPROTO_IPV4, "ironward").NewGen(kTheirs)))
      << "ip ironward is not inet ironward";
  EXPECT_FALSE(Feed(f, Datagram().Object(NFT_MSG_NEWTABLE, NFPROTO_INET, "ironward2").NewGen(kTheirs)));
  // Our batch leaves nothing behind for the next one.
  EXPECT_FALSE(Feed(f, Datagram().NewGen(kTheirs)));
}

TEST(NftChangeFilterTest, ABatchSplitOverDatagramsIsReportedWhenItEnds) {
  auto f = Filter();
  EXPECT_FALSE(Feed(f, Datagram().Object(NFT_MSG_DELRULE, NFPROTO_INET, "ironward")));
  EXPECT_FALSE(Feed(f, Datagram().Object(NFT_MSG_NEWRULE, NFPROTO_IPV4, "nat")));
  EXPECT_TRUE(Feed(f, Datagram().NewGen(kTheirs)));
}

TEST(NftChangeFilterTest, TruncatedOrForeignDatagramsAreIgnoredSafely) {
  auto f = Filter();
  const Datagram whole = Datagram().Object(NFT_MSG_DELTABLE, NFPROTO_INET, "ironward").NewGen(kTheirs);
  for (std::size_t cut = 0; cut < whole.bytes().size(); ++cut) {
    auto g = Filter();
    EXPECT_FALSE(g.Feed(whole.bytes().data(), cut)) << "cut at " << cut;
  }
  std::vector<unsigned char> junk(64, 0xff);
  EXPECT_FALSE(f.Feed(junk.data(), junk.size()));
}

// The kernel for real: another process (the nft program) changing a table is reported, this
// process changing it through libnftables is not. Needs CAP_NET_ADMIN; uses its own table name so
// it never meets ironward's, and removes it on every path.
TEST(NftTableWatchTest, TheKernelsNotificationsOfAnotherProcessAreReportedOursAreNot) {
  const std::string table = "iwwatch" + std::to_string(::getpid());
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (CAP_NET_ADMIN) for nftables notifications";
  auto watch = NftTableWatch::Open(NFPROTO_INET, table);
  ASSERT_TRUE(watch.ok()) << watch.error().message;
  struct Cleanup {
    std::string table;
    ~Cleanup() { (void)std::system(("nft delete table inet " + table + " 2>/dev/null").c_str()); }
  } cleanup{table};
  NftTableWatch& w = **watch;

  // Netlink multicast is queued to the socket during the commit, before nft returns: one Drain reads it.
  ASSERT_EQ(std::system(("nft add table inet " + table).c_str()), 0);
  EXPECT_TRUE(w.Drain());
  EXPECT_FALSE(w.Drain()) << "read once";

  netfilter::LibNftRunner ours;  // in this process, as a pass loads the table
  ASSERT_EQ(ours.Run({"nft", "add", "chain", "inet", table, "c"}, std::chrono::seconds(5)).exit_code, 0);
  ASSERT_EQ(std::system(("nft add table inet other" + table + " && nft delete table inet other" + table).c_str()), 0);
  EXPECT_FALSE(w.Drain()) << "neither this process's batch nor another table's counts";

  ASSERT_EQ(std::system(("nft delete table inet " + table).c_str()), 0);
  EXPECT_TRUE(w.Drain());
}

}  // namespace
}  // namespace ironward::run
