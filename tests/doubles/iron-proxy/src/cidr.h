// IP addresses and CIDR prefixes with the semantics of Go's net/netip and net.ParseCIDR.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace irondouble {

struct IpAddr {
  bool v6 = false;
  std::array<std::uint8_t, 16> b{};  // v4 uses the first 4 bytes

  std::string String() const;
};

struct Prefix {
  IpAddr addr;
  int bits = 0;
  std::string String() const;
  bool Contains(const IpAddr& ip) const;
};

bool ParseIp(const std::string& s, IpAddr* out);
// IPv4-mapped IPv6 (::ffff:a.b.c.d) becomes plain IPv4.
IpAddr Unmap(const IpAddr& ip);

// dnsguard.parsePrefix: trims, requires "/", masks. err gets the Go-shaped message.
bool ParseDenyCidr(const std::string& raw, Prefix* out, std::string* err);
// net.ParseCIDR as used by hostmatch: err = "invalid CIDR address: X".
bool ParseNetCidr(const std::string& raw, Prefix* out, std::string* err);

// The deny guard: upstream dials to a resolved IP inside any prefix are refused.
class DenyGuard {
 public:
  DenyGuard() = default;
  explicit DenyGuard(std::vector<Prefix> prefixes) : prefixes_(std::move(prefixes)) {}
  // Returns "" when allowed, else "denied by upstream_deny_cidrs: IP in PREFIX".
  std::string Check(const IpAddr& ip) const;

 private:
  std::vector<Prefix> prefixes_;
};

}  // namespace irondouble
