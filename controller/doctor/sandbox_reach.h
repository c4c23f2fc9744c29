// sandbox-reach: can a container on the sandbox network open a connection to the proxy? The one
// check that sees what a sandbox sees (a host firewall dropping the bridge's traffic, the proxy
// bound elsewhere), where the proxy check only probes from the host. doctor_command.cpp runs the
// probe container (controller/probe_container.h); these are its script and its judgement.
#pragma once

#include <string>
#include <vector>

#include "controller/doctor/check.h"

namespace ironward::doctor {

/// `sh -c` script: one plain HTTP request per port to the gateway, no proxy variables, 3 s each;
/// each prints "IWREACH <port> <curl exit code>".
std::string ReachScript(const std::string& gateway, const std::vector<int>& ports);

/// Judges the probe's output: curl exit 7 (refused or rejected) and 28 (no answer: dropped) fail;
/// any other exit means a TCP connection was made. A missing line fails ("no result").
Check SandboxReachCheck(const std::string& gateway, const std::vector<int>& ports, const std::string& probe_stdout,
                        const std::string& network, const Hints& hints);

}  // namespace ironward::doctor
