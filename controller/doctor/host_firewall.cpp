// host-firewall: what would drop sandbox -> proxy traffic on the sandbox bridge.
#include <sstream>

#include <nlohmann/json.hpp>

#include "controller/doctor/checks.h"
#include "reconcilers/network/network_reconciler.h"
#include "reconcilers/proxy_config/render.h"

namespace ironward::doctor {
namespace {

constexpr std::chrono::milliseconds kTimeout{3000};

struct Target {
  std::string bridge;
  std::string gateway;
  std::string ports;  ///< "9090,9091"
};

struct Findings {
  std::string detail;
  std::string fix;
  bool warn = false;
  std::string seen;  ///< the tools that are installed ("ufw, nftables")
  void Saw(const std::string& tool) { seen += (seen.empty() ? "" : ", ") + tool; }
  void Add(const std::string& what, const std::string& how) {
    detail += (detail.empty() ? "" : "; ") + what;
    fix += (fix.empty() ? "" : "; ") + how;
    warn = true;
  }
};

std::string Unknown(const std::string& tool, const harden::CommandResult& r) {
  return tool + " could not be checked (" + harden::Describe(r, kTimeout) + ")";
}

/// ufw active with default deny/reject incoming, unless a rule already lets the bridge in.
void CheckUfw(harden::CommandRunner& runner, const Target& t, Findings& f) {
  const auto r = runner.Run({"ufw", "status", "verbose"}, kTimeout);
  if (r.outcome == harden::CommandResult::Outcome::kNotFound) return;
  f.Saw("ufw");
  const std::string rule = "ufw allow in on " + t.bridge + " to " + t.gateway + " port " + t.ports + " proto tcp";
  if (!r.ok()) return f.Add(Unknown("ufw", r), "run doctor as root, or add: " + rule);
  if (r.out.find("Status: active") == std::string::npos) return;
  const bool deny = r.out.find("deny (incoming)") != std::string::npos ||
                    r.out.find("reject (incoming)") != std::string::npos;
  if (!deny) return;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    if (line.find(" on " + t.bridge) != std::string::npos && line.find("ALLOW IN") != std::string::npos &&
        line.find(t.gateway) != std::string::npos) {
      return;
    }
  }
  f.Add("ufw is active with default deny incoming", rule);
}

/// firewalld running, unless the bridge is already in the trusted zone.
void CheckFirewalld(harden::CommandRunner& runner, const Target& t, Findings& f) {
  const auto r = runner.Run({"firewall-cmd", "--state"}, kTimeout);
  if (r.outcome == harden::CommandResult::Outcome::kNotFound) return;
  f.Saw("firewalld");
  if (r.outcome != harden::CommandResult::Outcome::kExited || r.out.find("running") != 0) return;  // not running
  const auto trusted = runner.Run({"firewall-cmd", "--zone=trusted", "--query-interface=" + t.bridge}, kTimeout);
  if (trusted.ok()) return;
  f.Add("firewalld is running and " + t.bridge + " is not in the trusted zone",
        "firewall-cmd --zone=trusted --add-interface=" + t.bridge);
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
      const bool iifname = m.value("left", nlohmann::json::object()).value("meta", nlohmann::json::object())
                               .value("key", "") == "iifname";
      if (iifname && m.value("right", nlohmann::json()) == bridge) from_bridge = true;
    }
  }
  return from_bridge && accept;
}

/// Base chains on the input hook with policy drop, outside table inet ironward.
void CheckNft(harden::CommandRunner& runner, const Target& t, Findings& f) {
  const auto r = runner.Run({"nft", "-j", "list", "ruleset"}, kTimeout);
  if (r.outcome == harden::CommandResult::Outcome::kNotFound) return;
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
          "nft insert rule " + family + " " + table + " " + name + " iifname \"" + t.bridge + "\" ip daddr " + t.gateway +
              " tcp dport { " + t.ports + " } accept");
  }
}

}  // namespace

Check HostFirewallCheck(const spec::Spec& spec, harden::CommandRunner& runner) {
  if (spec.enforcement.network != spec::NetworkMode::kInternal) {
    return {"host-firewall", Result::kSkip, "enforcement.network is not internal", ""};
  }
  auto gateway = proxy_config::GatewayOf(spec.enforcement.network_subnet);
  if (!gateway) return {"host-firewall", Result::kFail, gateway.error().message, ""};
  const Target t{network::BridgeNameFor(spec.enforcement.network_name), *gateway,
                 std::to_string(spec.proxy.tunnel_port) + "," + std::to_string(spec.proxy.http_port)};
  Findings f;
  CheckUfw(runner, t, f);
  CheckFirewalld(runner, t, f);
  CheckNft(runner, t, f);
  if (!f.warn) {
    const std::string path = t.bridge + " -> " + t.gateway + ":" + t.ports;
    return {"host-firewall", Result::kPass,
            f.seen.empty() ? "no ufw, firewalld or nft on this host: nothing drops " + path
                           : "nothing in " + f.seen + " drops " + path,
            ""};
  }
  return {"host-firewall", Result::kWarn, f.detail, f.fix};
}

}  // namespace ironward::doctor
