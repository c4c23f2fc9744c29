// `ironward down`: tearing down what one state directory created, as reconcilers with the same
// observe -> diff -> plan -> apply contract, run by the same engine (so a dry run, the plan, the
// recap and the exit codes are those of `reconcile`). Their desired state is "gone":
//
//   sandboxes  the containers labelled ironward.dev/owner=<metadata.name> are removed; wired
//              containers and any other container on the sandbox network are listed, never touched
//   daemon     the supervised iron-proxy (and strays of this state dir) is stopped
//   network    the sandbox network (only when labelled ironward's and nothing else is attached)
//              and the firewall table, when this state dir loaded it (firewall.json), are removed
//   host_firewall  the ufw / firewalld accepts this state dir added (host-firewall.json) are removed
//   state      --purge only: every file in the state directory (CA, tokens, binary, secrets,
//              status) is removed, leaving it empty
// Without --purge the CA, the tokens and the binary stay: a later `reconcile` brings the same
// gateway back, with the same tokens and CA.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "reconcilers/reconciler.h"

namespace ironward::teardown {

inline constexpr const char* kDownMarker = "down";  ///< status.json section `ironward down` writes

/// In execution order: sandboxes, daemon, network, host_firewall, then state when `purge`.
std::vector<std::unique_ptr<Reconciler>> MakeTeardownReconcilers(bool purge);

}  // namespace ironward::teardown
