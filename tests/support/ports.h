// Loopback ports for tests that start real listeners (the proxy double, `ironward run`'s /metrics).
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <map>
#include <string>

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

/// Claims the block of ten ports starting at `base` for this test process: an flock on a file
/// under /tmp held (close-on-exec) until the process exits. Two test programs whose pid slots or
/// regions meet then never hand out the same block while both live, even before either binds it.
inline bool ClaimPortBlock(int base) {
  const std::string dir = "/tmp/ironward-test-ports";
  ::mkdir(dir.c_str(), 01777);
  const std::string file = dir + "/" + std::to_string(base);
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) return true;  // no claim possible: the bind check alone decides, as before
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return false;
  }
  return true;  // fd stays open: the claim lasts as long as this process
}

/// The first of `count` (≤ 10) consecutive free loopback ports, a different group on every call in
/// this process, or 0 when none is left. Always below the ephemeral range (32768+): a port checked
/// free there can be taken as some connection's source port before the proxy binds it (seen as
/// "bind: address already in use" under load). Each test program passes its own `first` (regions
/// 2000 apart) and the pid picks a slot inside it; a claimed block (ClaimPortBlock) settles programs
/// that probe the same ports side by side, and the bind check settles everything else.
inline int FreeLoopbackPorts(int count, int first) {
  static std::map<int, int> next_of;  // region -> next base to try
  int& next = next_of[first];
  if (next == 0) next = first + static_cast<int>(::getpid() % 100) * 20;
  for (int base = next; base + count <= 32767; base += 10) {
    bool all = true;
    for (int i = 0; i < count && all; ++i) all = LoopbackPortFree(base + i);
    if (all && ClaimPortBlock(base)) {
      next = base + 10;
      return base;
    }
  }
  return 0;
}

}  // namespace ironward::testing
