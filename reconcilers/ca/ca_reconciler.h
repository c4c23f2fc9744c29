// The local CA iron-proxy signs leaf certificates with (ca.crt 0644, ca.key 0600 in the state
// directory) and the trust bundle sandboxes mount (ca-trust.pem 0644). A present, valid CA is
// never regenerated. A ca.rotation bump or renewal time runs the staged rotation of
// ca_rotation.h (stage next -> switch -> drop old, one phase per converged pass); an expired CA
// or one iron-proxy would refuse is replaced at once (disruptive), archiving the old pair.
//
// Crash safety of the immediate replace (kill -9 at any step converges, a valid CA is never
// regenerated):
//   1. archive the old pair to ca-archive/ca-r<rotation>-<UTC>.{crt 0644,key 0600}
//   2. stage the new pair as ca.new.key (0600 from its first byte) + ca.new.crt
//   3. swap: ca.key <- staged key, then ca.crt <- staged cert (each temp+fsync+rename)
//   4. remove ca.new.*, write ca-trust.pem
// A later Observe that finds a usable staged pair while the live pair needs replacing (or is
// half-swapped) completes the swap instead of minting again; leftovers next to a usable live
// pair are removed. The staged rotation's own order is in docs/ca.md.
#pragma once

#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "reconcilers/ca/ca_policy.h"
#include "reconcilers/reconciler.h"

namespace ironward::ca {

class CaReconciler final : public ResourceReconciler<ObservedCa> {
 public:
  std::string_view Name() const override { return "ca"; }

 protected:
  /// Re-observes first; does nothing when already in sync.
  /// Refuses (kRetry, "StalePlan") when the files moved since `plan` was made.
  Outcome DoApply(ReconcileContext& ctx, const ResourcePlan& plan, WriteDeps& deps) override;
  Result<ObservedCa> Observe(const ReconcileContext& ctx, const ReadDeps& deps) const override;
  /// Publishes CaFacts (pending when a new CA will be minted).
  ResourcePlan Diff(ReconcileContext& ctx, const ObservedCa& observed, const Clock& clock) const override;
};

/// Status details of the installed CA (StatusDetails of ca.crt), nullopt when there is none.
/// Errors when ca.crt is a symlink, foreign-owned or unreadable garbage.
Result<std::optional<nlohmann::json>> ReadCaStatus(const state::StateReader& state, const spec::CaSpec& spec);

}  // namespace ironward::ca
