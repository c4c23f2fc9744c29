#include "reconcilers/io/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>
#include <utility>

namespace ironward {
namespace {

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

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

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
  GlobalInitOnce();
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) return Error::Transient("curl_easy_init failed");
  CURL* h = curl.get();

  HttpResponse response;
  Transfer transfer{&request, &response};
  char errbuf[CURL_ERROR_SIZE] = {0};

  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  // libcurl never reads the environment here: the proxy is decided by ProxyFor (only requests
  // that ask for it, never to a loopback host). A proxied transfer's redirects go direct to the
  // NO_PROXY hosts and loopback; everything else follows the first URL's choice.
  const std::string proxy =
      request.use_env_proxy && request.unix_socket.empty() ? ProxyFor(proxy_, request.url) : std::string();
  const std::string no_proxy =
      proxy.empty() ? std::string("*")
                    : (proxy_.no_proxy.empty() ? "" : proxy_.no_proxy + ",") + "localhost,127.0.0.0/8,::1";
  if (!proxy.empty()) curl_easy_setopt(h, CURLOPT_PROXY, proxy.c_str());
  curl_easy_setopt(h, CURLOPT_NOPROXY, no_proxy.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https,file");
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, request.follow_redirects ? 1L : 0L);
  curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(request.connect_timeout.count()));
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &transfer);
  if (request.on_progress) {
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, &OnProgress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &transfer);
  }
  if (!request.unix_socket.empty()) {
    curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, request.unix_socket.c_str());
  }
  if (!request.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, request.ca_file.c_str());

  if (request.method == "GET") {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else if (request.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
      curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    }
  }

  curl_slist* header_list = nullptr;
  for (const auto& [k, v] : request.headers) {
    header_list = curl_slist_append(header_list, (k + ": " + v).c_str());
  }
  // libcurl adds "Expect: 100-continue" to large POSTs; small servers mishandle it.
  header_list = curl_slist_append(header_list, "Expect:");
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers_guard(header_list, &curl_slist_free_all);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, header_list);

  const CURLcode rc = curl_easy_perform(h);
  if (transfer.too_big) {
    return Error::Transient(request.url + ": response body exceeds " +
                            std::to_string(request.max_body_bytes) + " bytes");
  }
  if (rc != CURLE_OK && !(transfer.aborted && rc == CURLE_WRITE_ERROR)) {
    std::string detail = errbuf[0] != 0 ? errbuf : curl_easy_strerror(rc);
    return Error::Transient(request.method + " " + request.url + ": " + detail);
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
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
