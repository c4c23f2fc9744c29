// FirewalldFirewall: firewalld through firewall-cmd.
//
// The bridge's incoming traffic goes through one zone: the zone bound to the sandbox subnet as a
// source, else the zone bound to the bridge interface, else the default zone (firewalld's own
// dispatch order). A zone with target ACCEPT (trusted; Docker's `docker` zone) lets it in already.
// Otherwise ironward adds one rich rule per proxy port to that zone,
//   rule family="ipv4" source address="SUBNET" destination address="GATEWAY" port port="P" protocol="tcp" accept
// in the runtime and the permanent configuration (so `firewall-cmd --reload` and a reboot keep it),
// rather than binding the bridge to a zone of its own, which would fail (ZONE_CONFLICT) when
// Docker or the operator already bound it.
//
// One `firewall-cmd --list-all-zones` per observation, plus `--get-default-zone` when the bridge is
// bound to no zone (firewall-cmd is a Python program: about 0.4 s a call on a small host); two calls
// per change (runtime and --permanent).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "reconcilers/host_firewall/host_firewall.h"
#include "reconcilers/io/command_runner.h"
#include "reconcilers/io/file_reader.h"
#include "reconcilers/io/process.h"

namespace ironward::hostfw {

/// One zone of `firewall-cmd --list-all-zones` (exposed for tests).
struct FirewalldZone {
  std::string name;
  std::string target;  ///< "default", "ACCEPT", "%%REJECT%%", "DROP"
  std::vector<std::string> interfaces;
  std::vector<std::string> sources;
  std::vector<std::string> ports;  ///< "9090/tcp"
  std::vector<std::string> rich_rules;
};
Result<std::vector<FirewalldZone>> ParseFirewalldZones(const std::string& text);
/// The zone the opening's traffic goes through: bound by source, else by interface, else
/// `default_zone` (nullptr when none matches).
const FirewalldZone* ZoneFor(const std::vector<FirewalldZone>& zones, const Opening& opening,
                             const std::string& default_zone);
/// The command lines an operator would run to add it by hand (runtime and permanent).
std::string FirewalldAllowCommand(const Opening& opening, const std::string& zone);
/// The opening's rich rules as options to paste into a shell, e.g. " --add-rich-rule='rule …'"
/// per port (`verb`: "add" or "remove"); for the commands printed to people.
std::string RichRuleOptions(const std::string& verb, const Opening& opening);
/// The rich rules of the opening, one per port.
std::vector<std::string> RichRules(const Opening& opening);

/// firewalld's own setting file, present while the package is installed.
inline constexpr const char* kFirewalldConf = "/etc/firewalld/firewalld.conf";
/// A /proc command line (NUL-separated) of the firewalld daemon ("python3 /usr/sbin/firewalld …").
bool IsFirewalldCommandLine(const std::string& cmdline);

class FirewalldFirewall final : public HostFirewall {
 public:
  /// Glance reads `conf` through `files` and looks for the daemon in `processes` (either null:
  /// Glance never answers).
  explicit FirewalldFirewall(CommandRunner& runner, std::chrono::milliseconds timeout = std::chrono::seconds(20),
                             const FileReader* files = nullptr, const Processes* processes = nullptr,
                             std::string conf = kFirewalldConf)
      : runner_(runner), timeout_(timeout), files_(files), processes_(processes), conf_(std::move(conf)) {}
  Tool Kind() const override { return Tool::kFirewalld; }
  Result<ToolState> Observe(const Opening& opening) override;
  /// Not running when it is installed (its conf exists) and no process runs the firewalld daemon.
  /// No pid file: Debian's unit starts it with --nopid. Misses a daemon this process cannot see
  /// (another pid namespace, /proc mounted hidepid): run's drift check always asks the CLI.
  std::optional<ToolState> Glance() const override;
  Status Allow(const Opening& opening, const std::string& zone) override;
  Status Revoke(const Opening& opening, const std::string& zone) override;

 private:
  Status Change(const std::string& verb, const Opening& opening, const std::string& zone);
  CommandRunner& runner_;
  std::chrono::milliseconds timeout_;
  const FileReader* files_;
  const Processes* processes_;
  std::string conf_;
};

}  // namespace ironward::hostfw
