// Process and socket seam of the iron-proxy-running signal: is the recorded process the very one
// ironward started, and does a listener accept a TCP connection. RealProxyProbe asks /proc and
// the network (through reconcilers/daemon); tests inject a fake.
#pragma once

#include <chrono>

#include "reconcilers/daemon/process_identity.h"
#include "reconcilers/daemon/readiness.h"

namespace ironward::harden {

class ProxyProbe {
 public:
  virtual ~ProxyProbe() = default;
  /// Same pid, /proc starttime and per-start nonce as recorded in iron-proxy.pid? Read-only.
  virtual daemon::Liveness Identity(const daemon::ProcessIdentity& id) = 0;
  /// Opens (and closes at once) a TCP connection to `ep`; true when it was accepted in time.
  virtual bool Accepts(const daemon::Endpoint& ep, std::chrono::milliseconds timeout) = 0;
};

/// daemon::CheckIdentity and daemon::TcpConnects.
class RealProxyProbe final : public ProxyProbe {
 public:
  daemon::Liveness Identity(const daemon::ProcessIdentity& id) override;
  bool Accepts(const daemon::Endpoint& ep, std::chrono::milliseconds timeout) override;
};

}  // namespace ironward::harden
