// FUZZ_CHECK: a property every fuzz target asserts. A violation prints what broke and aborts, which
// libFuzzer reports as a crash and saves the input as crash-<sha1> (the reproducer).
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond, what)                                                            \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "FUZZ_CHECK failed at %s:%d: %s (%s)\n", __FILE__, __LINE__, \
                   what, #cond);                                                          \
      std::abort();                                                                       \
    }                                                                                     \
  } while (0)
