// UfwFirewall: ufw through its CLI (`ufw status verbose`, `ufw allow ...`, `ufw delete allow ...`).
//
// The accept is one rule, `ufw allow in on BRIDGE from SUBNET to GATEWAY port P1,P2 proto tcp
// comment 'ironward OWNER'`, so `ufw status` shows what it is for and who added it. ufw keeps it in
// its user rules, so it survives `ufw reload` and a reboot; `ufw reset` removes it (healed on the
// next pass).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "reconcilers/host_firewall/host_firewall.h"
#include "reconcilers/io/command_runner.h"
#include "reconcilers/io/file_reader.h"

namespace ironward::hostfw {

/// Parsed `ufw status verbose` (exposed for tests).
struct UfwStatus {
  bool active = false;
  std::string incoming;  ///< default incoming policy: "deny", "reject", "allow" ("" when inactive)
  struct Rule {
    std::string to;         ///< "Anywhere" or an address / network
    std::string ports;      ///< "9090,9091" ("" = every port)
    std::string proto;      ///< "tcp", "udp" ("" = any)
    std::string iface;      ///< "on IFACE" ("" = any interface)
    std::string action;     ///< "ALLOW", "DENY", "REJECT", "LIMIT"
    std::string direction;  ///< "IN", "OUT", "FWD" ("" when ufw did not say)
    std::string from;       ///< "Anywhere" or an address / network
    std::string comment;    ///< after "# " ("" = none)
    bool v6 = false;
  };
  std::vector<Rule> rules;
};
Result<UfwStatus> ParseUfwStatus(const std::string& text);
/// A rule that lets the opening's `proto` traffic in (ironward's, or a broader one an operator
/// wrote): its TCP ports, or with "udp" its UDP ports.
bool UfwAdmits(const UfwStatus::Rule& rule, const Opening& opening, const std::string& proto = "tcp");

/// ufw's own setting file: `ENABLED=yes` is what makes ufw load its rules at boot and what
/// `ufw enable` / `ufw disable` write.
inline constexpr const char* kUfwConf = "/etc/ufw/ufw.conf";
/// The ENABLED value of ufw.conf's text, as ufw reads it (quotes dropped; "" when absent).
std::string UfwEnabledSetting(const std::string& conf_text);

class UfwFirewall final : public HostFirewall {
 public:
  /// `files`: where Glance reads ufw.conf (null: Glance never answers).
  explicit UfwFirewall(CommandRunner& runner, std::chrono::milliseconds timeout = std::chrono::seconds(15),
                       const FileReader* files = nullptr, std::string conf = kUfwConf)
      : runner_(runner), timeout_(timeout), files_(files), conf_(std::move(conf)) {}
  Tool Kind() const override { return Tool::kUfw; }
  Result<ToolState> Observe(const Opening& opening) override;
  /// Inactive when ufw.conf says ENABLED is not yes. ufw's status really asks whether its chains
  /// are loaded; they differ only after a hand edit of ufw.conf without `ufw enable`/`disable`
  /// (then run's drift check, which always asks the CLI, sees the truth).
  std::optional<ToolState> Glance() const override;
  Status Allow(const Opening& opening, const std::string& where) override;
  Status Revoke(const Opening& opening, const std::string& where) override;

 private:
  CommandRunner& runner_;
  std::chrono::milliseconds timeout_;
  const FileReader* files_;
  std::string conf_;
};

/// The command line an operator would run to add it by hand.
std::string UfwAllowCommand(const Opening& opening);
/// The argv of the rule, after `ufw allow` / `ufw delete allow` (exposed for tests): one rule per
/// protocol, "udp" only when the opening has UDP ports.
std::vector<std::string> UfwRuleArgs(const Opening& opening, const std::string& proto = "tcp");

}  // namespace ironward::hostfw
