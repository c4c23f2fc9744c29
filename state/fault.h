// Named fault points for the fault-injection suite (tests/faults/). They exist only in
// builds configured with -DIRONWARD_FAULT_POINTS=ON; release builds compile them away.
//
// IRONWARD_FAULT_POINT("ca.after-key-write") kills the process with SIGKILL when the
// environment variable IRONWARD_FAULT equals that name.
#pragma once

#ifdef IRONWARD_FAULT_POINTS
#include <string_view>
namespace ironward {
void HitFaultPoint(std::string_view name);
}
#define IRONWARD_FAULT_POINT(name) ::ironward::HitFaultPoint(name)
#else
#define IRONWARD_FAULT_POINT(name) \
  do {                             \
  } while (false)
#endif
