#include "cidr.h"

#include <arpa/inet.h>

#include <cstring>

namespace irondouble {
namespace {

std::string Trim(const std::string& s) {
  std::size_t a = s.find_first_not_of(" \t\r\n");
  if (a == std::string::npos) return "";
  std::size_t b = s.find_last_not_of(" \t\r\n");
  return s.substr(a, b - a + 1);
}

void Mask(Prefix* p) {
  int total = p->addr.v6 ? 128 : 32;
  for (int i = p->bits; i < total; ++i) {
    p->addr.b[static_cast<std::size_t>(i / 8)] &= static_cast<std::uint8_t>(~(0x80 >> (i % 8)));
  }
}

bool ParsePrefixCore(const std::string& s, Prefix* out) {
  std::size_t slash = s.find('/');
  if (slash == std::string::npos) return false;
  if (!ParseIp(s.substr(0, slash), &out->addr)) return false;
  std::string bits = s.substr(slash + 1);
  if (bits.empty() || bits.size() > 3 || bits.find_first_not_of("0123456789") != std::string::npos) return false;
  if (bits.size() > 1 && bits[0] == '0') return false;
  out->bits = std::stoi(bits);
  if (out->bits > (out->addr.v6 ? 128 : 32)) return false;
  Mask(out);
  return true;
}

}  // namespace

std::string IpAddr::String() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, b.data(), buf, sizeof buf);
  return buf;
}

std::string Prefix::String() const { return addr.String() + "/" + std::to_string(bits); }

bool Prefix::Contains(const IpAddr& ip) const {
  if (ip.v6 != addr.v6) return false;
  for (int i = 0; i < bits; ++i) {
    std::size_t byte = static_cast<std::size_t>(i / 8);
    int mask = 0x80 >> (i % 8);
    if ((ip.b[byte] & mask) != (addr.b[byte] & mask)) return false;
  }
  return true;
}

bool ParseIp(const std::string& s, IpAddr* out) {
  *out = IpAddr{};
  if (s.find(':') != std::string::npos) {
    out->v6 = true;
    return inet_pton(AF_INET6, s.c_str(), out->b.data()) == 1;
  }
  return inet_pton(AF_INET, s.c_str(), out->b.data()) == 1;
}

IpAddr Unmap(const IpAddr& ip) {
  static const std::uint8_t kPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (!ip.v6 || std::memcmp(ip.b.data(), kPrefix, 12) != 0) return ip;
  IpAddr v4;
  std::memcpy(v4.b.data(), ip.b.data() + 12, 4);
  return v4;
}

bool ParseDenyCidr(const std::string& raw, Prefix* out, std::string* err) {
  std::string s = Trim(raw);
  if (s.empty()) {
    *err = "empty CIDR entry";
    return false;
  }
  if (s.find('/') == std::string::npos) {
    *err = "invalid CIDR \"" + raw + "\": must be CIDR notation, e.g. 1.2.3.4/32 or ::1/128";
    return false;
  }
  if (!ParsePrefixCore(s, out)) {
    *err = "invalid CIDR \"" + raw + "\": netip.ParsePrefix(\"" + s + "\"): invalid prefix";
    return false;
  }
  return true;
}

bool ParseNetCidr(const std::string& raw, Prefix* out, std::string* err) {
  if (!ParsePrefixCore(raw, out)) {
    *err = "invalid CIDR address: " + raw;
    return false;
  }
  return true;
}

std::string DenyGuard::Check(const IpAddr& raw) const {
  IpAddr ip = Unmap(raw);
  for (const auto& p : prefixes_) {
    if (p.Contains(ip)) return "denied by upstream_deny_cidrs: " + ip.String() + " in " + p.String();
  }
  return "";
}

}  // namespace irondouble
