#include "reconcilers/docker/call_stats.h"

namespace ironward::docker {

void CallStats::Record(const std::string& endpoint) {
  std::lock_guard<std::mutex> lock(mu_);
  ++counts_[endpoint];
}

std::uint64_t CallStats::Count(const std::string& endpoint) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = counts_.find(endpoint);
  return it == counts_.end() ? 0 : it->second;
}

std::uint64_t CallStats::Total() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::uint64_t total = 0;
  for (const auto& [k, n] : counts_) total += n;
  return total;
}

std::map<std::string, std::uint64_t> CallStats::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_;
}

void CallStats::Reset() {
  std::lock_guard<std::mutex> lock(mu_);
  counts_.clear();
}

}  // namespace ironward::docker
