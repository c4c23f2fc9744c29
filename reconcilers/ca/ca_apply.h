// The CA reconciler's writing half (internal to reconcilers/ca): archive, stage, swap.
#pragma once

#include <string>
#include <string_view>

#include "reconcilers/ca/ca_policy.h"

namespace ironward::ca {

struct Applied {
  std::string message;   ///< what was done, in words (no key material)
  std::string cert_pem;  ///< the ca.crt now installed
};

/// Carries out `decision` (which must not be in sync) against the state directory, in the
/// crash-safe order documented in ca_reconciler.h.
Result<Applied> Execute(const Decision& decision, const ObservedCa& observed, const spec::CaSpec& spec,
                        std::string_view gateway_name, state::StateWriter& writer, SystemTime now);

/// Copies the live pair into ca-archive/ca-r<rotation>-<UTC>.{crt,key} unless an identical copy is
/// already there (a retried rotation archives once). Returns the archive base name.
Result<std::string> ArchivePair(state::StateWriter& writer, const CaPair& live, SystemTime now);

}  // namespace ironward::ca
