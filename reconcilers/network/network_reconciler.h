// NetworkReconciler: the sandbox network (enforcement.network: internal).
//
// Desired, when internal: a Docker bridge network `enforcement.networkName` with Internal=true, the
// configured subnet and its .1 gateway (the address the proxy binds with bind: sandbox-network), a
// fixed host bridge name and ironward's ownership labels; the nftables table `inet ironward`
// (ruleset.h) confining that bridge to the proxy ports; and every running sandbox ironward owns
// (label ironward.dev/owner=<metadata.name>) attached to that network and to no other. Drift in any of them (rule or table removed, network
// deleted or changed, sandbox detached or attached elsewhere) is planned and healed.
// When none: our table is removed, and our network too once no container is attached to it.
// "Our" table: the one this state dir loaded (it records that in firewall.json, 0600). The table is
// host-wide; a table inet ironward that another state dir made (a second ironward, a test, a stale
// host) is left alone with a warning instead of being torn down by an instance that never wanted it.
//
// Publishes NetworkFacts (pending while the network is still to be created) when internal.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "reconcilers/docker/docker_types.h"
#include "reconcilers/network/firewall.h"
#include "reconcilers/network/ruleset.h"
#include "reconcilers/reconciler.h"

namespace ironward::network {

inline constexpr const char* kManagedLabel = "ironward.dev/managed";
inline constexpr const char* kRoleLabel = "ironward.dev/role";
inline constexpr const char* kRoleSandboxNetwork = "sandbox-network";
/// The sandboxes reconciler's owner label (reconcilers/sandboxes/labels.h kOwnerLabel):
/// containers with ironward.dev/owner=<metadata.name> are the sandboxes this network confines.
inline constexpr const char* kOwnerLabel = "ironward.dev/owner";
/// State file recording that this state dir loaded the table inet ironward (see above).
inline constexpr const char* kFirewallOwnerFile = "firewall.json";

/// Labels marking the network as ironward's.
docker::Labels NetworkLabels();
/// The network carries NetworkLabels() (ironward made it).
bool OwnedNetwork(const docker::NetworkInfo& n);
/// Plan identities of the sandbox network and of the firewall table (reconcile and down share them).
inline constexpr const char* kNetworkType = "ironward_network";
inline constexpr const char* kFirewallType = "ironward_firewall";
std::string NetworkAddress(const std::string& name);
std::string TableAddress();
/// The host bridge name ironward gives the network: "iw-" + 8 hex of sha256(name).
std::string BridgeNameFor(const std::string& network_name);
/// The host interface of an existing network (its bridge-name option, else Docker's br-<id12>).
std::string BridgeOf(const docker::NetworkInfo& network);

struct ObservedNetwork {
  bool internal_wanted = false;
  std::optional<docker::NetworkInfo> network;         ///< inspected (with attached containers)
  std::optional<netfilter::TableState> table;         ///< inet ironward
  bool table_ours = false;                            ///< firewall.json: this state dir loaded it
  std::vector<docker::ContainerSummary> sandboxes;    ///< running containers we own (kOwnerLabel)
  std::vector<std::string> warnings;                  ///< for the plan (none so far from Observe)
  std::string fingerprint;
};

/// What has to happen to reach the desired state (computed by Diff and again by Apply).
struct NetworkActions {
  enum class NetOp { kNone, kCreate, kReplace, kDelete };
  NetOp network = NetOp::kNone;
  std::string network_reason;
  enum class TableOp { kNone, kReplace, kDelete };
  TableOp table = TableOp::kNone;
  std::string table_reason;
  struct Attach {
    std::string container_id;
    std::string container_name;
    std::string network;  ///< the network to connect to / disconnect from
    bool connect = true;
  };
  std::vector<Attach> attachments;
  std::vector<std::string> warnings;

  std::string gateway;
  std::string bridge;  ///< observed, or the one the network will get
  std::optional<netfilter::TableSpec> desired_table;
  bool Empty() const { return network == NetOp::kNone && table == TableOp::kNone && attachments.empty(); }
};

/// The firewall's inputs for `spec` on this bridge and gateway: the proxy's tunnel and http ports,
/// and with enforcement.routing dns/both the DNAT of DNS, 80 and 443 to its dns/http/https ports.
netfilter::SandboxRulesInput RulesInputFor(const spec::Spec& spec, const std::string& bridge, const std::string& gateway);

/// Pure: desired + observed -> actions. Invalid-spec errors (bad subnet) come back as Error.
Result<NetworkActions> ComputeActions(const spec::Spec& spec, const ObservedNetwork& observed);

class NetworkReconciler final : public ResourceReconciler<ObservedNetwork> {
 public:
  std::string_view Name() const override { return "network"; }

 protected:
  Outcome DoApply(ReconcileContext& ctx, const ResourcePlan& plan, WriteDeps& deps) override;
  Result<ObservedNetwork> Observe(const ReconcileContext& ctx, const ReadDeps& deps) const override;
  ResourcePlan Diff(ReconcileContext& ctx, const ObservedNetwork& observed, const Clock& clock) const override;
};

}  // namespace ironward::network
