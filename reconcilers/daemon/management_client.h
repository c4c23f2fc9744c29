// POST /v1/reload on iron-proxy's loopback management listener (Bearer <management key>).
// A reload re-reads proxy.yaml and swaps transforms/mcp/postgres only; everything else needs a
// restart. Nothing changes in the proxy when it answers 422.
#pragma once

#include <chrono>
#include <string>

#include "reconcilers/daemon/readiness.h"

namespace ironward {
class HttpClient;
}

namespace ironward::daemon {

struct ReloadResult {
  enum class Kind {
    kOk,        ///< 200: the new transforms are live
    kRejected,  ///< 422: the proxy refused the config; `message` has its error text
    kFailed,    ///< anything else (401, 404, 5xx, unreachable): fall back to a restart
  };
  Kind kind = Kind::kFailed;
  int status = 0;
  std::string message;  ///< never contains the key
};

ReloadResult Reload(HttpClient* http, const Endpoint& management, const std::string& key,
                    std::chrono::milliseconds timeout = std::chrono::milliseconds(10000));

}  // namespace ironward::daemon
