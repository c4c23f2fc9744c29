#include "reconcilers/host_firewall/firewalld.h"

#include <algorithm>
#include <sstream>

namespace ironward::hostfw {
namespace {

/// firewall-cmd's exit codes when the daemon is not running (FirewallError NOT_RUNNING), and when
/// the system bus it talks to is not there at all (DBUS_ERROR: firewalld cannot run without it).
constexpr int kNotRunning = 252;
constexpr int kDbusError = 36;

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
}

}  // namespace

Result<std::vector<FirewalldZone>> ParseFirewalldZones(const std::string& text) {
  std::vector<FirewalldZone> zones;
  std::istringstream in(text);
  bool in_rich = false;
  for (std::string line; std::getline(in, line);) {
    if (Trim(line).empty()) continue;
    if (line[0] != ' ' && line[0] != '\t') {  // "public (default, active)"
      FirewalldZone z;
      const auto paren = line.find(" (");
      z.name = Trim(line.substr(0, paren));
      zones.push_back(std::move(z));
      in_rich = false;
      continue;
    }
    if (zones.empty()) return Error::Transient("firewall-cmd --list-all-zones: a setting before any zone");
    FirewalldZone& z = zones.back();
    const std::string body = Trim(line);
    const auto colon = body.find(':');
    // Rich rules follow "rich rules:" one per line, indented by a tab.
    if (in_rich && (colon == std::string::npos || body.rfind("rule", 0) == 0)) {
      z.rich_rules.push_back(body);
      continue;
    }
    in_rich = false;
    if (colon == std::string::npos) continue;
    const std::string key = body.substr(0, colon);
    const std::string value = Trim(body.substr(colon + 1));
    if (key == "target") {
      z.target = value;
    } else if (key == "interfaces") {
      z.interfaces = SplitWords(value);
    } else if (key == "sources") {
      z.sources = SplitWords(value);
    } else if (key == "ports") {
      z.ports = SplitWords(value);
    } else if (key == "rich rules") {
      in_rich = true;
    }
  }
  if (zones.empty()) return Error::Transient("firewall-cmd --list-all-zones printed no zone");
  return zones;
}

const FirewalldZone* ZoneFor(const std::vector<FirewalldZone>& zones, const Opening& o,
                             const std::string& default_zone) {
  for (const auto& z : zones) {
    if (Contains(z.sources, o.subnet)) return &z;
  }
  for (const auto& z : zones) {
    if (Contains(z.interfaces, o.bridge)) return &z;
  }
  for (const auto& z : zones) {
    if (z.name == default_zone) return &z;
  }
  return nullptr;
}

/// Each port of the opening with its protocol, TCP first: the order RichRules follows.
std::vector<std::pair<int, std::string>> PortsWithProto(const Opening& o) {
  std::vector<std::pair<int, std::string>> out;
  for (int p : o.ports) out.emplace_back(p, "tcp");
  for (int p : o.udp_ports) out.emplace_back(p, "udp");
  return out;
}

std::vector<std::string> RichRules(const Opening& o) {
  std::vector<std::string> out;
  for (const auto& [p, proto] : PortsWithProto(o)) {
    out.push_back("rule family=\"ipv4\" source address=\"" + o.subnet + "\" destination address=\"" + o.gateway +
                  "\" port port=\"" + std::to_string(p) + "\" protocol=\"" + proto + "\" accept");
  }
  return out;
}

bool IsFirewalldCommandLine(const std::string& cmdline) {
  // The daemon is a Python script: argv[0] is the interpreter (or the script, when exec'd
  // directly) and argv[1] the script.
  std::size_t start = 0;
  for (int i = 0; i < 2 && start < cmdline.size(); ++i) {
    const std::size_t end = std::min(cmdline.find('\0', start), cmdline.size());
    const std::string arg = cmdline.substr(start, end - start);
    const std::size_t slash = arg.rfind('/');
    if (arg.substr(slash == std::string::npos ? 0 : slash + 1) == "firewalld") return true;
    start = end + 1;
  }
  return false;
}

std::optional<ToolState> FirewalldFirewall::Glance() const {
  if (files_ == nullptr || processes_ == nullptr) return std::nullopt;
  auto conf = files_->Read(conf_);
  if (!conf || !conf->has_value()) return std::nullopt;
  for (pid_t pid : processes_->ListPids()) {
    if (IsFirewalldCommandLine(processes_->ReadCommandLine(pid))) return std::nullopt;
  }
  ToolState st;
  st.installed = true;
  st.detail = "not running";
  return st;
}

Result<ToolState> FirewalldFirewall::Observe(const Opening& opening) {
  ToolState st;
  const auto r = runner_.Run({"firewall-cmd", "--list-all-zones"}, timeout_);
  if (r.outcome == CommandResult::Outcome::kNotFound) return st;
  st.installed = true;
  if (r.outcome == CommandResult::Outcome::kExited && (r.exit_code == kNotRunning || r.exit_code == kDbusError)) {
    st.detail = r.exit_code == kNotRunning ? "not running" : "not running (no system bus)";
    return st;
  }
  if (!r.ok()) return Error::Transient("firewall-cmd --list-all-zones: " + Describe(r, timeout_));
  auto zones = ParseFirewalldZones(r.out);
  if (!zones) return zones.error();
  st.active = true;
  // --list-all-zones does not mark the default zone; it is asked only when the bridge's traffic
  // is not bound to a zone by source or interface.
  std::string default_zone;
  if (ZoneFor(*zones, opening, "") == nullptr) {
    const auto d = runner_.Run({"firewall-cmd", "--get-default-zone"}, timeout_);
    if (!d.ok()) return Error::Transient("firewall-cmd --get-default-zone: " + Describe(d, timeout_));
    default_zone = SplitWords(d.out).empty() ? "" : SplitWords(d.out).front();
  }
  const FirewalldZone* zone = ZoneFor(*zones, opening, default_zone);
  if (zone == nullptr) {
    st.detail = "running, no zone for " + opening.bridge + " and no default zone";
    st.blocks = true;
    return st;
  }
  st.where = zone->name;
  st.blocks = zone->target != "ACCEPT";
  st.detail = "running, zone " + zone->name + " (target " + zone->target + ")";
  bool all = true;
  const auto rules = RichRules(opening);
  const auto ports = PortsWithProto(opening);
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const bool port_open = Contains(zone->ports, std::to_string(ports[i].first) + "/" + ports[i].second);
    all = all && (port_open || Contains(zone->rich_rules, rules[i]));
  }
  st.admitted = !st.blocks || all;
  return st;
}

Status FirewalldFirewall::Change(const std::string& verb, const Opening& opening, const std::string& zone) {
  if (zone.empty()) return Error::Terminal("firewalld: no zone to change for " + opening.Describe());
  for (bool permanent : {false, true}) {
    std::vector<std::string> argv{"firewall-cmd"};
    if (permanent) argv.push_back("--permanent");
    argv.push_back("--zone=" + zone);
    for (const auto& rule : RichRules(opening)) argv.push_back("--" + verb + "-rich-rule=" + rule);
    // ALREADY_ENABLED / NOT_ENABLED are warnings with exit 0: both calls are idempotent.
    const auto r = runner_.Run(argv, timeout_);
    if (!r.ok()) {
      return Error::Transient("firewall-cmd " + std::string(permanent ? "--permanent " : "") + "--zone=" + zone +
                              " --" + verb + "-rich-rule: " + Describe(r, timeout_));
    }
  }
  return Status::Ok();
}

Status FirewalldFirewall::Allow(const Opening& opening, const std::string& zone) {
  return Change("add", opening, zone);
}
Status FirewalldFirewall::Revoke(const Opening& opening, const std::string& zone) {
  return Change("remove", opening, zone);
}

std::string RichRuleOptions(const std::string& verb, const Opening& opening) {
  std::string options;
  for (const auto& rule : RichRules(opening)) options += " --" + verb + "-rich-rule='" + rule + "'";
  return options;
}

std::string FirewalldAllowCommand(const Opening& opening, const std::string& zone) {
  const std::string rules = RichRuleOptions("add", opening);
  const std::string z = zone.empty() ? "ZONE" : zone;
  return "firewall-cmd --zone=" + z + rules + " && firewall-cmd --permanent --zone=" + z + rules;
}

}  // namespace ironward::hostfw
