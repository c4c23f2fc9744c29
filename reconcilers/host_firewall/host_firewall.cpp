#include "reconcilers/host_firewall/host_firewall.h"

#include <algorithm>
#include <sstream>

namespace ironward::hostfw {

std::string Opening::PortList() const {
  std::string out;
  for (int p : ports) out += (out.empty() ? "" : ",") + std::to_string(p);
  return out;
}

std::string Opening::Describe() const { return bridge + " -> " + gateway + ":" + PortList() + "/tcp"; }

nlohmann::json Opening::ToJson() const {
  return {{"bridge", bridge}, {"subnet", subnet}, {"gateway", gateway}, {"ports", ports}, {"owner", owner}};
}

Result<Opening> Opening::FromJson(const nlohmann::json& j) {
  if (!j.is_object()) return Error::Terminal("not an object");
  Opening o;
  for (const char* key : {"bridge", "subnet", "gateway", "owner"}) {
    if (!j.contains(key) || !j[key].is_string()) return Error::Terminal(std::string("missing string '") + key + "'");
  }
  o.bridge = j["bridge"].get<std::string>();
  o.subnet = j["subnet"].get<std::string>();
  o.gateway = j["gateway"].get<std::string>();
  o.owner = j["owner"].get<std::string>();
  if (!j.contains("ports") || !j["ports"].is_array()) return Error::Terminal("missing list 'ports'");
  for (const auto& p : j["ports"]) {
    if (!p.is_number_integer() || p.get<int>() < 1 || p.get<int>() > 65535) return Error::Terminal("bad port");
    o.ports.push_back(p.get<int>());
  }
  std::sort(o.ports.begin(), o.ports.end());
  return o;
}

std::vector<std::string> SplitWords(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::string_view ToolName(Tool tool) { return tool == Tool::kUfw ? "ufw" : "firewalld"; }

}  // namespace ironward::hostfw
