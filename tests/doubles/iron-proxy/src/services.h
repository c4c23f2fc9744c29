// Starts every listener in its own thread (like iron-proxy's goroutines), reports the first
// fatal server error, and waits for SIGINT/SIGTERM once handlers are installed.
#pragma once

#include "admin.h"
#include "config.h"
#include "proxy.h"

#include <string>

namespace irondouble {

// Launches DNS (if enabled), the proxy listeners, metrics and (if set) management.
void StartServices(const Config& cfg, const ProxyContext& proxy, const ManagementOptions* mgmt);

// SIGINT/SIGTERM handlers that wake WaitForShutdown; installed before the proxy says it is starting.
void InstallShutdownHandlers();
// Blocks until a signal or a fatal server error; logs the matching line, stops accepting and waits
// (<= 10 s) for in-flight requests.
void WaitForShutdown();

}  // namespace irondouble
