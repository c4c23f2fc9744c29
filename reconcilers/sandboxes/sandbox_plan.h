// The pure half of the sandboxes reconciler: observed containers + desired sandboxes + wiring
// -> the steps that converge them (create / replace / delete), each with a reason.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "state/spec/spec.h"
#include "reconcilers/docker/docker_types.h"
#include "reconcilers/sandboxes/desired_containers.h"
#include "reconcilers/sandboxes/labels.h"
#include "reconcilers/sandboxes/wiring.h"
#include "state/result.h"

namespace ironward::sandboxes {

struct OwnedContainer {
  docker::ContainerSummary summary;
  ContainerLabels labels;
  std::optional<docker::ContainerInfo> info;  ///< inspected when running (drift check)
};

struct ObservedSandboxes {
  /// Why the engine could not be asked ("" = it was). Only allowed with no sandboxes declared:
  /// then nothing would be created, and pruning never runs on an empty list anyway.
  std::string no_engine;
  std::vector<OwnedContainer> owned;
  std::map<std::string, std::string> foreign;  ///< name -> id of containers ironward does not own
  std::string fingerprint;
  std::size_t inspected = 0;  ///< how many owned containers Observe inspected

  std::size_t Running() const;
};

struct Step {
  enum class Kind { kCreate, kReplace, kDelete };
  Kind kind = Kind::kCreate;
  std::string sandbox;       ///< declared name, or the label of an undeclared container
  std::string container_id;  ///< replace/delete: the container to remove
  std::string container_name;
  std::string reason;
  const spec::Sandbox* spec = nullptr;  ///< create/replace
  /// Wanted but cannot be done yet (a secretEnv secret has no value): Apply reports it as a
  /// failure of this sandbox and leaves any existing container alone.
  std::string blocked;
  std::vector<FieldChange> fields{};  ///< replace of a changed spec: what changes, field by field
};

struct SandboxDecision {
  std::vector<Step> steps;
  std::vector<std::string> warnings;
  std::map<std::string, std::string> in_sync;  ///< sandbox -> container id
  std::optional<Error> error;                  ///< refuse everything (e.g. a name taken by a foreign container)
};

/// Whether `c`'s list entry alone proves it in sync with its declared sandbox: running
/// under its own name, labels carrying the desired spec digest and posture, the image and the
/// network it should have. Such a container is inspected only by a full drift check
/// (DriftCheck::kListed); what only an inspect shows (limits, env, mounts, hardening edited out
/// of band) waits for that check. False while the wiring is pending.
bool ListProvesInSync(const DesiredContainers& desired, const OwnedContainer& c);

/// `want` is built from desired.spec.sandboxes.
SandboxDecision Decide(const spec::DesiredState& desired, const DesiredContainers& want,
                       const ObservedSandboxes& observed);

}  // namespace ironward::sandboxes
