#include "reconcilers/network/ruleset.h"

#include <arpa/inet.h>

#include <algorithm>
#include <map>
#include <utility>

#include "state/encoding.h"
#include "state/spec/validators.h"

namespace ironward::netfilter {
namespace {

RuleSpec Rule(const std::string& chain, const std::string& id, std::string text) {
  const std::string hash = Sha256Hex(chain + "|" + text).substr(0, 12);
  return RuleSpec{std::move(text), "ironward " + id + " " + hash};
}

std::string PortSet(std::vector<std::uint16_t> ports) {
  std::sort(ports.begin(), ports.end());
  ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
  std::string set;
  for (auto p : ports) set += (set.empty() ? "" : ", ") + std::to_string(p);
  return set;
}

/// enforcement.routing dns/both: DNAT of the sandbox's DNS (UDP), HTTP and HTTPS to the proxy. Traffic
/// to another sandbox (same subnet, not the gateway) is left alone, whether or not bridged
/// packets reach this hook (br_netfilter).
ChainSpec SteeringChain(const std::string& br, const std::string& gateway, const DnsSteering& st) {
  // Priority -100 (dstnat): the usual place for DNAT, so the filter chains see the new address.
  ChainSpec nat{"prerouting", "prerouting", -100, "accept", {}, "nat"};
  const auto rule = [&](const std::string& id, const std::string& text) {
    nat.rules.push_back(Rule("prerouting", id, "iifname " + br + " " + text));
  };
  rule("steer-skip-peers", "ip daddr " + st.subnet + " ip daddr != " + gateway + " return");
  const std::string dns = gateway + ":" + std::to_string(st.dns_port);
  // iron-proxy's DNS server is UDP only (every supported version), so only UDP is steered; TCP
  // 53 anywhere stays dropped like any other port (its answers never need TCP: one A record).
  rule("steer-dns", "udp dport 53 dnat ip to " + dns);
  rule("steer-http", "tcp dport 80 dnat ip to " + gateway + ":" + std::to_string(st.http_port));
  rule("steer-https", "tcp dport 443 dnat ip to " + gateway + ":" + std::to_string(st.https_port));
  return nat;
}

}  // namespace

bool IsInterfaceName(const std::string& name) {
  if (name.empty() || name.size() > 15) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '-';
  });
}

Result<TableSpec> BuildSandboxTable(const SandboxRulesInput& in) {
  if (!IsInterfaceName(in.bridge)) return Error::Invalid("firewall: '" + in.bridge + "' is not an interface name");
  in_addr addr{};
  if (::inet_pton(AF_INET, in.gateway.c_str(), &addr) != 1) {
    return Error::Invalid("firewall: gateway '" + in.gateway + "' is not an IPv4 address");
  }
  if (in.allowed_ports.empty()) return Error::Invalid("firewall: no proxy ports to allow");
  std::vector<std::uint16_t> tcp_ports = in.allowed_ports;
  if (in.steering) {
    if (!spec::ParseIpv4Cidr(in.steering->subnet)) {  // the loader's own parser
      return Error::Invalid("firewall: subnet '" + in.steering->subnet + "' is not an IPv4 CIDR");
    }
    if (in.steering->dns_port == 0 || in.steering->http_port == 0 || in.steering->https_port == 0) {
      return Error::Invalid("firewall: DNS routing needs the proxy's dns, http and https ports");
    }
    tcp_ports.push_back(in.steering->https_port);
    tcp_ports.push_back(in.steering->http_port);
  }
  const std::string port_set = PortSet(tcp_ports);
  const std::string br = "\"" + in.bridge + "\"";

  // Priority -5: ahead of Docker's and the host's filter chains (0), so our counters see every
  // packet we drop. A drop is final whatever the order; an accept here overrides nobody's drop.
  ChainSpec input{"input", "input", -5, "accept", {}};
  // Replies to connections the host opened (and ICMP errors about them).
  input.rules.push_back(Rule("input", "input-established", "iifname " + br + " ct state established,related accept"));
  input.rules.push_back(
      Rule("input", "input-proxy", "iifname " + br + " ip daddr " + in.gateway + " tcp dport { " + port_set + " } accept"));
  if (in.steering) {
    input.rules.push_back(Rule("input", "input-proxy-dns",
                               "iifname " + br + " ip daddr " + in.gateway + " udp dport " +
                                   std::to_string(in.steering->dns_port) + " accept"));
  }
  // Everything else from a sandbox to the host: other ports, other host addresses, DNS, IPv6.
  input.rules.push_back(Rule("input", "input-drop", "iifname " + br + " counter drop"));
  // The proxy has no authentication of its own (a proxy token only names a provider): its ports on
  // the gateway address are for sandboxes, not for containers on other Docker networks or LAN peers
  // that route to that host address (they arrive on docker0, br-…, eth0). The host itself reaches
  // it over lo.
  input.rules.push_back(Rule("input", "input-proxy-foreign",
                             "iifname != \"lo\" iifname != " + br + " ip daddr " + in.gateway + " tcp dport { " +
                                 port_set + " } counter drop"));
  if (in.steering) {
    input.rules.push_back(Rule("input", "input-proxy-dns-foreign",
                               "iifname != \"lo\" iifname != " + br + " ip daddr " + in.gateway + " udp dport " +
                                   std::to_string(in.steering->dns_port) + " counter drop"));
  }

  ChainSpec forward{"forward", "forward", -5, "accept", {}};
  // Through the host to anywhere else (internet, LAN, other Docker networks), both directions.
  // Sandbox-to-sandbox traffic on the same bridge is not routed and stays allowed.
  forward.rules.push_back(Rule("forward", "forward-drop-out", "iifname " + br + " oifname != " + br + " counter drop"));
  forward.rules.push_back(Rule("forward", "forward-drop-in", "oifname " + br + " iifname != " + br + " counter drop"));

  TableSpec table;
  table.chains.push_back(std::move(input));
  table.chains.push_back(std::move(forward));
  if (in.steering) table.chains.push_back(SteeringChain(br, in.gateway, *in.steering));
  return table;
}

std::vector<std::string> CompareTable(const TableSpec& desired, const TableState& observed) {
  std::vector<std::string> diffs;
  std::map<std::string, const ObservedChain*> chains;
  for (const auto& c : observed.chains) chains[c.name] = &c;
  for (const auto& want : desired.chains) {
    auto it = chains.find(want.name);
    if (it == chains.end()) {
      diffs.push_back("chain " + want.name + " is missing");
      continue;
    }
    const ObservedChain& got = *it->second;
    if (got.hook != want.hook || got.priority != want.priority || got.policy != want.policy || got.type != want.type) {
      diffs.push_back("chain " + want.name + " is " + got.type + " hook " + got.hook + " priority " + std::to_string(got.priority) +
                      " policy " + got.policy + ", want " + want.type + " hook " + want.hook + " priority " +
                      std::to_string(want.priority) + " policy " + want.policy);
    }
    chains.erase(it);
  }
  for (const auto& [name, chain] : chains) diffs.push_back("unexpected chain " + name);

  std::map<std::pair<std::string, std::string>, int> counts;  // (chain, comment) -> desired - observed
  for (const auto& c : desired.chains) {
    for (const auto& r : c.rules) ++counts[{c.name, r.comment}];
  }
  for (const auto& r : observed.rules) --counts[{r.chain, r.comment}];
  for (const auto& [key, n] : counts) {
    const std::string what = key.second.empty() ? "(no comment)" : "'" + key.second + "'";
    if (n > 0) diffs.push_back("rule " + what + " missing from chain " + key.first);
    if (n < 0) diffs.push_back("unexpected rule " + what + " in chain " + key.first);
  }
  return diffs;
}

}  // namespace ironward::netfilter
