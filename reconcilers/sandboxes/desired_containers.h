// What every declared sandbox should be under one wiring, worked out once per pass.
//
// Observe's list-proven check, Diff's desired digest, Decide and the plan's details all need each
// sandbox's spec digest (a JSON serialisation of the whole spec, hashed) and its create body. Asked
// separately they computed the digest about five times per sandbox per pass, which was most of a
// list-proven pass's CPU; here each is computed once and looked up by name.
#pragma once

#include <cstddef>
#include <string>
#include <unordered_map>
#include <vector>

#include "reconcilers/docker/docker_types.h"
#include "reconcilers/sandboxes/wiring.h"
#include "state/spec/spec.h"

namespace ironward::sandboxes {

/// One declared sandbox under the wiring.
struct WantedContainer {
  const spec::Sandbox* sandbox = nullptr;
  std::string spec_digest;                  ///< SpecDigest(); "" while the sandbox network is pending
  SecretEnvState secret_env;                ///< SecretEnvOf()
  docker::ContainerCreateSpec create;       ///< BuildCreateSpec(); holds token and secretEnv values
};

/// Holds the wiring it was built from (a copy) and refers to `declared`, which must outlive it and
/// not change meanwhile (the desired state of one pass).
class DesiredContainers {
 public:
  DesiredContainers(const std::vector<spec::Sandbox>& declared, EgressWiring wiring);

  const EgressWiring& wiring() const { return wiring_; }
  /// The declared sandbox named `name`, or nullptr.
  const WantedContainer* Find(const std::string& name) const;
  /// `sandbox` must be one of `declared`.
  const WantedContainer& Of(const spec::Sandbox& sandbox) const;
  const std::vector<WantedContainer>& all() const { return wanted_; }

 private:
  EgressWiring wiring_;
  std::vector<WantedContainer> wanted_;               ///< in declared order
  std::unordered_map<std::string, std::size_t> by_name_;
};

}  // namespace ironward::sandboxes
