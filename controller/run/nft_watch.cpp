#include "controller/run/nft_watch.h"

#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace ironward::run {

namespace {

// Netlink lays out headers and attributes on 4-byte boundaries (NLMSG_ALIGN / NLA_ALIGN; the
// macros themselves are C casts this build refuses).
constexpr std::size_t Align4(std::size_t n) { return (n + 3) & ~static_cast<std::size_t>(3); }

/// Calls `on(type, value, length)` for each attribute in [p, p + size).
template <typename F>
void ForEachAttribute(const unsigned char* p, std::size_t size, F on) {
  std::size_t off = 0;
  while (off + sizeof(nlattr) <= size) {
    nlattr a{};
    std::memcpy(&a, p + off, sizeof a);
    if (a.nla_len < sizeof(nlattr) || off + a.nla_len > size) return;
    on(a.nla_type & NLA_TYPE_MASK, p + off + Align4(sizeof(nlattr)), a.nla_len - Align4(sizeof(nlattr)));
    off += Align4(a.nla_len);
  }
}

}  // namespace

NftChangeFilter::NftChangeFilter(int family, std::string table, std::function<bool(pid_t)> is_self)
    : family_(family), table_(std::move(table)), is_self_(std::move(is_self)) {}

bool NftChangeFilter::Feed(const void* data, std::size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  bool report = false;
  std::size_t off = 0;
  while (off + sizeof(nlmsghdr) <= size) {
    nlmsghdr h{};
    std::memcpy(&h, bytes + off, sizeof h);
    if (h.nlmsg_len < sizeof(nlmsghdr) || off + h.nlmsg_len > size) break;
    const unsigned char* payload = bytes + off + Align4(sizeof(nlmsghdr));
    const std::size_t payload_size = h.nlmsg_len - Align4(sizeof(nlmsghdr));
    off += Align4(h.nlmsg_len);
    if ((h.nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES || payload_size < sizeof(nfgenmsg)) continue;
    nfgenmsg g{};
    std::memcpy(&g, payload, sizeof g);
    const unsigned char* attrs = payload + Align4(sizeof(nfgenmsg));
    const std::size_t attrs_size = payload_size - Align4(sizeof(nfgenmsg));
    if ((h.nlmsg_type & 0xff) == NFT_MSG_NEWGEN) {
      pid_t by = 0;
      ForEachAttribute(attrs, attrs_size, [&](int type, const unsigned char* value, std::size_t length) {
        if (type != NFTA_GEN_PROC_PID || length < sizeof(std::uint32_t)) return;
        std::uint32_t be = 0;
        std::memcpy(&be, value, sizeof be);
        by = static_cast<pid_t>(ntohl(be));
      });
      if (touched_ && !(by > 0 && is_self_(by))) report = true;
      touched_ = false;
      continue;
    }
    if (g.nfgen_family != family_) continue;
    // Every object's table name is attribute 1 (NFTA_TABLE_NAME, NFTA_CHAIN_TABLE,
    // NFTA_RULE_TABLE, NFTA_SET_TABLE, ...), a NUL-terminated string.
    ForEachAttribute(attrs, attrs_size, [&](int type, const unsigned char* value, std::size_t length) {
      if (type != NFTA_TABLE_NAME) return;
      const char* text = reinterpret_cast<const char*>(value);
      if (std::string_view(text, ::strnlen(text, length)) == table_) touched_ = true;
    });
  }
  return report;
}

bool IsThreadOfThisProcess(pid_t tid) {
  return ::access(("/proc/self/task/" + std::to_string(tid)).c_str(), F_OK) == 0;
}

Result<std::unique_ptr<NftTableWatch>> NftTableWatch::Open(int family, const std::string& table) {
  const int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_NETFILTER);
  if (fd < 0) return Error::Transient(std::string("netlink socket: ") + std::strerror(errno));
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  const int group = NFNLGRP_NFTABLES;
  // Room for a burst (a ruleset reload, Docker's own rules): an overflow is reported as a change.
  const int buffer = 1 << 20;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
      ::setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) != 0) {
    const int err = errno;
    ::close(fd);
    return Error::Transient(std::string("subscribing to nftables notifications: ") + std::strerror(err));
  }
  (void)::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  return std::unique_ptr<NftTableWatch>(new NftTableWatch(fd, family, table));
}

NftTableWatch::NftTableWatch(int fd, int family, const std::string& table)
    : fd_(fd), filter_(family, table, IsThreadOfThisProcess) {}

NftTableWatch::~NftTableWatch() { ::close(fd_); }

bool NftTableWatch::Drain() {
  std::vector<unsigned char> buffer(1 << 16);
  bool changed = false;
  while (true) {
    const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
    if (n > 0) {
      changed = filter_.Feed(buffer.data(), static_cast<std::size_t>(n)) || changed;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == ENOBUFS) {  // notifications were dropped: one of them may have been ours
      changed = true;
      continue;
    }
    return changed;  // EAGAIN: nothing more waiting
  }
}

}  // namespace ironward::run
