// The HTTP server under HttpEndpoint (http_endpoint.h), kept out of the `ironward` binary.
//
// Debian's libcpp-httplib runs OpenSSL's initialisation from a static initialiser as soon as it is
// loaded: linked into `ironward`, every command (`--version`, a dry run) paid about 2-3 ms of
// start-up for a server only `ironward run --metrics-addr` uses. So the server is a module,
// ironward-http.so, beside the binary in a build tree and in /usr/lib/ironward when installed;
// HttpEndpoint opens it when it starts. Test programs link the same source instead
// (ironward_http_server_linked) and HttpEndpoint then uses that, without dlopen.
//
// The module sees only this header: requests in, replies out. Routing, headers and the
// read-only rule stay in HttpEndpoint.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace ironward::run {

struct EndpointRequest {
  std::string method;    ///< "GET", "HEAD", "POST", ...
  std::string path;      ///< without the query
  bool verbose = false;  ///< the query has a `verbose` parameter
};

struct EndpointReply {
  int status = 200;
  std::string content_type = "text/plain";
  std::string body;  ///< not sent for HEAD (the server drops it)
  std::vector<std::pair<std::string, std::string>> headers;
};

using EndpointHandler = std::function<EndpointReply(const EndpointRequest&)>;

class EndpointServer {
 public:
  virtual ~EndpointServer() = default;
  /// Binds now; false when the address cannot be bound.
  virtual bool Bind(const std::string& host, int port) = 0;
  /// Serves until Stop (blocks: run it on its own thread).
  virtual void Serve() = 0;
  /// Makes Serve return; safe from another thread.
  virtual void Stop() = 0;
};

inline constexpr const char* kEndpointServerModule = "ironward-http.so";
inline constexpr const char* kEndpointServerEntry = "ironward_endpoint_server_new";

}  // namespace ironward::run

/// The module's one entry point: a server answering every request through `handler` (copied).
extern "C" ironward::run::EndpointServer* ironward_endpoint_server_new(const ironward::run::EndpointHandler* handler);
