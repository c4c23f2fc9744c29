// Loopback ports for tests that start real listeners (the proxy double, `ironward run`'s /metrics).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <map>

namespace ironward::testing {

/// True when 127.0.0.1:`port` can be bound right now.
inline bool LoopbackPortFree(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

/// The first of `count` (≤ 10) consecutive free loopback ports, a different group on every call in
/// this process, or 0 when none is left. Always below the ephemeral range (32768+): a port checked
/// free there can be taken as some connection's source port before the proxy binds it (seen as
/// "bind: address already in use" under load). Each test program passes its own `first` (regions
/// 2000 apart) and the pid picks a slot inside it, so programs that ctest runs side by side rarely
/// probe the same ports; the check itself settles the rest.
inline int FreeLoopbackPorts(int count, int first) {
  static std::map<int, int> next_of;  // region -> next base to try
  int& next = next_of[first];
  if (next == 0) next = first + static_cast<int>(::getpid() % 100) * 20;
  for (int base = next; base + count <= 32767; base += 10) {
    bool all = true;
    for (int i = 0; i < count && all; ++i) all = LoopbackPortFree(base + i);
    if (all) {
      next = base + 10;
      return base;
    }
  }
  return 0;
}

}  // namespace ironward::testing
