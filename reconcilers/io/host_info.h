// Host seam: interface addresses, for resolving `proxy.bind` keywords.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace ironward {

class HostInfo {
 public:
  virtual ~HostInfo() = default;
  /// First IPv4 address of the interface, e.g. "172.17.0.1" for docker0.
  virtual std::optional<std::string> InterfaceIPv4(const std::string& interface) const = 0;
  /// Every local IPv4 address (any interface).
  virtual std::vector<std::string> LocalIPv4Addresses() const = 0;
};

class RealHostInfo final : public HostInfo {
 public:
  std::optional<std::string> InterfaceIPv4(const std::string& interface) const override;
  std::vector<std::string> LocalIPv4Addresses() const override;
};

}  // namespace ironward
