// Per-endpoint call counter ("GET /containers/{id}/json" → 12), cheap enough to leave on;
// benchmarks and tests read it to assert how many Engine API calls a reconcile made.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace ironward::docker {

class CallStats {
 public:
  void Record(const std::string& endpoint);
  std::uint64_t Count(const std::string& endpoint) const;
  std::uint64_t Total() const;
  std::map<std::string, std::uint64_t> Snapshot() const;
  void Reset();

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::uint64_t> counts_;
};

}  // namespace ironward::docker
