#include "reconcilers/host_firewall/ufw.h"

#include <cctype>
#include <optional>
#include <sstream>

namespace ironward::hostfw {
namespace {

bool IsAction(const std::string& w) { return w == "ALLOW" || w == "DENY" || w == "REJECT" || w == "LIMIT"; }

/// "9090,9091/tcp" -> ports "9090,9091", proto "tcp"; "9090" -> ports only; "ssh" (an app) -> ports "ssh".
void SplitPortProto(const std::string& w, UfwStatus::Rule* r) {
  const auto slash = w.find('/');
  r->ports = w.substr(0, slash);
  if (slash != std::string::npos) r->proto = w.substr(slash + 1);
}

/// "9090,9091/tcp", "9000:9999/tcp", "22" are ports; "172.30.99.1", "10.0.0.0/8" and
/// "2001:db8::/32" are addresses (a prefix length after the slash, not a protocol name).
bool LooksLikePorts(const std::string& w) {
  const auto slash = w.find('/');
  const std::string head = w.substr(0, slash);
  if (head.empty() || head.find_first_not_of("0123456789,:") != std::string::npos) return false;
  if (slash == std::string::npos) return head.find(':') == std::string::npos;
  const std::string tail = w.substr(slash + 1);
  return !tail.empty() && std::isalpha(static_cast<unsigned char>(tail[0])) != 0;
}

/// One rule line of the table ("To  Action  From  # comment").
std::optional<UfwStatus::Rule> ParseRuleLine(std::string line) {
  UfwStatus::Rule r;
  if (auto hash = line.find(" # "); hash != std::string::npos) {
    r.comment = line.substr(hash + 3);
    while (!r.comment.empty() && r.comment.back() == ' ') r.comment.pop_back();
    line.resize(hash);
  }
  if (line.find("(v6)") != std::string::npos) r.v6 = true;
  auto words = SplitWords(line);
  std::size_t i = 0;
  std::vector<std::string> to;
  while (i < words.size() && !IsAction(words[i])) to.push_back(words[i++]);
  if (i == words.size() || to.empty()) return std::nullopt;
  r.action = words[i++];
  if (i < words.size() && (words[i] == "IN" || words[i] == "OUT" || words[i] == "FWD")) r.direction = words[i++];
  for (; i < words.size(); ++i) {
    if (words[i] == "(v6)") continue;
    r.from += (r.from.empty() ? "" : " ") + words[i];
  }
  // To: [ADDRESS] [PORTS/PROTO] [on IFACE] [(v6)]
  std::size_t t = 0;
  r.to = "Anywhere";
  if (t < to.size() && !LooksLikePorts(to[t]) && to[t] != "on") r.to = to[t++];
  if (t < to.size() && to[t] != "on" && to[t] != "(v6)") SplitPortProto(to[t++], &r);
  if (t + 1 < to.size() && to[t] == "on") r.iface = to[t + 1];
  return r;
}

bool CoversPorts(const std::string& rule_ports, const std::vector<int>& wanted) {
  if (rule_ports.empty()) return true;
  std::vector<std::pair<int, int>> ranges;
  std::istringstream in(rule_ports);
  for (std::string part; std::getline(in, part, ',');) {
    try {
      const auto colon = part.find(':');
      const int lo = std::stoi(part.substr(0, colon));
      const int hi = colon == std::string::npos ? lo : std::stoi(part.substr(colon + 1));
      ranges.emplace_back(lo, hi);
    } catch (const std::exception&) {
      return false;  // an application profile name: not ours to interpret
    }
  }
  for (int p : wanted) {
    bool covered = false;
    for (const auto& [lo, hi] : ranges) covered = covered || (p >= lo && p <= hi);
    if (!covered) return false;
  }
  return true;
}

std::vector<std::string> Concat(std::vector<std::string> head, const std::vector<std::string>& tail) {
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

Status RunOrFail(CommandRunner& runner, const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  const auto r = runner.Run(argv, timeout);
  if (r.ok()) return Status::Ok();
  std::string cmd;
  for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
  return Error::Transient(cmd + ": " + Describe(r, timeout));
}

}  // namespace

Result<UfwStatus> ParseUfwStatus(const std::string& text) {
  UfwStatus s;
  std::istringstream in(text);
  bool seen_status = false;
  bool in_table = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Status:", 0) == 0) {
      seen_status = true;
      s.active = line.find("inactive") == std::string::npos && line.find("active") != std::string::npos;
    } else if (line.rfind("Default:", 0) == 0) {
      const auto at = line.find(" (incoming)");
      if (at != std::string::npos) {
        const auto start = line.rfind(' ', at - 1);
        s.incoming = line.substr(start + 1, at - start - 1);
        if (auto comma = s.incoming.find(','); comma != std::string::npos) s.incoming.resize(comma);
      }
    } else if (line.rfind("--", 0) == 0) {
      in_table = true;
    } else if (in_table && !line.empty()) {
      if (auto rule = ParseRuleLine(line)) s.rules.push_back(*rule);
    }
  }
  if (!seen_status) return Error::Transient("ufw status printed no 'Status:' line");
  return s;
}

bool UfwAdmits(const UfwStatus::Rule& r, const Opening& o, const std::string& proto) {
  if (r.v6 || r.action != "ALLOW" || (r.direction != "" && r.direction != "IN")) return false;
  if (!r.iface.empty() && r.iface != o.bridge) return false;
  if (r.to != "Anywhere" && r.to != o.gateway && r.to != o.gateway + "/32") return false;
  if (!r.proto.empty() && r.proto != proto) return false;
  if (r.from != "Anywhere" && r.from != o.subnet) return false;
  return CoversPorts(r.ports, proto == "udp" ? o.udp_ports : o.ports);
}

std::vector<std::string> UfwRuleArgs(const Opening& o, const std::string& proto) {
  return {"in", "on", o.bridge, "from", o.subnet, "to", o.gateway, "port",
          proto == "udp" ? o.UdpPortList() : o.PortList(), "proto", proto};
}

std::vector<std::string> UfwProtos(const Opening& o) {
  return o.udp_ports.empty() ? std::vector<std::string>{"tcp"} : std::vector<std::string>{"tcp", "udp"};
}

Result<ToolState> UfwFirewall::Observe(const Opening& opening) {
  ToolState st;
  const auto r = runner_.Run({"ufw", "status", "verbose"}, timeout_);
  if (r.outcome == CommandResult::Outcome::kNotFound) return st;
  st.installed = true;
  if (!r.ok()) return Error::Transient("ufw status verbose: " + Describe(r, timeout_) + " (ufw needs root)");
  auto status = ParseUfwStatus(r.out);
  if (!status) return status.error();
  st.active = status->active;
  if (!st.active) {
    st.detail = "inactive";
    return st;
  }
  st.blocks = status->incoming != "allow";
  st.detail = "active, default " + (status->incoming.empty() ? std::string("?") : status->incoming) + " (incoming)";
  st.admitted = true;  // every protocol's ports by some rule
  for (const auto& proto : UfwProtos(opening)) {
    bool any = false;
    for (const auto& rule : status->rules) any = any || UfwAdmits(rule, opening, proto);
    st.admitted = st.admitted && any;
  }
  return st;
}

std::string UfwEnabledSetting(const std::string& conf_text) {
  std::istringstream in(conf_text);
  std::string value;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("ENABLED=", 0) != 0) continue;
    value = line.substr(8);
    while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back())) != 0) value.pop_back();
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
  }
  return value;  // ufw keeps the last assignment
}

std::optional<ToolState> UfwFirewall::Glance() const {
  if (files_ == nullptr) return std::nullopt;
  auto text = files_->Read(conf_);
  if (!text || !text->has_value()) return std::nullopt;  // unreadable or absent: the CLI decides
  if (UfwEnabledSetting(**text) == "yes") return std::nullopt;
  ToolState st;
  st.installed = true;
  st.detail = "inactive";
  return st;
}

Status UfwFirewall::Allow(const Opening& opening, const std::string&) {
  for (const auto& proto : UfwProtos(opening)) {
    Status s = RunOrFail(runner_,
                         Concat(Concat({"ufw", "allow"}, UfwRuleArgs(opening, proto)),
                                {"comment", "ironward " + opening.owner}),
                         timeout_);
    if (!s) return s;
  }
  return Status::Ok();
}

Status UfwFirewall::Revoke(const Opening& opening, const std::string&) {
  // Deleting by the rule's own words needs no confirmation; a rule that is already gone is
  // "Could not delete non-existent rule" with exit 0.
  for (const auto& proto : UfwProtos(opening)) {
    Status s = RunOrFail(runner_, Concat({"ufw", "--force", "delete", "allow"}, UfwRuleArgs(opening, proto)), timeout_);
    if (!s) return s;
  }
  return Status::Ok();
}

std::string UfwAllowCommand(const Opening& opening) {
  std::string out;
  for (const auto& proto : UfwProtos(opening)) {
    std::string cmd = "ufw allow";
    for (const auto& a : UfwRuleArgs(opening, proto)) cmd += " " + a;
    out += (out.empty() ? "" : " && ") + cmd + " comment 'ironward " + opening.owner + "'";
  }
  return out;
}

}  // namespace ironward::hostfw
