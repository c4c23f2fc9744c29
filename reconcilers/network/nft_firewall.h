// NftFirewall: the real Firewall, driving nftables through a CommandRunner: in production
// LibNftRunner (libnftables in process), in tests also the nft program (RealProcesses, reconcilers/io/process.h).
//
// Reads with `nft -j list table inet ironward`, writes with `nft -f FILE` (one atomic transaction
// that creates, flushes and refills only our table), deletes with `nft delete table inet ironward`.
// Through RealProcesses every nft run gets a minimal environment (PATH, LC_ALL=C), no stdin and
// a timeout, like the harden survey's commands.
#pragma once

#include <chrono>
#include <string>
#include <utility>

#include "reconcilers/io/command_runner.h"
#include "reconcilers/network/firewall.h"

namespace ironward::netfilter {

class NftFirewall final : public Firewall {
 public:
  /// `table` is kTableName in production; integration tests use their own name so they never
  /// touch a real installation's table.
  explicit NftFirewall(CommandRunner& runner, std::string table = kTableName,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10))
      : runner_(runner), table_(std::move(table)), timeout_(timeout) {}

  Result<std::optional<TableState>> ReadTable() override;
  Status ReplaceTable(const TableSpec& table) override;
  Status DeleteTable() override;

 private:
  CommandRunner& runner_;
  std::string table_;
  std::chrono::milliseconds timeout_;
};

/// The nft script that atomically replaces our table with `table`. Invalid (terminal) when a
/// rule or comment could break out of its statement (newlines, quotes, braces, semicolons).
Result<std::string> RenderNftScript(const TableSpec& table, const std::string& table_name = kTableName);

/// Parses `nft -j list table inet ironward` output.
Result<TableState> ParseNftTableJson(const std::string& json_text);

}  // namespace ironward::netfilter
