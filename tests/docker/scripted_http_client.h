// A scripted HttpClient for DockerClient unit tests: a handler answers each request; streamed
// requests (on_data) get the answer's body fed in small chunks, like a socket would.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "reconcilers/io/http_client.h"

namespace ironward::docker::test_support {

inline HttpResponse Reply(long status, std::string body = {}, HttpHeaders headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

inline HttpResponse PingReply(const std::string& api_version) {
  return Reply(200, "OK", {{"Api-Version", api_version}, {"Ostype", "linux"}});
}

class ScriptedHttpClient final : public HttpClient {
 public:
  using Handler = std::function<Result<HttpResponse>(const HttpRequest&)>;

  explicit ScriptedHttpClient(Handler handler) : handler_(std::move(handler)) {}

  Result<HttpResponse> Send(const HttpRequest& request) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(request);
    }
    auto resp = handler_(request);
    if (resp.ok() && request.on_data) {
      std::string body = std::move(resp->body);
      resp->body.clear();
      for (std::size_t i = 0; i < body.size(); i += chunk_size) {
        if (!request.on_data(std::string_view(body).substr(i, chunk_size))) break;
      }
    }
    return resp;
  }

  std::vector<HttpRequest> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  /// Path and query after "http://localhost".
  std::vector<std::string> paths() const {
    std::vector<std::string> out;
    for (const auto& r : requests()) out.push_back(PathOf(r));
    return out;
  }
  static std::string PathOf(const HttpRequest& r) {
    const std::string base = "http://localhost";
    return r.url.rfind(base, 0) == 0 ? r.url.substr(base.size()) : r.url;
  }

  std::size_t chunk_size = 7;

 private:
  Handler handler_;
  mutable std::mutex mu_;
  std::vector<HttpRequest> requests_;
};

}  // namespace ironward::docker::test_support
