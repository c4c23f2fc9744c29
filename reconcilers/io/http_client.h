// HTTP seam. CurlHttpClient is the real one (libcurl); tests use a loopback server or a fake.
// HttpReader is its read half (GET and HEAD): what Observe/Plan get in ReadDeps; HttpClient adds
// Send (any method), which only Apply gets (WriteDeps).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reconcilers/io/http_proxy.h"
#include "state/result.h"

namespace ironward {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string url;                 ///< http://, https:// or file:// (file only for GET)
  HttpHeaders headers;
  std::string body;
  std::chrono::milliseconds timeout{30000};          ///< whole transfer (0 = none)
  std::chrono::milliseconds connect_timeout{10000};
  std::string unix_socket;         ///< when set, connect over this AF_UNIX socket (Docker)
  std::string ca_file;             ///< extra CA bundle to trust (tests); empty = system store
  bool follow_redirects = true;    ///< GitHub release URLs redirect to a CDN
  /// Go through the forward proxy named by ironward's own HTTPS_PROXY / HTTP_PROXY (minus
  /// NO_PROXY): only for requests that leave the host (release download, Bitwarden). Loopback
  /// destinations (the proxy's /healthz and management API) are direct whatever this says.
  bool use_env_proxy = false;
  std::size_t max_body_bytes = 512U * 1024U * 1024U;  ///< larger bodies fail the request
  /// When set, body bytes are streamed here instead of being buffered; return false to abort.
  std::function<bool(std::string_view)> on_data;
  /// When set, called with (downloaded, total-or-0) as bytes arrive.
  std::function<void(std::uint64_t, std::uint64_t)> on_progress;
};

struct HttpResponse {
  long status = 0;
  HttpHeaders headers;  ///< names as received; lookups are case-insensitive
  std::string body;

  /// First header with that name (case-insensitive), or "".
  std::string Header(std::string_view name) const;
};

/// The read half of the HTTP seam: a request whose method is GET or HEAD. The request type
/// still carries a method, so anything else is refused (terminal error) before it is sent.
class HttpReader {
 public:
  virtual ~HttpReader() = default;
  /// Transport failures are an Error (transient); any HTTP status is a response.
  virtual Result<HttpResponse> Get(const HttpRequest& request) = 0;
};

class HttpClient : public HttpReader {
 public:
  /// Transport failures are an Error (transient); any HTTP status is a response.
  virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;
  /// Send, for GET and HEAD only (see HttpReader).
  Result<HttpResponse> Get(const HttpRequest& request) final;
};

/// Opens libcurl now (it is otherwise opened on the first request; reconcilers/io/lazy_library.h).
/// Thread-safe: LibraryPreload calls it on a second thread while the first reads the desired state.
void PreloadCurl();

class CurlHttpClient final : public HttpClient {
 public:
  /// Proxy settings from this process's environment, read now.
  CurlHttpClient();
  /// Explicit proxy settings (tests; never the process environment).
  explicit CurlHttpClient(ProxySettings proxy);
  Result<HttpResponse> Send(const HttpRequest& request) override;

 private:
  ProxySettings proxy_;
};

/// application/x-www-form-urlencoded / URL component escaping (RFC 3986 unreserved kept).
std::string UrlEncode(std::string_view s);

}  // namespace ironward
