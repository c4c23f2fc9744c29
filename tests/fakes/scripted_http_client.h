// ScriptedHttpClient: an HttpClient whose answers the test scripts, for unit tests of the code that
// speaks HTTP (DockerClient, the Bitwarden client, the release download). Either a handler answers
// each request, or queued answers are given out in order (a transient error once they run out).
// Every request is recorded; streamed requests (on_data) get the answer's body fed in chunks of
// chunk_size bytes, like a socket would. Thread-safe: requests may come from several threads.
#pragma once

#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "reconcilers/io/http_client.h"

namespace ironward::testing {

/// An HTTP answer with `status`, `body` and `headers`.
inline HttpResponse Reply(long status, std::string body = {}, HttpHeaders headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

class ScriptedHttpClient final : public HttpClient {
 public:
  using Handler = std::function<Result<HttpResponse>(const HttpRequest&)>;

  /// Answers with what Queue() was given, in order.
  ScriptedHttpClient() = default;
  /// Answers every request with `handler`.
  explicit ScriptedHttpClient(Handler handler) : handler_(std::move(handler)) {}

  /// The answer to one more request (without a handler).
  void Queue(Result<HttpResponse> answer) {
    std::lock_guard<std::mutex> lock(mu_);
    queued_.push_back(std::move(answer));
  }

  Result<HttpResponse> Send(const HttpRequest& request) override {
    Result<HttpResponse> resp = Error::Transient("no scripted response");
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(request);
      if (!handler_ && !queued_.empty()) {
        resp = std::move(queued_.front());
        queued_.pop_front();
      }
    }
    if (handler_) resp = handler_(request);
    if (resp.ok() && request.on_data) {
      std::string body = std::move(resp->body);
      resp->body.clear();
      for (std::size_t i = 0; i < body.size(); i += chunk_size) {
        if (!request.on_data(std::string_view(body).substr(i, chunk_size))) break;
      }
    }
    return resp;
  }

  /// Every request so far, in order.
  std::vector<HttpRequest> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  /// Path and query after "http://localhost" of every request so far.
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
  std::deque<Result<HttpResponse>> queued_;
  std::vector<HttpRequest> requests_;
};

}  // namespace ironward::testing
