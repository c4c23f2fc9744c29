#include "reconcilers/io/http_client.h"

#include <curl/curl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include <algorithm>
#include <cctype>
#include <memory>
#include <string>
#include <utility>

#include "reconcilers/io/lazy_library.h"

namespace ironward {
namespace {

// libcurl and the ~30 libraries it links (ldap, kerberos, rtmp, gnutls...) are opened on the first
// request, not at process start (reconcilers/io/lazy_library.h): the functions called, typed by
// curl.h. IRONWARD_CURL_SONAME comes from CMakeLists.txt.
struct CurlApi {
  decltype(&curl_global_init) global_init = nullptr;
  decltype(&curl_easy_init) easy_init = nullptr;
  decltype(&curl_easy_cleanup) easy_cleanup = nullptr;
  decltype(&curl_easy_setopt) easy_setopt = nullptr;
  decltype(&curl_easy_perform) easy_perform = nullptr;
  decltype(&curl_easy_getinfo) easy_getinfo = nullptr;
  decltype(&curl_easy_strerror) easy_strerror = nullptr;
  decltype(&curl_slist_append) slist_append = nullptr;
  decltype(&curl_slist_free_all) slist_free_all = nullptr;
  std::string error;  ///< "" when every function is bound and curl_global_init succeeded
};

CurlApi LoadCurl() {
  static LazyLibrary lib(IRONWARD_CURL_SONAME);
  CurlApi a;
  if (a.error = lib.Open(); !a.error.empty()) return a;
  std::string missing;
  IRONWARD_LAZY_BIND(lib, curl_global_init, a.global_init, missing);
  IRONWARD_LAZY_BIND(lib, curl_easy_init, a.easy_init, missing);
  IRONWARD_LAZY_BIND(lib, curl_easy_cleanup, a.easy_cleanup, missing);
  IRONWARD_LAZY_BIND(lib, curl_easy_setopt, a.easy_setopt, missing);
  IRONWARD_LAZY_BIND(lib, curl_easy_perform, a.easy_perform, missing);
  IRONWARD_LAZY_BIND(lib, curl_easy_getinfo, a.easy_getinfo, missing);
  IRONWARD_LAZY_BIND(lib, curl_easy_strerror, a.easy_strerror, missing);
  IRONWARD_LAZY_BIND(lib, curl_slist_append, a.slist_append, missing);
  IRONWARD_LAZY_BIND(lib, curl_slist_free_all, a.slist_free_all, missing);
  if (!missing.empty()) {
    a.error = std::string(lib.soname()) + " lacks " + missing;
  } else if (const CURLcode rc = a.global_init(CURL_GLOBAL_DEFAULT); rc != CURLE_OK) {
    a.error = "curl_global_init failed (code " + std::to_string(static_cast<int>(rc)) + ")";
  }
  return a;
}

/// Loaded once, on the first request (a function-local static: thread-safe, never at start-up).
const CurlApi& Curl() {
  static const CurlApi api = LoadCurl();
  return api;
}

bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

struct Transfer {
  const HttpRequest* request = nullptr;
  HttpResponse* response = nullptr;
  bool too_big = false;
  bool aborted = false;
};

std::size_t OnBody(char* ptr, std::size_t size, std::size_t nmemb, void* userdata) {
  auto* t = static_cast<Transfer*>(userdata);
  const std::size_t n = size * nmemb;
  if (t->request->on_data) {
    if (!t->request->on_data(std::string_view(ptr, n))) {
      t->aborted = true;
      return 0;
    }
    return n;
  }
  if (t->response->body.size() + n > t->request->max_body_bytes) {
    t->too_big = true;
    return 0;
  }
  t->response->body.append(ptr, n);
  return n;
}

std::size_t OnHeader(char* ptr, std::size_t size, std::size_t nmemb, void* userdata) {
  auto* t = static_cast<Transfer*>(userdata);
  const std::size_t n = size * nmemb;
  std::string_view line(ptr, n);
  if (line.rfind("HTTP/", 0) == 0) {
    t->response->headers.clear();  // a redirect or 100-continue starts a new header block
    return n;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  std::string_view name = line.substr(0, colon);
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
    value.remove_suffix(1);
  t->response->headers.emplace_back(std::string(name), std::string(value));
  return n;
}

int OnProgress(void* userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(userdata);
  if (t->request->on_progress) {
    t->request->on_progress(static_cast<std::uint64_t>(dlnow), static_cast<std::uint64_t>(dltotal));
  }
  return 0;
}

}  // namespace

void PreloadCurl() { (void)Curl(); }

std::string HttpResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (IEquals(k, name)) return v;
  }
  return "";
}

Result<HttpResponse> HttpClient::Get(const HttpRequest& request) {
  if (request.method != "GET" && request.method != "HEAD") {
    return Error::Terminal("refusing " + request.method + " " + request.url + " through the read-only HTTP view");
  }
  return Send(request);
}

CurlHttpClient::CurlHttpClient() : proxy_(ProxySettings::FromProcessEnvironment()) {}

CurlHttpClient::CurlHttpClient(ProxySettings proxy) : proxy_(std::move(proxy)) {}

Result<HttpResponse> CurlHttpClient::Send(const HttpRequest& request) {
  // A unix socket that does not exist (no Docker engine on this host, as on a proxy-only
  // gateway): fail as the connect would, without opening libcurl and the ~35 libraries it brings
  // (~11 ms) for a request that cannot succeed.
  if (struct stat st {}; !request.unix_socket.empty() && ::stat(request.unix_socket.c_str(), &st) != 0 &&
                         errno == ENOENT) {
    return Error::Transient(request.method + " " + request.url + ": Couldn't connect to server (" +
                            std::strerror(ENOENT) + ")");
  }
  const CurlApi& api = Curl();
  if (!api.error.empty()) return Error::Transient(request.method + " " + request.url + ": " + api.error);
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(api.easy_init(), api.easy_cleanup);
  if (!curl) return Error::Transient("curl_easy_init failed");
  CURL* h = curl.get();

  HttpResponse response;
  Transfer transfer{&request, &response};
  char errbuf[CURL_ERROR_SIZE] = {0};

  api.easy_setopt(h, CURLOPT_URL, request.url.c_str());
  api.easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  api.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  // libcurl never reads the environment here: the proxy is decided by ProxyFor (only requests
  // that ask for it, never to a loopback host). A proxied transfer's redirects go direct to the
  // NO_PROXY hosts and loopback; everything else follows the first URL's choice.
  const std::string proxy =
      request.use_env_proxy && request.unix_socket.empty() ? ProxyFor(proxy_, request.url) : std::string();
  const std::string no_proxy =
      proxy.empty() ? std::string("*")
                    : (proxy_.no_proxy.empty() ? "" : proxy_.no_proxy + ",") + "localhost,127.0.0.0/8,::1";
  if (!proxy.empty()) api.easy_setopt(h, CURLOPT_PROXY, proxy.c_str());
  api.easy_setopt(h, CURLOPT_NOPROXY, no_proxy.c_str());
  api.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https,file");
  api.easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
  api.easy_setopt(h, CURLOPT_FOLLOWLOCATION, request.follow_redirects ? 1L : 0L);
  api.easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
  api.easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
  api.easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.connect_timeout.count()));
  api.easy_setopt(h, CURLOPT_WRITEFUNCTION, &OnBody);
  api.easy_setopt(h, CURLOPT_WRITEDATA, &transfer);
  api.easy_setopt(h, CURLOPT_HEADERFUNCTION, &OnHeader);
  api.easy_setopt(h, CURLOPT_HEADERDATA, &transfer);
  if (request.on_progress) {
    api.easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    api.easy_setopt(h, CURLOPT_XFERINFOFUNCTION, &OnProgress);
    api.easy_setopt(h, CURLOPT_XFERINFODATA, &transfer);
  }
  if (!request.unix_socket.empty()) {
    api.easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, request.unix_socket.c_str());
  }
  if (!request.ca_file.empty()) api.easy_setopt(h, CURLOPT_CAINFO, request.ca_file.c_str());

  if (request.method == "GET") {
    api.easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else if (request.method == "HEAD") {
    api.easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else {
    api.easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
      api.easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
      api.easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    }
  }

  curl_slist* header_list = nullptr;
  for (const auto& [k, v] : request.headers) {
    header_list = api.slist_append(header_list, (k + ": " + v).c_str());
  }
  // libcurl adds "Expect: 100-continue" to large POSTs; small servers mishandle it.
  header_list = api.slist_append(header_list, "Expect:");
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers_guard(header_list, api.slist_free_all);
  api.easy_setopt(h, CURLOPT_HTTPHEADER, header_list);

  const CURLcode rc = api.easy_perform(h);
  if (transfer.too_big) {
    return Error::Transient(request.url + ": response body exceeds " +
                            std::to_string(request.max_body_bytes) + " bytes");
  }
  if (rc != CURLE_OK && !(transfer.aborted && rc == CURLE_WRITE_ERROR)) {
    std::string detail = errbuf[0] != 0 ? errbuf : api.easy_strerror(rc);
    return Error::Transient(request.method + " " + request.url + ": " + detail);
  }
  api.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
  if (request.url.rfind("file://", 0) == 0 && response.status == 0) response.status = 200;
  return response;
}

std::string UrlEncode(std::string_view s) {
  static constexpr char kHexUpper[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHexUpper[c >> 4U];
      out += kHexUpper[c & 15U];
    }
  }
  return out;
}

}  // namespace ironward
