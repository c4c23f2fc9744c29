// host-firewall: what would drop sandbox -> proxy traffic on the sandbox bridge.
#include <sstream>

#include <nlohmann/json.hpp>

#include "controller/doctor/checks.h"
#include "reconcilers/host_firewall/firewalld.h"
#include "reconcilers/host_firewall/host_firewall_reconciler.h"
#include "reconcilers/host_firewall/ufw.h"

namespace ironward::doctor {
namespace {

constexpr std::chrono::milliseconds kTimeout{3000};

struct Findings {
  std::string detail;
  std::string fix;
  bool warn = false;
  std::string seen;         ///< the tools that are installed ("ufw, nftables")
  bool ufw_active = false;  ///< its chains are judged by ufw's own rules, not as raw nftables
  void Saw(const std::string& tool) { seen += (seen.empty() ? "" : ", ") + tool; }
  void Attribute(hostfw::Tool tool) { ufw_active = ufw_active || tool == hostfw::Tool::kUfw; }
  void Add(const std::string& what, const std::string& how) {
    detail += (detail.empty() ? "" : "; ") + what;
    fix += (fix.empty() ? "" : "; ") + how;
    warn = true;
  }
};

std::string Unknown(const std::string& tool, const CommandResult& r) {
  return tool + " could not be checked (" + Describe(r, kTimeout) + ")";
}

/// ufw and firewalld through the same observation the host_firewall reconciler makes.
void CheckTools(CommandRunner& runner, const spec::DesiredState& desired, const hostfw::Opening& opening,
                const Hints& hints, Findings& f) {
  hostfw::UfwFirewall ufw(runner, kTimeout);
  hostfw::FirewalldFirewall firewalld(runner, kTimeout);
  const bool managed = desired.spec.enforcement.host_firewall == spec::HostFirewallMode::kAuto;
  for (hostfw::HostFirewall* tool : std::vector<hostfw::HostFirewall*>{&ufw, &firewalld}) {
    const std::string name(hostfw::ToolName(tool->Kind()));
    auto st = tool->Observe(opening);
    if (!st) {
      f.Saw(name);
      f.Add(name + " could not be checked (" + st.error().message + ")",
            "run doctor as root, or add: " + hostfw::AllowCommand(tool->Kind(), opening, ""));
      continue;
    }
    if (!st->installed) continue;
    f.Saw(name);
    if (st->active && st->blocks) f.Attribute(tool->Kind());
    if (!st->active || !st->blocks || st->admitted) continue;
    const std::string by_hand = hostfw::AllowCommand(tool->Kind(), opening, st->where);
    f.Add(name + " is " + st->detail + " and has no accept for " + opening.Describe(),
          managed ? hints.Reconcile() + "   (adds it: enforcement.hostFirewall is auto; by hand: " + by_hand + ")"
                  : by_hand + "   (enforcement.hostFirewall is off: ironward leaves " + name + " to you)");
  }
}

/// A rule of that chain accepting everything from the bridge (iifname == bridge ... accept).
bool AcceptsBridge(const nlohmann::json& rule, const std::string& bridge) {
  if (!rule.contains("expr") || !rule["expr"].is_array()) return false;
  bool from_bridge = false;
  bool accept = false;
  for (const auto& e : rule["expr"]) {
    if (e.contains("accept")) accept = true;
    if (e.contains("match")) {
      const auto& m = e["match"];
      const bool iifname =
          m.value("left", nlohmann::json::object()).value("meta", nlohmann::json::object()).value("key", "") ==
          "iifname";
      if (iifname && m.value("right", nlohmann::json()) == bridge) from_bridge = true;
    }
  }
  return from_bridge && accept;
}

/// A chain of ufw's (its rules jump to ufw-* / ufw6-* chains): ufw's verdict was taken above.
bool UfwChain(const nlohmann::json& items, const std::string& family, const std::string& table,
              const std::string& chain) {
  for (const auto& other : items) {
    if (!other.is_object() || !other.contains("rule")) continue;
    const auto& rule = other["rule"];
    if (rule.value("family", "") != family || rule.value("table", "") != table || rule.value("chain", "") != chain) {
      continue;
    }
    if (!rule.contains("expr") || !rule["expr"].is_array()) continue;
    for (const auto& e : rule["expr"]) {
      for (const char* verb : {"jump", "goto"}) {
        if (!e.contains(verb)) continue;
        const std::string target = e[verb].value("target", "");
        if (target.rfind("ufw-", 0) == 0 || target.rfind("ufw6-", 0) == 0) return true;
      }
    }
  }
  return false;
}

/// Base chains on the input hook with policy drop, outside table inet ironward (and, while ufw is
/// active, outside ufw's chains).
void CheckNft(CommandRunner& runner, const hostfw::Opening& t, Findings& f) {
  const auto r = runner.Run({"nft", "-j", "list", "ruleset"}, kTimeout);
  if (r.outcome == CommandResult::Outcome::kNotFound) return;
  f.Saw("nftables");
  if (!r.ok()) return f.Add(Unknown("nftables", r), "run doctor as root to read the ruleset");
  const auto doc = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc.contains("nftables") || !doc["nftables"].is_array()) {
    return f.Add("nft -j list ruleset printed no ruleset JSON", "run doctor as root to read the ruleset");
  }
  const auto& items = doc["nftables"];
  for (const auto& item : items) {
    if (!item.is_object() || !item.contains("chain")) continue;
    const auto& c = item["chain"];
    const std::string family = c.value("family", "");
    const std::string table = c.value("table", "");
    const std::string name = c.value("name", "");
    if (c.value("hook", "") != "input" || c.value("policy", "") != "drop") continue;
    if (family == "inet" && table == "ironward") continue;
    if (family != "inet" && family != "ip") continue;  // ip6/arp/bridge/netdev: not this IPv4 traffic
    if (f.ufw_active && UfwChain(items, family, table, name)) continue;
    bool handled = false;
    for (const auto& other : items) {
      if (!other.is_object() || !other.contains("rule")) continue;
      const auto& rule = other["rule"];
      if (rule.value("family", "") == family && rule.value("table", "") == table && rule.value("chain", "") == name &&
          AcceptsBridge(rule, t.bridge)) {
        handled = true;
      }
    }
    if (handled) continue;
    f.Add("nftables chain " + family + " " + table + " " + name + " (input hook) has policy drop",
          "nft insert rule " + family + " " + table + " " + name + " iifname \"" + t.bridge + "\" ip daddr " +
              t.gateway + " tcp dport { " + t.PortList() + " } accept");
  }
}

}  // namespace

Check HostFirewallCheck(const spec::DesiredState& desired, CommandRunner& runner, const Hints& hints) {
  if (desired.spec.enforcement.network != spec::NetworkMode::kInternal) {
    return {"host-firewall", Result::kSkip, "enforcement.network is not internal", ""};
  }
  auto opening = hostfw::DesiredOpening(desired, "");
  if (!opening) return {"host-firewall", Result::kFail, opening.error().message, ""};
  const hostfw::Opening& t = **opening;
  Findings f;
  CheckTools(runner, desired, t, hints, f);
  CheckNft(runner, t, f);
  if (!f.warn) {
    const std::string path = t.bridge + " -> " + t.gateway + ":" + t.PortList();
    return {"host-firewall", Result::kPass,
            f.seen.empty() ? "no ufw, firewalld or nft on this host: nothing drops " + path
                           : "nothing in " + f.seen + " drops " + path,
            ""};
  }
  return {"host-firewall", Result::kWarn, f.detail, f.fix};
}

}  // namespace ironward::doctor
