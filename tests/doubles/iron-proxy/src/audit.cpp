#include "proxy.h"

namespace irondouble {

void EmitAudit(const AuditRecord& rec) {
  Level level = Level::kInfo;
  if (!rec.error.empty()) level = Level::kError;
  else if (rec.action == "reject") level = Level::kWarn;
  if (!LevelEnabled(level)) return;
  Json attrs = Json::object();
  Json audit = Json::object();
  audit["host"] = rec.host;
  audit["method"] = rec.method;
  audit["path"] = rec.path;
  audit["remote_addr"] = rec.remote_addr;
  audit["sni"] = rec.sni;
  audit["mode"] = rec.mode;
  audit["action"] = rec.error.empty() ? rec.action : "error";
  audit["status_code"] = rec.status_code;
  audit["duration_ms"] = DurationMs(rec.micros);
  attrs["audit"] = audit;
  if (rec.tunnel != nullptr) {
    Json t = Json::object();
    t["target"] = rec.tunnel->target;
    if (!rec.tunnel->traces.empty()) {
      Json arr = Json::array();
      for (const auto& tr : rec.tunnel->traces) arr.push_back(tr.ToJson());
      t["request_transforms"] = arr;
    }
    attrs["tunnel"] = t;
  }
  if (rec.error.empty() && (rec.action == "reject" || rec.action == "stub")) {
    for (const auto& tr : rec.request_traces) {
      if (tr.action == rec.action) {
        attrs[rec.action == "reject" ? "rejected_by" : "stubbed_by"] = tr.name;
        break;
      }
    }
  }
  if (!rec.error.empty()) attrs["error"] = rec.error;
  auto traces = [](const std::vector<Trace>& v) {
    Json arr = Json::array();
    for (const auto& tr : v) arr.push_back(tr.ToJson());
    return arr;
  };
  if (!rec.request_traces.empty()) attrs["request_transforms"] = traces(rec.request_traces);
  if (!rec.response_traces.empty()) attrs["response_transforms"] = traces(rec.response_traces);
  Log(level, "request", attrs);
}

}  // namespace irondouble
