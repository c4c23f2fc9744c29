#include "state/status.h"

namespace ironward::state {

const Condition* ResourceStatus::Find(const std::string& type) const {
  for (const auto& c : conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

void ResourceStatus::SetCondition(const std::string& type, const std::string& status, const std::string& reason,
                                  const std::string& message, const std::string& now) {
  for (auto& c : conditions) {
    if (c.type == type) {
      if (c.status != status) c.last_transition_time = now;
      c.status = status;
      c.reason = reason;
      c.message = message;
      return;
    }
  }
  conditions.push_back({type, status, reason, message, now});
}

bool ResourceStatus::Ready() const {
  const Condition* c = Find("Ready");
  return c != nullptr && c->status == "True";
}

std::string ResourceStatus::DisplayState() const {
  const Condition* stalled = Find("Stalled");
  if (stalled != nullptr && stalled->status == "True") return "Stalled";
  const Condition* ready = Find("Ready");
  return ready != nullptr ? ready->status : "Unknown";
}

bool StatusDoc::AllReady() const {
  if (resources.empty()) return false;
  for (const auto& [name, r] : resources) {
    if (!r.Ready()) return false;
  }
  return true;
}

void StatusDoc::AddHistory(HistoryEntry entry) {
  history.push_back(std::move(entry));
  while (history.size() > kHistoryLimit) history.erase(history.begin());
}

namespace {

// snake_case like every other JSON ironward prints. The camelCase names of earlier versions are
// written too, as deprecated aliases (docs/plans-and-exit-codes.md), and read when the
// snake_case one is absent.
void Put(nlohmann::json& j, const char* snake, const char* camel, const nlohmann::json& value) {
  j[snake] = value;
  j[camel] = value;
}

template <class T>
T Get(const nlohmann::json& j, const char* snake, const char* camel, T fallback) {
  if (j.contains(snake)) return j.value(snake, fallback);
  return j.value(camel, fallback);
}

nlohmann::json ConditionJson(const Condition& c) {
  nlohmann::json j = {{"type", c.type}, {"status", c.status}, {"reason", c.reason}, {"message", c.message}};
  Put(j, "last_transition_time", "lastTransitionTime", c.last_transition_time);
  return j;
}

Condition ConditionFrom(const nlohmann::json& j) {
  return {j.value("type", ""), j.value("status", "Unknown"), j.value("reason", ""), j.value("message", ""),
          Get<std::string>(j, "last_transition_time", "lastTransitionTime", "")};
}

}  // namespace

nlohmann::json ToJson(const StatusDoc& doc) {
  nlohmann::json resources = nlohmann::json::object();
  for (const auto& [name, r] : doc.resources) {
    nlohmann::json conditions = nlohmann::json::array();
    for (const auto& c : r.conditions) conditions.push_back(ConditionJson(c));
    nlohmann::json entry = {{"conditions", conditions}, {"details", r.details}};
    Put(entry, "observed_digest", "observedDigest", r.observed_digest);
    Put(entry, "last_applied_digest", "lastAppliedDigest", r.last_applied_digest);
    Put(entry, "last_attempted_digest", "lastAttemptedDigest", r.last_attempted_digest);
    Put(entry, "last_reconcile_time", "lastReconcileTime", r.last_reconcile_time);
    resources[name] = std::move(entry);
  }
  nlohmann::json history = nlohmann::json::array();
  for (const auto& h : doc.history) {
    nlohmann::json entry = {{"time", h.time},     {"revision", h.revision}, {"result", h.result},
                            {"changed", h.changed}, {"failed", h.failed}};
    Put(entry, "desired_digest", "desiredDigest", h.desired_digest);
    Put(entry, "duration_seconds", "durationSeconds", h.duration_seconds);
    history.push_back(std::move(entry));
  }
  nlohmann::json out = {{"version", doc.version},   {"desired", {{"name", doc.desired_name}, {"path", doc.desired_path}, {"paths", doc.desired_paths}, {"digest", doc.desired_digest}}},
                        {"updated", doc.updated},   {"resources", resources},
                        {"history", history}};
  for (const auto& [k, v] : doc.extra.items()) out[k] = v;
  return out;
}

namespace {

StatusDoc FromJson(const nlohmann::json& j) {
  StatusDoc doc;
  doc.version = j.at("version").get<int>();
  const auto& desired = j.at("desired");
  doc.desired_name = desired.value("name", "");
  doc.desired_path = desired.value("path", "");
  if (desired.contains("paths") && desired["paths"].is_array()) {
    for (const auto& p : desired["paths"]) {
      if (p.is_string()) doc.desired_paths.push_back(p.get<std::string>());
    }
  } else if (!doc.desired_path.empty()) {
    doc.desired_paths = {doc.desired_path};  // written before overlays
  }
  doc.desired_digest = desired.value("digest", "");
  doc.updated = j.value("updated", "");
  for (const auto& [name, r] : j.at("resources").items()) {
    ResourceStatus rs;
    for (const auto& c : r.at("conditions")) rs.conditions.push_back(ConditionFrom(c));
    rs.observed_digest = Get<std::string>(r, "observed_digest", "observedDigest", "");
    rs.last_applied_digest = Get<std::string>(r, "last_applied_digest", "lastAppliedDigest", "");
    rs.last_attempted_digest = Get<std::string>(r, "last_attempted_digest", "lastAttemptedDigest", "");
    rs.last_reconcile_time = Get<std::string>(r, "last_reconcile_time", "lastReconcileTime", "");
    rs.details = r.value("details", nlohmann::json::object());
    doc.resources[name] = std::move(rs);
  }
  for (const auto& h : j.value("history", nlohmann::json::array())) {
    doc.history.push_back({h.value("time", ""), Get<std::string>(h, "desired_digest", "desiredDigest", ""),
                           h.value("revision", ""), Get<double>(h, "duration_seconds", "durationSeconds", 0.0),
                           h.value("result", ""), h.value("changed", 0), h.value("failed", 0)});
  }
  for (const auto& [k, v] : j.items()) {
    if (k != "version" && k != "desired" && k != "updated" && k != "resources" && k != "history") doc.extra[k] = v;
  }
  return doc;
}

}  // namespace

Result<LoadedStatus> LoadStatus(const StateReader& reader) {
  auto text = reader.Read(kStatusFile);
  if (!text) return text.error();
  LoadedStatus loaded;
  if (!text->has_value()) return loaded;
  try {
    const auto j = nlohmann::json::parse(**text);
    const int version = j.at("version").get<int>();
    if (version != kStatusVersion) {
      loaded.warning = "status.json has format version " + std::to_string(version) + " (this ironward writes " +
                       std::to_string(kStatusVersion) + "); starting a fresh status";
      return loaded;
    }
    loaded.doc = FromJson(j);
  } catch (const std::exception& e) {
    loaded.doc = StatusDoc{};
    loaded.warning = std::string("status.json is corrupt (") + e.what() + "); starting a fresh status";
  }
  return loaded;
}

Status SaveStatus(StateWriter& writer, const StatusDoc& doc) {
  return writer.WriteAtomic(kStatusFile, ToJson(doc).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n", 0600);
}

}  // namespace ironward::state
