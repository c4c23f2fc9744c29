// routing: the enforcement.routing mode in force and, with DNS routing, whether the proxy's DNS
// answers on the gateway and the nat chain that steers the sandboxes' port 53/80/443 is loaded.
#include <arpa/inet.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "controller/doctor/checks.h"
#include "reconcilers/network/firewall.h"
#include "reconcilers/proxy_config/render.h"

namespace ironward::doctor {

std::optional<std::string> QueryA(const std::string& ip, std::uint16_t port, std::chrono::milliseconds timeout) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  if (::inet_pton(AF_INET, ip.c_str(), &a.sin_addr) != 1) return std::nullopt;
  // One A query for a name nobody owns (RFC 6761 .invalid): the proxy's DNS answers it with itself.
  std::string q("\x1d\x0c\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 12);
  q += std::string("\x0fironward-doctor\x07invalid\x00", 25);
  q += std::string("\x00\x01\x00\x01", 4);
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  std::optional<std::string> answer;
  if (::sendto(fd, q.data(), q.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a) == static_cast<ssize_t>(q.size())) {
    pollfd p{fd, POLLIN, 0};
    unsigned char m[512];
    if (::poll(&p, 1, static_cast<int>(timeout.count())) == 1) {
      const ssize_t got = ::recv(fd, m, sizeof m, 0);
      const std::size_t n = got > 0 ? static_cast<std::size_t>(got) : 0;
      // After our question: the answer's name (labels, or a compression pointer), type, class,
      // TTL, length, data. miekg/dns (iron-proxy) does not compress by default.
      std::size_t at = q.size();
      while (at < n && m[at] != 0 && (m[at] & 0xc0) != 0xc0) at += m[at] + 1U;
      at += at < n && (m[at] & 0xc0) == 0xc0 ? 2 : 1;
      if (n >= 12 && m[7] >= 1 && at + 14 <= n && m[at + 1] == 1 && m[at + 9] == 4) {
        answer = std::to_string(m[at + 10]) + "." + std::to_string(m[at + 11]) + "." + std::to_string(m[at + 12]) +
                 "." + std::to_string(m[at + 13]);
      } else if (n >= 12) {
        answer = "";  // an answer without an A record
      }
    }
  }
  ::close(fd);
  return answer;
}

Check RoutingCheck(const spec::Spec& spec, CommandRunner& runner, const DnsQueryFn& query, const Hints& hints) {
  const std::string mode = spec::ToString(spec.enforcement.routing);
  if (!spec.enforcement.RoutesDns()) {
    return {"routing", Result::kPass,
            "routing " + mode + ": sandboxes reach the proxy through HTTPS_PROXY/HTTP_PROXY only (tools that ignore "
            "them cannot connect out)",
            ""};
  }
  auto gw = proxy_config::GatewayOf(spec.enforcement.network_subnet);
  if (!gw) return {"routing", Result::kFail, gw.error().message, "fix enforcement.networkSubnet in " + hints.Label()};
  const std::string where = *gw + ":" + std::to_string(spec.proxy.dns_port);
  const auto answer = query(*gw, spec.proxy.dns_port);
  std::vector<std::string> problems;
  if (!answer) {
    problems.push_back("the proxy's DNS does not answer on " + where);
  } else if (*answer != *gw) {
    problems.push_back("the DNS server on " + where + " answered " + (answer->empty() ? "no address" : *answer) +
                       ", not the proxy's " + *gw);
  }
  const auto nat = runner.Run({"nft", "-j", "list", "chain", netfilter::kTableFamily, netfilter::kTableName, "prerouting"},
                              std::chrono::seconds(3));
  if (!nat.ok()) problems.push_back("the nat chain that steers the sandboxes' port 53/80/443 (table inet ironward, chain "
                                    "prerouting) is not loaded");
  if (!problems.empty()) {
    std::string detail = "routing " + mode + ": ";
    for (std::size_t i = 0; i < problems.size(); ++i) detail += (i ? "; " : "") + problems[i];
    return {"routing", Result::kFail, detail, hints.Reconcile()};
  }
  return {"routing", Result::kPass,
          "routing " + mode + ": the proxy's DNS answers on " + where + " (the sandboxes' port 53 on " + *gw +
              " is DNATed to it) and the nat chain steers 53/80/443" +
              (spec.enforcement.InjectsProxyVariables() ? "; proxy variables set too" : "; no proxy variables"),
          ""};
}

}  // namespace ironward::doctor
