// The sandbox network's firewall rules, and how an observed table is compared with them.
//
// Containers on the sandbox bridge may reach only the proxy's tunnel and http ports on the
// gateway address. Everything else they send to the host (input hook: DNS, ssh, the metadata
// address, other ports, other host addresses) or through it (forward hook: the internet, other
// Docker networks, the LAN) is dropped. A drop in our base chain is final whatever other tables
// (Docker's, the host's) accept, so these rules hold regardless of other firewall software.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "reconcilers/network/firewall.h"
#include "state/result.h"

namespace ironward::netfilter {

struct SandboxRulesInput {
  std::string bridge;   ///< host interface of the sandbox network ("iw-1a2b3c4d")
  std::string gateway;  ///< its IPv4 address (where the proxy listens)
  std::vector<std::uint16_t> allowed_ports;  ///< the proxy's tunnel and http ports
};

/// The desired table. Each rule's comment is "ironward <id> <hash>", the hash covering the
/// chain and the rule text, so a rule whose meaning changed no longer matches by comment.
/// Invalid when the bridge name or gateway could not be a real interface/address.
Result<TableSpec> BuildSandboxTable(const SandboxRulesInput& in);

/// Differences between the desired table and what nft reports, in words; empty = in sync.
/// Compares chains (hook, priority, policy) and rules by (chain, comment) as multisets, so an
/// extra rule added by hand, a missing one and a changed chain policy are all drift.
std::vector<std::string> CompareTable(const TableSpec& desired, const TableState& observed);

/// Valid Linux interface name: 1-15 of [A-Za-z0-9_.-].
bool IsInterfaceName(const std::string& name);

}  // namespace ironward::netfilter
