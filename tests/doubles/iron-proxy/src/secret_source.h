// Secret sources for the secrets transform: env (lazy, per request), file (>= 0.42), and the
// cloud sources, which the double accepts but cannot reach. Values are cached like
// iron-proxy's cachedValue: success until ttl (0 = forever), failures for failure_ttl (1m).
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace irondouble {

class SecretSource {
 public:
  using Fetch = std::function<bool(std::string* value, std::string* err)>;
  SecretSource(std::string name, long long ttl_ns, long long failure_ttl_ns, Fetch fetch, std::string json_key);

  // Builds a source from a `source:` node; nullptr with *err (Go-shaped) on failure.
  static std::shared_ptr<SecretSource> Build(const YAML::Node& node, std::string* err);

  const std::string& name() const { return name_; }
  bool Get(std::string* value, std::string* err);

 private:
  bool GetRaw(std::string* value, std::string* err);

  std::string name_;
  long long ttl_ns_, failure_ttl_ns_;
  Fetch fetch_;
  std::string json_key_;
  std::mutex mu_;
  bool initialized_ = false;
  std::string value_, last_err_;
  std::chrono::steady_clock::time_point expires_{};
};

}  // namespace irondouble
