// Version of the iron-proxy release this double pretends to be, injected at compile time.
#pragma once

#include <string_view>

#ifndef IRON_DOUBLE_VERSION
#error "IRON_DOUBLE_VERSION must be defined (e.g. \"0.39.0\")"
#endif

namespace irondouble {

inline constexpr std::string_view kVersion = IRON_DOUBLE_VERSION;

// Minor version of 0.x.y, parsed at compile time.
constexpr int MinorVersion() {
  int minor = 0;
  std::size_t i = kVersion.find('.') + 1;
  while (i < kVersion.size() && kVersion[i] >= '0' && kVersion[i] <= '9') {
    minor = minor * 10 + (kVersion[i] - '0');
    ++i;
  }
  return minor;
}

// True when the pretended release is 0.<minor>.0 or later.
constexpr bool AtLeast(int minor) { return MinorVersion() >= minor; }

}  // namespace irondouble
