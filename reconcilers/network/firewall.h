// Firewall: the narrow host packet-filter seam the network reconciler uses.
//
// ironward owns exactly one nftables table, `inet ironward`, and never reads or writes any
// other table. The whole table is replaced atomically (one nft transaction), so a half-applied
// rule set is never visible. Observe/Plan get only its read half (FirewallReader). NftFirewall
// (nft_firewall.h) is the real one; tests use tests/network/fake_firewall.h.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "state/result.h"

namespace ironward::netfilter {

inline constexpr const char* kTableFamily = "inet";
inline constexpr const char* kTableName = "ironward";

/// One rule: its nft statement text (e.g. `iifname "br0" drop`) and a comment that names it.
/// The comment is how an observed rule is matched to a desired one (see ruleset.h).
struct RuleSpec {
  std::string text;
  std::string comment;
};

/// A base chain of our table.
struct ChainSpec {
  std::string name;           ///< "input", "forward", "prerouting"
  std::string hook;           ///< "input", "forward", "prerouting"
  int priority = 0;           ///< 0 = filter
  std::string policy = "accept";
  std::vector<RuleSpec> rules;
  std::string type = "filter";  ///< "filter" | "nat" (the DNS-routing DNAT chain)
};

/// The whole desired table.
struct TableSpec {
  std::vector<ChainSpec> chains;
  std::size_t RuleCount() const;
};

/// What is in the table now, as nft reports it.
struct ObservedChain {
  std::string name;
  std::string type;    ///< "filter" | "nat"
  std::string hook;    ///< "" for a regular chain
  int priority = 0;
  std::string policy;  ///< "" for a regular chain
};
struct ObservedRule {
  std::string chain;
  std::string comment;  ///< "" when the rule has none (not one of ours)
};
struct TableState {
  std::vector<ObservedChain> chains;
  std::vector<ObservedRule> rules;
};

/// The read half: what Observe/Plan get (ReadDeps::firewall).
class FirewallReader {
 public:
  virtual ~FirewallReader() = default;
  /// Our table, or nullopt when it does not exist. Errors: nft missing or failing (transient).
  virtual Result<std::optional<TableState>> ReadTable() = 0;
};

/// The read plus the changes: what Apply gets (WriteDeps::firewall).
class Firewall : public FirewallReader {
 public:
  /// Replaces our table with `table` in one transaction (creates it when absent).
  virtual Status ReplaceTable(const TableSpec& table) = 0;
  /// Deletes our table; Ok when it is already gone.
  virtual Status DeleteTable() = 0;
};

}  // namespace ironward::netfilter
