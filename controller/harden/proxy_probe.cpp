#include "controller/harden/proxy_probe.h"

namespace ironward::harden {

daemon::Liveness RealProxyProbe::Identity(const daemon::ProcessIdentity& id) { return daemon::CheckIdentity(id); }

bool RealProxyProbe::Accepts(const daemon::Endpoint& ep, std::chrono::milliseconds timeout) {
  return daemon::TcpConnects(ep, timeout);
}

}  // namespace ironward::harden
