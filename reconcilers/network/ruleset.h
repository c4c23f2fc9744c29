// The sandbox network's firewall rules, and how an observed table is compared with them.
//
// Containers on the sandbox bridge may reach only the proxy's tunnel and http ports on the
// gateway address. Everything else they send to the host (input hook: DNS, ssh, the metadata
// address, other ports, other host addresses) or through it (forward hook: the internet, other
// Docker networks, the LAN) is dropped. A drop in our base chain is final whatever other tables
// (Docker's, the host's) accept, so these rules hold regardless of other firewall software.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "reconcilers/network/firewall.h"
#include "state/result.h"

namespace ironward::netfilter {

/// enforcement.routing dns/both: a sandbox's DNS (UDP 53), HTTP (TCP 80) and HTTPS (TCP
/// 443) to any address off its own subnet are DNATed to the proxy's listeners on the gateway, so
/// tools that ignore proxy variables still go through the proxy (and DNS never leaves the host).
struct DnsSteering {
  std::string subnet;  ///< the sandbox network ("172.30.99.0/24"): traffic inside it is not steered
  std::uint16_t dns_port = 0;    ///< the proxy's dns.listen port (UDP)
  std::uint16_t http_port = 0;   ///< http_listen (plain HTTP by Host)
  std::uint16_t https_port = 0;  ///< https_listen (TLS by SNI)
};

struct SandboxRulesInput {
  std::string bridge;   ///< host interface of the sandbox network ("iw-1a2b3c4d")
  std::string gateway;  ///< its IPv4 address (where the proxy listens)
  std::vector<std::uint16_t> allowed_ports;  ///< the proxy's tunnel and http ports
  std::optional<DnsSteering> steering = std::nullopt;  ///< nullopt: routing proxy-variables (no nat chain)
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
