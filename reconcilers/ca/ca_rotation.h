// Staged CA rotation (docs/ca.md): the pieces the policy needs besides the live pair.
//
// Sandboxes trust ca-trust.pem (0644), never ca.crt directly. A rotation walks three phases,
// one per reconcile pass, each only after the previous pass converged:
//
//   stable   bundle = active CA                      (ca.crt/ca.key)
//   staged   bundle = active + next                  (ca-next.crt/ca-next.key minted; proxy
//            still signs with the active CA; sandboxes recycle to trust both)
//   switched bundle = previous + active (same bytes)  (ca-next.* renamed over ca.*, the old pair
//            kept as ca-prev.*; the proxy restarts and signs with the new CA)
//   stable   bundle = new CA only                    (ca-prev.* archived and removed; sandboxes
//            recycle again)
//
// The phase is never stored: it is what the files say (ca-next.* present = staged, ca-prev.*
// present = switched). The gate for switch and drop is status.json: the last apply run had
// every resource Ready and recorded, in the CA's details, the phase and bundle digest that are
// on disk now.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "state/state_dir.h"

namespace ironward::ca {

inline constexpr const char* kNextCertFile = "ca-next.crt";
inline constexpr const char* kNextKeyFile = "ca-next.key";
inline constexpr const char* kPrevCertFile = "ca-prev.crt";
inline constexpr const char* kPrevKeyFile = "ca-prev.key";
inline constexpr const char* kTrustBundleFile = "ca-trust.pem";
/// After a rotation phase was applied, `ironward run` should look again this soon.
inline constexpr std::chrono::seconds kRotationRequeue{5};

enum class Phase { kStable, kStaged, kSwitched };
std::string_view ToString(Phase p);

/// What status.json says about the last apply run: the gate for switching and dropping.
struct LastRun {
  bool found = false;        ///< status.json has a run with a "ca" resource
  bool converged = false;    ///< every resource Ready and the run's result "converged"
  std::string not_ready;     ///< why not converged, in words
  std::string phase;         ///< ca details "rotation_phase" of that run
  std::string bundle_digest; ///< ca details "trust_bundle_digest" of that run
};

/// Reads the gate from status.json. Never fails: unreadable/corrupt status = not converged.
LastRun ReadLastRun(const state::StateReader& state);

/// "" when `last` converged with `phase` and `bundle_digest`, else why the gate is closed.
std::string GateClosedReason(const LastRun& last, Phase phase, const std::string& bundle_digest);

/// The trust bundle: `older` then `newer` (each ending in exactly one newline), or just `older`
/// when `newer` is empty. The bytes only depend on the two certificates, so the staged and the
/// switched bundle (old + new either way) are identical and sandboxes do not recycle at the switch.
std::string Bundle(std::string_view older, std::string_view newer = "");

}  // namespace ironward::ca
