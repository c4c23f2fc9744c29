#include "reconcilers/facts.h"

#include <algorithm>
#include <stdexcept>

namespace ironward {

FactsView FactsView::For(std::string_view reader, const std::vector<std::string_view>& readable) const {
  FactsView view(*facts_);
  view.reader_ = std::string(reader);
  view.readable_.assign(readable.begin(), readable.end());
  return view;
}

void FactsView::Check(std::string_view resource, bool publish) const {
  if (!reader_ || *reader_ == resource) return;
  const std::string who = *reader_;
  const std::string what = "\"" + std::string(resource) + "\"";
  if (publish) {
    throw std::logic_error(who + " publishes the facts of " + what + ", which only the " + std::string(resource) +
                           " reconciler publishes");
  }
  if (std::find(readable_.begin(), readable_.end(), resource) != readable_.end()) return;
  throw std::logic_error(who + " reads the facts of " + what + " but does not declare it: add " + what +
                         " to its DependsOn() (or AlsoReads() when it must not wait for " + std::string(resource) +
                         " to be Ready)");
}

}  // namespace ironward
