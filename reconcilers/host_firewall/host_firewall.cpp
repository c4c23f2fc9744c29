#include "reconcilers/host_firewall/host_firewall.h"

#include <algorithm>
#include <sstream>

namespace ironward::hostfw {

namespace {

std::string Join(const std::vector<int>& ports) {
  std::string out;
  for (int p : ports) out += (out.empty() ? "" : ",") + std::to_string(p);
  return out;
}

Result<std::vector<int>> Ports(const nlohmann::json& list) {
  std::vector<int> out;
  for (const auto& p : list) {
    if (!p.is_number_integer() || p.get<int>() < 1 || p.get<int>() > 65535) return Error::Terminal("bad port");
    out.push_back(p.get<int>());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

std::string Opening::PortList() const { return Join(ports); }
std::string Opening::UdpPortList() const { return Join(udp_ports); }

std::string Opening::Describe() const {
  return bridge + " -> " + gateway + ":" + PortList() + "/tcp" + (udp_ports.empty() ? "" : ", " + UdpPortList() + "/udp");
}

nlohmann::json Opening::ToJson() const {
  nlohmann::json j = {{"bridge", bridge}, {"subnet", subnet}, {"gateway", gateway}, {"ports", ports}, {"owner", owner}};
  if (!udp_ports.empty()) j["udp_ports"] = udp_ports;  // only then: older records stay byte-identical
  return j;
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
  auto tcp = Ports(j["ports"]);
  if (!tcp) return tcp.error();
  o.ports = *tcp;
  if (j.contains("udp_ports")) {
    if (!j["udp_ports"].is_array()) return Error::Terminal("'udp_ports' is not a list");
    auto udp = Ports(j["udp_ports"]);
    if (!udp) return udp.error();
    o.udp_ports = *udp;
  }
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
