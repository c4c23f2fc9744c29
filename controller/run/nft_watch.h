// Follows the kernel's nftables change notifications (netlink group NFNLGRP_NFTABLES, what
// `nft monitor` reads) for ironward's table `inet ironward`. Without it, `systemctl restart
// nftables` (Debian's /etc/nftables.conf begins with `flush ruleset`), an `nft delete table inet
// ironward` or a rule deleted by hand would leave the sandboxes unconfined until the next drift
// check (spec.reconcile.interval, 10 min by default).
//
// The kernel closes each committed batch with a NEWGEN message naming the task that made it;
// batches made by this process (a pass loading the table through libnftables) are not reported,
// so a pass does not trigger another.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "state/result.h"

namespace ironward::run {

/// The netlink messages of the nftables group, one datagram at a time: remembers whether the
/// batch being read touched `family table` (its table, chains, rules, sets...) and says so when
/// the batch's NEWGEN arrives from a task that is not ours. Pure: tests feed it crafted datagrams.
class NftChangeFilter {
 public:
  /// `is_self(tid)`: whether the task that made a batch belongs to this process.
  NftChangeFilter(int family, std::string table, std::function<bool(pid_t)> is_self);
  /// True when a batch from another process that touched the table ended in this datagram.
  bool Feed(const void* data, std::size_t size);

 private:
  int family_;
  std::string table_;
  std::function<bool(pid_t)> is_self_;
  bool touched_ = false;
};

class NftTableWatch {
 public:
  /// Subscribes to the nftables group. Fails without CAP_NET_ADMIN or netlink support; the caller
  /// then relies on the drift check.
  static Result<std::unique_ptr<NftTableWatch>> Open(int family, const std::string& table);
  ~NftTableWatch();
  NftTableWatch(const NftTableWatch&) = delete;
  NftTableWatch& operator=(const NftTableWatch&) = delete;

  /// For the event loop: readable when notifications are waiting.
  int fd() const { return fd_; }
  /// Reads every waiting datagram (never blocks). True when another process changed the table,
  /// or when notifications were lost (the socket's buffer overflowed: assume it did).
  bool Drain();

 private:
  NftTableWatch(int fd, int family, const std::string& table);
  int fd_;
  NftChangeFilter filter_;
};

/// Whether `tid` is one of this process's threads (/proc/self/task/<tid>).
bool IsThreadOfThisProcess(pid_t tid);

}  // namespace ironward::run
