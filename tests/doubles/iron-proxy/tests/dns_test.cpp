// The double's DNS server against iron-proxy v0.39–v0.45 internal/dns/server.go (the same in every
// supported version): a static record answers only its own query type (an A query for a CNAME
// record's name is intercepted like any name), passthrough answers A only with each IPv4 address
// once, every other name gets dns.proxy_ip for A and an empty NOERROR answer for other types, the
// reply is authoritative without recursion available, and the server is UDP only.
#include "double_harness.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <set>

namespace doubletest {
namespace {

constexpr int kA = 1, kCname = 5, kAaaa = 28;

struct Answer {
  int rcode = -1;
  bool authoritative = false, recursion_available = false;
  int id = -1;
  std::vector<std::string> a;      ///< dotted quads of the A answers
  std::vector<std::string> cname;  ///< CNAME targets, dotted
  int count = 0;                   ///< ANCOUNT
};

std::string Encode(const std::string& name) {
  std::string out;
  std::size_t pos = 0;
  while (pos < name.size()) {
    const std::size_t dot = name.find('.', pos);
    const std::string label = name.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos);
    out.push_back(static_cast<char>(label.size()));
    out += label;
    if (dot == std::string::npos) break;
    pos = dot + 1;
  }
  out.push_back('\0');
  return out;
}

/// Reads an uncompressed name at `off` (the double and miekg/dns both answer with plain labels here).
std::string Name(const std::string& m, std::size_t* off) {
  std::string out;
  while (*off < m.size() && m[*off] != 0) {
    const auto len = static_cast<unsigned char>(m[*off]);
    if ((len & 0xc0) == 0xc0) {  // a pointer: follow it once
      std::size_t target = ((len & 0x3f) << 8) | static_cast<unsigned char>(m[*off + 1]);
      *off += 2;
      return out + Name(m, &target);
    }
    out += (out.empty() ? "" : ".") + m.substr(*off + 1, len);
    *off += 1 + len;
  }
  ++*off;
  return out;
}

Answer Query(int port, const std::string& name, int qtype) {
  std::string q("\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 12);
  q += Encode(name);
  q += std::string("\x00", 1) + static_cast<char>(qtype) + std::string("\x00\x01", 2);
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  Answer out;
  for (int attempt = 0; attempt < 5 && out.rcode < 0; ++attempt) {
    ::sendto(fd, q.data(), q.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 1000) != 1) continue;
    char buf[1500];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 12) continue;
    const std::string m(buf, static_cast<std::size_t>(n));
    out.id = (static_cast<unsigned char>(m[0]) << 8) | static_cast<unsigned char>(m[1]);
    out.authoritative = (m[2] & 0x04) != 0;
    out.recursion_available = (m[3] & 0x80) != 0;
    out.rcode = m[3] & 0x0f;
    out.count = (static_cast<unsigned char>(m[6]) << 8) | static_cast<unsigned char>(m[7]);
    std::size_t off = 12;
    Name(m, &off);
    off += 4;
    for (int i = 0; i < out.count && off < m.size(); ++i) {
      Name(m, &off);
      const int type = (static_cast<unsigned char>(m[off]) << 8) | static_cast<unsigned char>(m[off + 1]);
      const std::size_t rdlen = (static_cast<unsigned char>(m[off + 8]) << 8) | static_cast<unsigned char>(m[off + 9]);
      off += 10;
      if (type == kA && rdlen == 4) {
        out.a.push_back(std::to_string(static_cast<unsigned char>(m[off])) + "." +
                        std::to_string(static_cast<unsigned char>(m[off + 1])) + "." +
                        std::to_string(static_cast<unsigned char>(m[off + 2])) + "." +
                        std::to_string(static_cast<unsigned char>(m[off + 3])));
      } else if (type == kCname) {
        std::size_t at = off;
        out.cname.push_back(Name(m, &at));
      }
      off += rdlen;
    }
  }
  ::close(fd);
  return out;
}

class IronProxyDoubleDns : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    MakeDoubleCa(dir_);
    port_ = FreePort();
    std::string cfg = BaseConfig(dir_, "");
    // BaseConfig starts with its own dns section: replace it with the one under test.
    cfg = cfg.substr(cfg.find("proxy:\n"));
    cfg = "dns:\n  listen: \"127.0.0.1:" + std::to_string(port_) +
          "\"\n  proxy_ip: \"10.9.8.7\"\n  passthrough: [\"localhost\"]\n  records:\n"
          "    - {name: db.corp, type: A, value: 10.1.2.3}\n"
          "    - {name: www.corp, type: CNAME, value: web.corp}\n" + cfg;
    Env env = BaseEnv(dir_);
    proc_ = std::make_unique<Proc>(GetParam(), std::vector<std::string>{"-config", dir_.Write("proxy.yaml", cfg)}, env);
    ASSERT_TRUE(proc_->WaitLog("iron-proxy starting").is_object()) << proc_->Stderr();
    ASSERT_TRUE(proc_->WaitLog("dns server starting").is_object()) << proc_->Stderr();
  }
  TempDir dir_;
  int port_ = 0;
  std::unique_ptr<Proc> proc_;
};

TEST_P(IronProxyDoubleDns, EveryOtherNameIsInterceptedForAOnly) {
  const Answer a = Query(port_, "not-allowlisted.example.com", kA);
  EXPECT_EQ(a.rcode, 0);
  EXPECT_EQ(a.id, 0x1234);
  EXPECT_TRUE(a.authoritative);
  EXPECT_FALSE(a.recursion_available);
  EXPECT_EQ(a.a, (std::vector<std::string>{"10.9.8.7"}));
  const Answer aaaa = Query(port_, "not-allowlisted.example.com", kAaaa);
  EXPECT_EQ(aaaa.rcode, 0) << "NOERROR, no data: not NXDOMAIN";
  EXPECT_EQ(aaaa.count, 0);
}

TEST_P(IronProxyDoubleDns, RecordsAnswerOnlyTheirOwnTypeAndOtherwiseFallThrough) {
  EXPECT_EQ(Query(port_, "db.corp", kA).a, (std::vector<std::string>{"10.1.2.3"}));
  EXPECT_EQ(Query(port_, "DB.Corp", kA).a, (std::vector<std::string>{"10.1.2.3"})) << "names are matched lowercased";
  EXPECT_EQ(Query(port_, "db.corp", kAaaa).count, 0);
  const Answer cname = Query(port_, "www.corp", kCname);
  EXPECT_EQ(cname.cname, (std::vector<std::string>{"web.corp"}));
  // server.go staticRecord: no match for (CNAME record, A query), so the name is intercepted.
  EXPECT_EQ(Query(port_, "www.corp", kA).a, (std::vector<std::string>{"10.9.8.7"}));
}

TEST_P(IronProxyDoubleDns, PassthroughAnswersEachIpv4AddressOnceAndOnlyForA) {
  const Answer a = Query(port_, "localhost", kA);
  EXPECT_EQ(a.a, (std::vector<std::string>{"127.0.0.1"})) << "LookupHost gives each address once";
  EXPECT_EQ(Query(port_, "localhost", kAaaa).count, 0);
}

TEST_P(IronProxyDoubleDns, NoTcpListener) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port_));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_NE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0) << "dns.Server{Net: \"udp\"}: UDP only";
  ::close(fd);
}

INSTANTIATE_TEST_SUITE_P(Versions, IronProxyDoubleDns, ::testing::Values(Double039(), Double045()),
                         [](const auto& param) { return param.index == 0 ? std::string("v039") : std::string("v045"); });

}  // namespace
}  // namespace doubletest
