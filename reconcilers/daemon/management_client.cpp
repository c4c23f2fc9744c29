#include "reconcilers/daemon/management_client.h"

#include <nlohmann/json.hpp>

#include "reconcilers/io/http_client.h"

namespace ironward::daemon {
namespace {

std::string ErrorText(const std::string& body) {
  const auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_string()) return j["error"].get<std::string>();
  std::string trimmed = body.substr(0, 300);
  while (!trimmed.empty() && (trimmed.back() == '\n' || trimmed.back() == '\r')) trimmed.pop_back();
  return trimmed;
}

}  // namespace

ReloadResult Reload(HttpClient* http, const Endpoint& management, const std::string& key,
                    std::chrono::milliseconds timeout) {
  ReloadResult out;
  const std::string auth = "Bearer " + key;
  if (http != nullptr) {
    HttpRequest rq;
    rq.method = "POST";
    rq.url = "http://" + management.ToString() + "/v1/reload";
    rq.headers = {{"Authorization", auth}};
    rq.timeout = timeout;
    rq.connect_timeout = timeout;
    rq.follow_redirects = false;
    rq.use_env_proxy = false;  // loopback management API: never through a forward proxy
    rq.max_body_bytes = 65536;
    auto r = http->Send(rq);
    if (!r.ok()) {
      out.message = "reload request failed: " + r.error().message;
      return out;
    }
    out.status = static_cast<int>(r->status);
    out.message = ErrorText(r->body);
  } else {
    auto r = PlainHttp(management, "POST", "/v1/reload", {"Authorization: " + auth}, timeout);
    if (!r.ok()) {
      out.message = "reload request failed: " + r.error().message;
      return out;
    }
    out.status = r->status;
    out.message = ErrorText(r->body);
  }
  if (out.status == 200) out.kind = ReloadResult::Kind::kOk;
  else if (out.status == 422) out.kind = ReloadResult::Kind::kRejected;
  if (out.kind != ReloadResult::Kind::kRejected) {
    out.message = "HTTP " + std::to_string(out.status) + (out.message.empty() ? "" : ": " + out.message);
  }
  return out;
}

}  // namespace ironward::daemon
