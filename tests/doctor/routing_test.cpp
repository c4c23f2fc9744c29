// doctor's routing check: the mode in force, and with DNS routing the proxy's DNS on the gateway
// and the nat chain; QueryA against a local UDP responder.
#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "controller/doctor/checks.h"
#include "tests/fakes/fake_processes.h"
#include "tests/support/udp_server.h"

namespace ironward::doctor {
namespace {

using ::testing::HasSubstr;

class RoutingCheckTest : public ::testing::Test {
 protected:
  RoutingCheckTest() {
    spec_.enforcement.network = spec::NetworkMode::kInternal;
    spec_.proxy.dns_port = 9094;
  }
  Check Run(std::optional<std::string> answer) {
    return RoutingCheck(spec_, runner_, [&, answer](const std::string& ip, std::uint16_t port) {
      asked_ = ip + ":" + std::to_string(port);
      return answer;
    }, hints_);
  }
  spec::Spec spec_;
  Hints hints_{"ironward", "gw.yaml"};
  ::ironward::testing::FakeProcesses runner_;
  std::string asked_;
};

TEST_F(RoutingCheckTest, ProxyVariablesPassesAndProbesNothing) {
  const Check c = Run("172.30.99.1");
  EXPECT_EQ(c.result, Result::kPass);
  EXPECT_THAT(c.detail, HasSubstr("routing proxy-variables"));
  EXPECT_TRUE(asked_.empty());
  EXPECT_TRUE(runner_.calls().empty());
}

TEST_F(RoutingCheckTest, DnsRoutingPassesWhenTheProxyAnswersItselfAndTheNatChainIsLoaded) {
  spec_.enforcement.routing = spec::RoutingMode::kBoth;
  runner_.Set("nft -j list chain inet ironward prerouting", CommandResult::Exited(0, "{}"));
  const Check c = Run("172.30.99.1");
  EXPECT_EQ(c.result, Result::kPass) << c.detail;
  EXPECT_EQ(asked_, "172.30.99.1:9094");
  EXPECT_THAT(c.detail, HasSubstr("routing both: the proxy's DNS answers on 172.30.99.1:9094"));
  EXPECT_THAT(c.detail, HasSubstr("proxy variables set too"));
}

TEST_F(RoutingCheckTest, DnsRoutingFailsNamingWhatIsMissing) {
  spec_.enforcement.routing = spec::RoutingMode::kDns;
  runner_.Set("nft -j list chain inet ironward prerouting", CommandResult::Exited(1, "", "No such file or directory"));
  Check c = Run(std::nullopt);
  EXPECT_EQ(c.result, Result::kFail);
  EXPECT_THAT(c.detail, HasSubstr("does not answer on 172.30.99.1:9094"));
  EXPECT_THAT(c.detail, HasSubstr("chain prerouting) is not loaded"));
  EXPECT_EQ(c.fix, "ironward reconcile -f gw.yaml");
  runner_.Set("nft -j list chain inet ironward prerouting", CommandResult::Exited(0, "{}"));
  c = Run("10.0.0.53");  // some other resolver on that port
  EXPECT_EQ(c.result, Result::kFail);
  EXPECT_THAT(c.detail, HasSubstr("answered 10.0.0.53, not the proxy's 172.30.99.1"));
}

/// Answers every query with one uncompressed A record (as miekg/dns does) of `ip`.
testing::UdpServer::Handler AnswerA(const std::string& ip) {
  in_addr addr{};
  ::inet_pton(AF_INET, ip.c_str(), &addr);
  return [addr](const std::string& q) -> std::optional<std::string> {
    if (q.size() < 17) return std::nullopt;
    std::string r = q;
    r[2] = static_cast<char>(0x84);
    r[3] = 0;
    r[7] = 1;
    r += q.substr(12, q.size() - 12 - 4);  // the name again
    r += std::string("\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04", 10);
    r.append(reinterpret_cast<const char*>(&addr), 4);
    return r;
  };
}

TEST(QueryATest, ReadsTheFirstAAnswerAndTimesOutOnSilence) {
  testing::UdpServer r("127.0.0.1", 0, AnswerA("10.9.8.7"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(QueryA("127.0.0.1", r.port()), std::optional<std::string>("10.9.8.7"));
  // Nothing listens on the port just freed by a socket we close: no answer, nullopt.
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  EXPECT_EQ(QueryA("127.0.0.1", ntohs(a.sin_port), std::chrono::milliseconds(300)), std::nullopt);
  EXPECT_EQ(QueryA("not-an-ip", 53), std::nullopt);
}

}  // namespace
}  // namespace ironward::doctor
