// The transform pipeline: request-phase transforms in list order, traces for the audit log,
// and an atomically swappable holder for /v1/reload.
#pragma once

#include "config.h"
#include "http.h"
#include "log.h"

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace irondouble {

// What transforms see of a request; they may rewrite headers, path, query and body.
struct TxRequest {
  std::string method;
  std::string host;       // as received, with port
  std::string path;       // escaped path ("" for CONNECT)
  std::string raw_query;
  Headers* headers = nullptr;
  std::string* body = nullptr;
  std::string DecodedPath() const { return PathUnescape(path); }
};

enum class Action { kContinue, kReject, kStub };
using Annotations = std::map<std::string, Json>;  // sorted keys, like Go's JSON maps

class Transform {
 public:
  virtual ~Transform() = default;
  virtual std::string Name() const = 0;
  // Returns the action; on error returns kContinue and sets *err non-empty.
  virtual Action OnRequest(TxRequest& req, Annotations& notes, std::string* err) = 0;
};

struct Trace {
  std::string name, action, error;
  long long micros = 0;
  Annotations annotations;
  Json ToJson() const;
};

struct PipelineOutcome {
  enum Kind { kContinue, kReject, kError } kind = kContinue;
  std::string error;            // "transform X request: ..."
  std::string short_circuit;    // "reject"/"stub"
};

class Pipeline {
 public:
  explicit Pipeline(std::vector<std::unique_ptr<Transform>> transforms) : transforms_(std::move(transforms)) {}
  PipelineOutcome ProcessRequest(TxRequest& req, std::vector<Trace>* traces) const;
  // Response phase: every transform continues; returns their traces.
  std::vector<Trace> ResponseTraces() const;
  bool Empty() const { return transforms_.empty(); }
  std::string Names() const;  // "allowlist → secrets"

 private:
  std::vector<std::unique_ptr<Transform>> transforms_;
};

// buildPipeline: unknown names and factory errors produce Go-shaped messages.
std::shared_ptr<const Pipeline> BuildPipeline(const std::vector<TransformConfig>& configs, std::string* err);

class PipelineHolder {
 public:
  std::shared_ptr<const Pipeline> Load() const {
    std::lock_guard<std::mutex> lock(mu_);
    return current_;
  }
  void Store(std::shared_ptr<const Pipeline> p) {
    std::lock_guard<std::mutex> lock(mu_);
    current_ = std::move(p);
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const Pipeline> current_;
};

// Factories (defined in allowlist.cpp / secrets.cpp). Return nullptr with *err on failure.
std::unique_ptr<Transform> NewAllowlist(const YAML::Node& config, std::string* err);
std::unique_ptr<Transform> NewSecrets(const YAML::Node& config, std::string* err);

}  // namespace irondouble
