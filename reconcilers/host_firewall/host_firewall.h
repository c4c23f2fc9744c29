// HostFirewall: the host's own firewall front ends (ufw, firewalld), through their own
// interfaces, for the one accept the sandbox network needs.
//
// With enforcement.network: internal the sandboxes reach the proxy at the sandbox network's
// gateway through the bridge. A host firewall with default-deny incoming (ufw's `deny (incoming)`,
// a firewalld zone whose target is not ACCEPT) drops that traffic in its own base chain, where
// ironward's table inet ironward cannot override it: an nftables accept only ends its own chain.
// So ironward asks the firewall itself to accept exactly that traffic (an Opening): a ufw rule, or
// firewalld rich rules in the zone the bridge's traffic is dispatched to, runtime and permanent.
//
// UfwFirewall and FirewalldFirewall (ufw.h, firewalld.h) are the real ones, running the tools'
// CLIs through the CommandRunner seam; Observe/Plan get only their read half
// (HostFirewallReader); tests use tests/host_firewall/fake_host_firewall.h.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "state/result.h"

namespace ironward::hostfw {

/// The one accept ironward needs: TCP in on the sandbox bridge, from the sandbox subnet, to the
/// gateway's proxy ports; with enforcement.routing dns/both also the https port (TCP) and the
/// proxy's DNS port (UDP).
struct Opening {
  std::string bridge;      ///< host interface of the sandbox network ("iw-1a2b3c4d")
  std::string subnet;      ///< enforcement.networkSubnet
  std::string gateway;     ///< its .1, where the proxy listens
  std::vector<int> ports;  ///< TCP: tunnelPort, httpPort (+ httpsPort), ascending, no duplicates
  std::string owner;       ///< metadata.name: ufw's rule comment is "ironward <owner>"
  std::vector<int> udp_ports;  ///< UDP: dnsPort with DNS routing; [] otherwise (and in older records)

  bool operator==(const Opening&) const = default;
  /// "iw-1a2b3c4d -> 172.30.99.1:9090,9091/tcp" (", 9094/udp" with UDP ports)
  std::string Describe() const;
  /// "9090,9091"
  std::string PortList() const;
  /// "9094" (the UDP ports)
  std::string UdpPortList() const;
  nlohmann::json ToJson() const;
  static Result<Opening> FromJson(const nlohmann::json& j);
};

/// Whitespace-separated words of one line of a tool's output.
std::vector<std::string> SplitWords(const std::string& line);

enum class Tool { kUfw, kFirewalld };
std::string_view ToolName(Tool tool);

/// What one tool says about the opening.
struct ToolState {
  bool installed = false;  ///< its CLI exists (not installed: nothing else is meaningful)
  bool active = false;     ///< ufw "Status: active"; firewalld running
  bool blocks = false;     ///< absent an accept, it drops or rejects this traffic
  bool admitted = false;   ///< an accept for exactly this opening is present (ironward's or not)
  std::string where;       ///< firewalld: the zone the bridge's traffic goes through ("" for ufw)
  std::string detail;      ///< one line for plans and doctor ("active, default deny (incoming)")
};

/// The read half: what Observe/Plan get (ReadDeps::host_firewalls).
class HostFirewallReader {
 public:
  virtual ~HostFirewallReader() = default;
  virtual Tool Kind() const = 0;
  /// Errors: the tool is installed but cannot be read (not root, timeout): transient.
  virtual Result<ToolState> Observe(const Opening& opening) = 0;
  /// What the tool's own files and processes show without running its CLI, when that is enough:
  /// ufw and firewalld are Python programs, each run costs 150-350 ms, more than the rest of a
  /// no-op pass. Only ever answers "installed and inactive" (exactly what Observe would say);
  /// nullopt means "ask the CLI". Passes that must be thorough (run's drift check) skip it.
  virtual std::optional<ToolState> Glance() const { return std::nullopt; }
};

/// The reads plus the changes: what Apply gets (WriteDeps::host_firewalls).
class HostFirewall : public HostFirewallReader {
 public:
  /// Adds the accept (idempotent). `where`: the zone Observe reported (firewalld).
  virtual Status Allow(const Opening& opening, const std::string& where) = 0;
  /// Removes the accept ironward added (idempotent: Ok when it is already gone).
  virtual Status Revoke(const Opening& opening, const std::string& where) = 0;
};

}  // namespace ironward::hostfw
