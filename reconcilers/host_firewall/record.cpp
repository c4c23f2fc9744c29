#include "reconcilers/host_firewall/record.h"

namespace ironward::hostfw {

Result<std::vector<RecordedAccept>> ReadRecord(const state::StateReader& state) {
  auto text = state.Read(kRecordFile);
  if (!text) return text.error();
  std::vector<RecordedAccept> out;
  if (!text->has_value()) return out;
  const auto doc = nlohmann::json::parse(**text, nullptr, /*allow_exceptions=*/false);
  const auto corrupt = [&](const std::string& why) {
    return Error::Terminal(state.PathOf(kRecordFile).string() + " is corrupt (" + why +
                           "); check `ufw status` / `firewall-cmd --list-all-zones` for rules commented or "
                           "sourced from the sandbox subnet, remove them, then delete the file");
  };
  if (!doc.is_object() || !doc.contains("accepts") || !doc["accepts"].is_array()) return corrupt("no 'accepts' list");
  for (const auto& a : doc["accepts"]) {
    if (!a.is_object() || !a.contains("tool") || !a["tool"].is_string()) return corrupt("an entry without 'tool'");
    RecordedAccept r;
    const std::string tool = a["tool"].get<std::string>();
    if (tool == "ufw") {
      r.tool = Tool::kUfw;
    } else if (tool == "firewalld") {
      r.tool = Tool::kFirewalld;
    } else {
      return corrupt("unknown tool '" + tool + "'");
    }
    r.where = a.value("where", "");
    auto opening = Opening::FromJson(a.value("opening", nlohmann::json()));
    if (!opening) return corrupt(opening.error().message);
    r.opening = *opening;
    out.push_back(std::move(r));
  }
  return out;
}

Status WriteRecord(state::StateWriter& state, const std::vector<RecordedAccept>& accepts) {
  if (accepts.empty()) return state.Remove(kRecordFile);
  nlohmann::json list = nlohmann::json::array();
  for (const auto& a : accepts) {
    list.push_back({{"tool", std::string(ToolName(a.tool))}, {"where", a.where}, {"opening", a.opening.ToJson()}});
  }
  return state.WriteAtomic(kRecordFile, nlohmann::json{{"accepts", list}}.dump(2) + "\n", 0600);
}

}  // namespace ironward::hostfw
