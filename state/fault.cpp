#include "state/fault.h"

#ifdef IRONWARD_FAULT_POINTS
#include <csignal>
#include <cstdlib>
#include <string>

namespace ironward {

void HitFaultPoint(std::string_view name) {
  const char* want = std::getenv("IRONWARD_FAULT");
  if (want != nullptr && name == want) {
    std::raise(SIGKILL);  // as abrupt as a power cut: no destructors, no flush
  }
}

}  // namespace ironward
#endif
