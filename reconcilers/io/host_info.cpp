#include "reconcilers/io/host_info.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <cstring>

namespace ironward {
namespace {

template <class Fn>
void ForEachIPv4(Fn fn) {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return;
  for (ifaddrs* it = list; it != nullptr; it = it->ifa_next) {
    if (it->ifa_addr == nullptr || it->ifa_addr->sa_family != AF_INET) continue;
    char buf[INET_ADDRSTRLEN] = {0};
    sockaddr_in sin{};
    std::memcpy(&sin, it->ifa_addr, sizeof(sin));
    ::inet_ntop(AF_INET, &sin.sin_addr, buf, sizeof(buf));
    if (!fn(std::string(it->ifa_name), std::string(buf))) break;
  }
  ::freeifaddrs(list);
}

}  // namespace

std::optional<std::string> RealHostInfo::InterfaceIPv4(const std::string& interface) const {
  std::optional<std::string> found;
  ForEachIPv4([&](const std::string& name, const std::string& ip) {
    if (name != interface) return true;
    found = ip;
    return false;
  });
  return found;
}

std::vector<std::string> RealHostInfo::LocalIPv4Addresses() const {
  std::vector<std::string> out;
  ForEachIPv4([&](const std::string&, const std::string& ip) {
    out.push_back(ip);
    return true;
  });
  return out;
}

}  // namespace ironward
