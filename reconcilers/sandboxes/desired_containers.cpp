#include "reconcilers/sandboxes/desired_containers.h"

#include <stdexcept>

#include "reconcilers/sandboxes/container_spec.h"

namespace ironward::sandboxes {

DesiredContainers::DesiredContainers(const std::vector<spec::Sandbox>& declared, EgressWiring wiring)
    : wiring_(std::move(wiring)) {
  wanted_.reserve(declared.size());
  for (const spec::Sandbox& s : declared) {
    WantedContainer w{&s, SpecDigest(s, wiring_), SecretEnvOf(s, wiring_), {}};
    w.create = BuildCreateSpec(s, wiring_, w.spec_digest, w.secret_env);
    by_name_.emplace(s.name, wanted_.size());  // names are unique (the loader refuses duplicates)
    wanted_.push_back(std::move(w));
  }
}

const WantedContainer* DesiredContainers::Find(const std::string& name) const {
  const auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &wanted_[it->second];
}

const WantedContainer& DesiredContainers::Of(const spec::Sandbox& sandbox) const {
  if (const WantedContainer* w = Find(sandbox.name); w != nullptr && w->sandbox == &sandbox) return *w;
  for (const WantedContainer& w : wanted_) {  // a hand-built list with a repeated name
    if (w.sandbox == &sandbox) return w;
  }
  // A programming error: every caller passes an element of the declared list it was built from.
  throw std::logic_error("DesiredContainers::Of: sandbox '" + sandbox.name + "' is not one of the declared list");
}

}  // namespace ironward::sandboxes
