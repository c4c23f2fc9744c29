#include "controller/harden/proxy_probe.h"

namespace ironward::harden {

Liveness RealProxyProbe::Identity(const ProcessIdentity& id) { return processes_->CheckIdentity(id); }

bool RealProxyProbe::Accepts(const daemon::Endpoint& ep, std::chrono::milliseconds timeout) {
  return daemon::TcpConnects(ep, timeout);
}

}  // namespace ironward::harden
