#include "pipeline.h"

#include "version.h"

#include <chrono>
#include <set>

namespace irondouble {
namespace {

// Registered at the pretended version but not emulated: they let every request through.
class PassThrough : public Transform {
 public:
  explicit PassThrough(std::string name) : name_(std::move(name)) {}
  std::string Name() const override { return name_; }
  Action OnRequest(TxRequest&, Annotations&, std::string*) override { return Action::kContinue; }

 private:
  std::string name_;
};

const char* ActionName(Action a) {
  switch (a) {
    case Action::kContinue: return "allow";
    case Action::kReject: return "reject";
    case Action::kStub: return "stub";
  }
  return "unknown";
}

}  // namespace

Json Trace::ToJson() const {
  Json j = Json::object();
  j["name"] = name;
  j["action"] = action;
  j["duration_ms"] = DurationMs(micros);
  if (!error.empty()) j["error"] = error;
  if (!annotations.empty()) {
    Json a = Json::object();
    for (const auto& [k, v] : annotations) a[k] = v;
    j["annotations"] = a;
  }
  return j;
}

PipelineOutcome Pipeline::ProcessRequest(TxRequest& req, std::vector<Trace>* traces) const {
  PipelineOutcome out;
  for (const auto& t : transforms_) {
    auto start = std::chrono::steady_clock::now();
    Annotations notes;
    std::string err;
    Action a = t->OnRequest(req, notes, &err);
    Trace tr;
    tr.name = t->Name();
    tr.micros = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
    tr.annotations = std::move(notes);
    if (!err.empty()) {
      tr.action = "error";
      tr.error = err;
      traces->push_back(tr);
      out.kind = PipelineOutcome::kError;
      out.error = "transform " + t->Name() + " request: " + err;
      return out;
    }
    tr.action = ActionName(a);
    traces->push_back(tr);
    if (a != Action::kContinue) {
      out.kind = PipelineOutcome::kReject;
      out.short_circuit = ActionName(a);
      return out;
    }
  }
  return out;
}

std::vector<Trace> Pipeline::ResponseTraces() const {
  std::vector<Trace> out;
  for (const auto& t : transforms_) {
    Trace tr;
    tr.name = t->Name();
    tr.action = "allow";
    out.push_back(tr);
  }
  return out;
}

std::string Pipeline::Names() const {
  std::string out;
  for (std::size_t i = 0; i < transforms_.size(); ++i) {
    if (i) out += " \xE2\x86\x92 ";
    out += transforms_[i]->Name();
  }
  return out;
}

std::shared_ptr<const Pipeline> BuildPipeline(const std::vector<TransformConfig>& configs, std::string* err) {
  std::set<std::string> passthrough = {"annotate", "body_capture", "header_allowlist", "gcp_auth",
                                       "oauth_token", "hmac_sign", "grpc", "judge"};
  if (AtLeast(40)) passthrough.insert("aws_auth");
  std::vector<std::unique_ptr<Transform>> built;
  for (const auto& tc : configs) {
    std::unique_ptr<Transform> t;
    std::string ferr;
    if (tc.name == "allowlist") {
      t = NewAllowlist(tc.config, &ferr);
    } else if (tc.name == "secrets") {
      t = NewSecrets(tc.config, &ferr);
    } else if (passthrough.count(tc.name)) {
      Log(Level::kWarn, "ironward test double: transform accepted but not emulated (allows everything)",
          Json{{"transform", tc.name}});
      t = std::make_unique<PassThrough>(tc.name);
    } else {
      *err = "unknown transform " + Json(tc.name).dump() + ": unknown transform: " + Json(tc.name).dump();
      return nullptr;
    }
    if (!t) {
      *err = "initializing transform " + Json(tc.name).dump() + ": " + ferr;
      return nullptr;
    }
    built.push_back(std::move(t));
  }
  return std::make_shared<const Pipeline>(std::move(built));
}

}  // namespace irondouble
