// LibNftRunner: runs `nft ...` command lines in process through libnftables (the library the nft
// program is a thin front end of) instead of forking /usr/sbin/nft.
//
// Why: every pass reads the table (`nft -j list table inet ironward`); a fork + exec of nft costs
// about 20 ms (its own start-up and library loading), which was the largest single item of a
// no-op pass and of a heal under `ironward run`. The in-process call takes well under 1 ms.
//
// It speaks the CommandRunner seam NftFirewall already uses, for the three forms NftFirewall
// issues: `nft [-j] <command words>` and `nft -f FILE`. Output and errors are captured in buffers
// (nothing reaches our stdout/stderr); a failure is reported like the program's: exit 1 and the
// library's error text (e.g. "No such file or directory" for a missing table). The timeout is not
// enforced: the calls are netlink round trips to the local kernel, not a process that can hang.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "reconcilers/io/command_runner.h"

namespace ironward::netfilter {

class LibNftRunner final : public CommandRunner {
 public:
  /// argv[0] must be "nft"; anything else is kNotFound (this runner runs nothing else).
  CommandResult Run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) override;
  /// Opens libnftables now instead of at the first Run (thread-safe; see LibraryPreload).
  static void Preload();
};

}  // namespace ironward::netfilter
