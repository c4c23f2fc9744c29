// Process and socket seam of the iron-proxy-running signal: is the recorded process the very one
// ironward started, and does a listener accept a TCP connection. RealProxyProbe asks the process
// seam (reconcilers/io/process.h) and the network (reconcilers/daemon); tests inject a fake.
#pragma once

#include <chrono>
#include <memory>

#include "reconcilers/daemon/readiness.h"
#include "reconcilers/io/process.h"

namespace ironward::harden {

class ProxyProbe {
 public:
  virtual ~ProxyProbe() = default;
  /// Same pid, /proc starttime and per-start nonce as recorded in iron-proxy.pid? Read-only.
  virtual Liveness Identity(const ProcessIdentity& id) = 0;
  /// Opens (and closes at once) a TCP connection to `ep`; true when it was accepted in time.
  virtual bool Accepts(const daemon::Endpoint& ep, std::chrono::milliseconds timeout) = 0;
};

/// Processes::CheckIdentity and daemon::TcpConnects.
class RealProxyProbe final : public ProxyProbe {
 public:
  explicit RealProxyProbe(std::shared_ptr<const Processes> processes) : processes_(std::move(processes)) {}
  Liveness Identity(const ProcessIdentity& id) override;
  bool Accepts(const daemon::Endpoint& ep, std::chrono::milliseconds timeout) override;

 private:
  std::shared_ptr<const Processes> processes_;
};

}  // namespace ironward::harden
