// RealProxyProbe against this process and a real loopback socket.
#include "controller/harden/proxy_probe.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <memory>

namespace ironward::harden {
namespace {

using std::chrono::milliseconds;

TEST(RealProxyProbeTest, AcceptsOnlyWhileSomethingListens) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const daemon::Endpoint ep{"127.0.0.1", ntohs(addr.sin_port)};
  RealProxyProbe probe(std::make_shared<RealProcesses>());
  EXPECT_TRUE(probe.Accepts(ep, milliseconds(1000)));
  ::close(fd);
  EXPECT_FALSE(probe.Accepts(ep, milliseconds(1000)));
}

TEST(RealProxyProbeTest, OnlyTheRecordedProcessIsAlive) {
  RealProxyProbe probe(std::make_shared<RealProcesses>());
  // This test process is alive but has another starttime and no proxy nonce: not the proxy.
  EXPECT_EQ(probe.Identity({::getpid(), "nonce", 1}), Liveness::kRecycled);
  EXPECT_EQ(probe.Identity({0x7ffffff0, "nonce", 1}), Liveness::kGone);  // above any pid_max
}

}  // namespace
}  // namespace ironward::harden
