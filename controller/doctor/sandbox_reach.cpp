#include "controller/doctor/sandbox_reach.h"

#include <map>
#include <sstream>

namespace ironward::doctor {

std::string ReachScript(const std::string& gateway, const std::vector<int>& ports) {
  std::string script;
  for (int p : ports) {
    const std::string port = std::to_string(p);
    script += "curl -s -o /dev/null --noproxy '*' --connect-timeout 3 -m 5 http://" + gateway + ":" + port +
              "/ >/dev/null 2>&1; echo \"IWREACH " + port + " $?\"; ";
  }
  return script;
}

Check SandboxReachCheck(const std::string& gateway, const std::vector<int>& ports, const std::string& probe_stdout,
                        const std::string& network, const Hints& hints) {
  std::map<int, int> exit_codes;
  std::istringstream in(probe_stdout);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string tag;
    int port = 0;
    int code = 0;
    if (words >> tag >> port >> code && tag == "IWREACH") exit_codes[port] = code;
  }
  std::string bad;
  bool blocked = false;
  for (int p : ports) {
    const std::string where = gateway + ":" + std::to_string(p);
    auto it = exit_codes.find(p);
    std::string why;
    if (it == exit_codes.end()) {
      why = "no result (does the image have sh and curl?)";
    }
    else if (it->second == 7)
      why = "refused or rejected";
    else if (it->second == 28)
      why = "no answer (dropped)";
    else if (it->second == 127)
      why = "curl is not in the image";
    if (why.empty()) continue;
    blocked = blocked || (it != exit_codes.end() && (it->second == 7 || it->second == 28));
    bad += (bad.empty() ? "" : "; ") + where + ": " + why;
  }
  std::string ports_text;
  for (int p : ports) {
    // Not `(empty ? "" : ",") + to_string(p)`: GCC 12 at -O3 reports a false -Wrestrict there.
    if (!ports_text.empty()) ports_text += ',';
    ports_text += std::to_string(p);
  }
  if (bad.empty()) {
    return {"sandbox-reach", Result::kPass, "a container on " + network + " reaches " + gateway + ":" + ports_text, ""};
  }
  return {"sandbox-reach", Result::kFail, "from a container on " + network + ": " + bad,
          blocked ? "see host-firewall above, then " + hints.Reconcile() +
                        "   (adds the ufw/firewalld accept; "
                        "docs/network.md#host-firewalls-ufw-firewalld)"
                  : "ironward verify -f " + hints.file + " --image IMAGE   (an image with sh and curl)"};
}

}  // namespace ironward::doctor
