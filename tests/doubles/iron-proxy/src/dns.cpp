#include "dns.h"

#include "cidr.h"
#include "hostmatch.h"
#include "net.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cstring>

namespace irondouble {
namespace {

void Put16(std::string* out, int v) {
  out->push_back(static_cast<char>((v >> 8) & 0xff));
  out->push_back(static_cast<char>(v & 0xff));
}

void PutA(std::string* out, const std::string& qname_wire, const IpAddr& ip) {
  *out += qname_wire;
  Put16(out, 1);
  Put16(out, 1);
  *out += std::string("\x00\x00\x00\x3c", 4);  // TTL 60
  Put16(out, 4);
  out->append(reinterpret_cast<const char*>(ip.b.data()), 4);
}

std::string EncodeName(const std::string& name) {
  std::string out;
  std::size_t pos = 0;
  std::string n = name;
  if (!n.empty() && n.back() == '.') n.pop_back();
  while (pos < n.size()) {
    std::size_t dot = n.find('.', pos);
    std::string label = n.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
    out.push_back(static_cast<char>(label.size()));
    out += label;
    if (dot == std::string::npos) break;
    pos = dot + 1;
  }
  out.push_back('\0');
  return out;
}

}  // namespace

void ServeDns(int fd, const Config::Dns& cfg) {
  IpAddr proxy_ip;
  ParseIp(cfg.proxy_ip, &proxy_ip);
  unsigned char buf[1500];
  while (!g_stopping.load()) {
    struct pollfd p {fd, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    struct sockaddr_storage from {};
    socklen_t len = sizeof from;
    ssize_t n = ::recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<struct sockaddr*>(&from), &len);
    if (n < 17) continue;
    std::size_t pos = 12;
    std::string name;
    while (pos < static_cast<std::size_t>(n) && buf[pos] != 0 && buf[pos] < 64) {
      std::size_t l = buf[pos];
      if (pos + 1 + l >= static_cast<std::size_t>(n)) break;
      name.append(reinterpret_cast<char*>(buf + pos + 1), l);
      name += '.';
      pos += 1 + l;
    }
    if (pos + 5 > static_cast<std::size_t>(n)) continue;
    int qtype = (buf[pos + 1] << 8) | buf[pos + 2];
    std::size_t qend = pos + 5;
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string qname_wire(reinterpret_cast<char*>(buf + 12), pos + 1 - 12);
    std::string answers;
    int count = 0;
    bool handled = false;
    // server.go staticRecord: a record answers only a query of its own type (A for A, CNAME for
    // CNAME); any other query for that name falls through to passthrough / interception.
    for (auto it = cfg.records.rbegin(); it != cfg.records.rend(); ++it) {  // the last of a name wins
      const auto& r = *it;
      std::string rn = r.name;
      std::transform(rn.begin(), rn.end(), rn.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (rn.empty() || rn.back() != '.') rn += '.';
      if (rn != name) continue;
      IpAddr ip;
      if (r.type == "A" && qtype == 1 && ParseIp(r.value, &ip) && !ip.v6) {
        PutA(&answers, qname_wire, ip);
        ++count;
        handled = true;
      }
      if (r.type == "CNAME" && qtype == 5) {
        std::string target = EncodeName(r.value);
        answers += qname_wire;
        Put16(&answers, 5); Put16(&answers, 1);
        answers += std::string("\x00\x00\x00\x3c", 4);
        Put16(&answers, static_cast<int>(target.size()));
        answers += target;
        ++count;
        handled = true;
      }
      break;  // server.go keys its records by name: only that one record is consulted
    }
    std::string bare = name.empty() ? name : name.substr(0, name.size() - 1);
    if (!handled && std::any_of(cfg.passthrough.begin(), cfg.passthrough.end(), [&](const std::string& g) { return MatchGlob(g, bare); })) {
      handled = true;
      struct addrinfo hints {};
      hints.ai_family = AF_INET;
      hints.ai_socktype = SOCK_STREAM;  // one entry per address, as Go's LookupHost gives them
      struct addrinfo* res = nullptr;
      if (qtype == 1 && getaddrinfo(bare.c_str(), nullptr, &hints, &res) == 0) {
        for (auto* ai = res; ai; ai = ai->ai_next) {
          IpAddr ip;
          std::memcpy(ip.b.data(), &reinterpret_cast<struct sockaddr_in*>(ai->ai_addr)->sin_addr, 4);
          PutA(&answers, qname_wire, ip);
          ++count;
        }
        freeaddrinfo(res);
      }
    }
    if (!handled && qtype == 1) { PutA(&answers, qname_wire, proxy_ip); ++count; }
    std::string resp(reinterpret_cast<char*>(buf), qend);
    resp[2] = static_cast<char>(0x84 | (buf[2] & 0x01));  // QR, AA, copy RD
    resp[3] = 0;  // NOERROR
    resp[4] = 0; resp[5] = 1;
    resp[6] = 0; resp[7] = static_cast<char>(count);
    resp[8] = resp[9] = resp[10] = resp[11] = 0;
    resp += answers;
    ::sendto(fd, resp.data(), resp.size(), 0, reinterpret_cast<struct sockaddr*>(&from), len);
  }
}

}  // namespace irondouble
