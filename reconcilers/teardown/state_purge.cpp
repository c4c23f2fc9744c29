#include "reconcilers/teardown/state_purge.h"

#include <algorithm>
#include <filesystem>

#include "state/encoding.h"

namespace ironward::teardown {
namespace {

/// What a reviewer reads in the plan: the files that matter by name.
std::string Describe(const std::vector<std::string>& entries) {
  std::string named;
  for (const char* f : {"ca.key", "ca.crt", "mappings.json", "bin", "secrets", "status.json"}) {
    if (std::find(entries.begin(), entries.end(), f) != entries.end()) named += (named.empty() ? "" : ", ") + std::string(f);
  }
  return std::to_string(entries.size()) + " entr" + (entries.size() == 1 ? "y" : "ies") +
         (named.empty() ? "" : " (" + named + ")");
}

}  // namespace

Result<ObservedStateDir> StatePurge::Observe(const ReconcileContext&, const ReadDeps& deps) const {
  ObservedStateDir o;
  std::error_code ec;
  if (std::filesystem::exists(deps.state.root(), ec)) {
    for (std::filesystem::directory_iterator it(deps.state.root(), ec), end; !ec && it != end; it.increment(ec)) {
      o.entries.push_back(it->path().filename().string());
    }
    if (ec) return Error::Transient("listing " + deps.state.root().string() + ": " + ec.message());
  }
  std::sort(o.entries.begin(), o.entries.end());
  std::string fp;
  for (const auto& e : o.entries) fp += e + "\n";
  o.fingerprint = Sha256Hex(fp);
  return o;
}

ResourcePlan StatePurge::Diff(ReconcileContext&, const ObservedStateDir& o, const Clock&) const {
  ResourcePlan plan;
  plan.observed_fingerprint = o.fingerprint;
  plan.desired_digest = "purged";
  if (o.entries.empty()) return plan;
  Change c;
  c.action = Action::kDelete;
  c.address = "state.dir";
  c.type = "ironward_state";
  c.disruptive = true;
  c.reason = "--purge: remove " + Describe(o.entries) +
             "; a later reconcile mints new tokens and a new CA (sandboxes must trust the new CA)";
  c.before = {{"entries", o.entries}};
  c.after = nullptr;
  plan.changes.push_back(std::move(c));
  return plan;
}

Outcome StatePurge::DoApply(ReconcileContext& ctx, const ResourcePlan&, WriteDeps& deps) {
  auto observed = Observe(ctx, deps.Read());
  if (!observed) return Outcome::Failed(observed.error(), "ObserveFailed");
  int removed = 0;
  for (const auto& e : observed->entries) {
    std::error_code ec;
    std::filesystem::remove_all(deps.state.root() / e, ec);  // symlinks are removed, never followed
    if (ec) return Outcome::Failed(Error::Transient("removing " + e + ": " + ec.message()), "PurgeFailed");
    ++removed;
  }
  return Outcome::Done(removed, "removed " + std::to_string(removed) + " entr" + (removed == 1 ? "y" : "ies") +
                                    " from " + deps.state.root().string());
}

}  // namespace ironward::teardown
