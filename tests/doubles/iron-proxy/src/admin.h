// metrics.listen (/healthz only) and management.listen (/v1/reload; /v1/status and /v1/sync
// from 0.45), served like Go's ServeMux handlers.
#pragma once

#include <functional>
#include <string>

namespace irondouble {

class Conn;

void ServeMetricsConn(Conn& conn);

struct ManagementOptions {
  std::string api_key;                                   // value of the api_key_env variable
  std::function<bool(std::string* err)> reload;          // null in managed mode (0.45)
  bool managed = false;
};
void ServeManagementConn(const ManagementOptions& opts, Conn& conn);

}  // namespace irondouble
