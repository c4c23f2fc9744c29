// The built-in DNS server (UDP): static records, passthrough globs, else A -> proxy_ip.
#pragma once

#include "config.h"

namespace irondouble {

// Serves queries on the bound UDP socket until g_stopping is set.
void ServeDns(int fd, const Config::Dns& cfg);

}  // namespace irondouble
