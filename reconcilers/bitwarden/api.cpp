#include "reconcilers/bitwarden/api.h"

#include <cctype>

#include <nlohmann/json.hpp>

#include "reconcilers/bitwarden/access_token.h"
#include "reconcilers/bitwarden/enc_string.h"
#include "reconcilers/bitwarden/identity.h"

namespace ironward::bw {
namespace {

HttpHeaders ApiHeaders(const std::string& bearer, const std::string& user_agent) {
  return {{"Authorization", "Bearer " + bearer},
          {"Accept", "application/json"},
          {"Device-Type", kDeviceTypeSdk},
          {"User-Agent", user_agent}};
}

// The server's human message ({"message"} or {"Message"}, or ErrorModel.Message), short and printable.
std::string ServerMessage(const std::string& body) {
  std::string msg;
  try {
    const auto j = nlohmann::json::parse(body);
    if (!j.is_object()) return "";
    for (const char* k : {"message", "Message", "error_description", "error"}) {
      if (j.contains(k) && j[k].is_string() && !j[k].get<std::string>().empty()) {
        msg = j[k].get<std::string>();
        break;
      }
    }
    if (msg.empty() && j.contains("ErrorModel") && j["ErrorModel"].is_object() &&
        j["ErrorModel"].contains("Message") && j["ErrorModel"]["Message"].is_string()) {
      msg = j["ErrorModel"]["Message"].get<std::string>();
    }
  } catch (const nlohmann::json::exception&) {
    return "";
  }
  if (msg.size() > 200) msg = msg.substr(0, 200) + "...";
  for (char& c : msg) {
    if (std::iscntrl(static_cast<unsigned char>(c)) != 0) c = ' ';
  }
  return msg;
}

Result<std::string> RequiredString(const nlohmann::json& j, const char* field, const std::string& id) {
  if (!j.contains(field) || !j[field].is_string()) {
    return Error::Transient("secret " + id + ": response is missing the string field '" + field + "'");
  }
  return j[field].get<std::string>();
}

}  // namespace

HttpRequest BuildListRequest(const Endpoints& endpoints, const std::string& bearer, std::string_view project_id,
                             const std::string& user_agent) {
  HttpRequest req;
  req.method = "GET";
  req.url = endpoints.api_url + "/projects/" + LowercaseUuid(project_id) + "/secrets";
  req.headers = ApiHeaders(bearer, user_agent);
  req.follow_redirects = false;  // never replay the bearer to another host
  req.use_env_proxy = true;       // ironward's HTTPS_PROXY, if any (docs/bitwarden.md)
  return req;
}

Result<std::vector<std::string>> ParseSecretIds(std::string_view body) {
  try {
    const auto j = nlohmann::json::parse(body);
    if (!j.is_object()) return Error::Transient("list secrets: response is not a JSON object");
    std::vector<std::string> ids;
    if (!j.contains("secrets") || j["secrets"].is_null()) return ids;
    if (!j["secrets"].is_array()) return Error::Transient("list secrets: 'secrets' is not an array");
    for (const auto& s : j["secrets"]) {
      if (!s.is_object() || !s.contains("id") || !s["id"].is_string() || !IsUuid(s["id"].get<std::string>())) {
        return Error::Transient("list secrets: an entry has no valid 'id'");
      }
      ids.push_back(LowercaseUuid(s["id"].get<std::string>()));
    }
    return ids;
  } catch (const nlohmann::json::exception&) {
    return Error::Transient("list secrets: response is not JSON");
  }
}

HttpRequest BuildGetByIdsRequest(const Endpoints& endpoints, const std::string& bearer,
                                 const std::vector<std::string>& ids, const std::string& user_agent) {
  HttpRequest req;
  req.method = "POST";
  req.url = endpoints.api_url + "/secrets/get-by-ids";
  req.headers = ApiHeaders(bearer, user_agent);
  req.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
  req.body = nlohmann::json{{"ids", ids}}.dump();
  req.follow_redirects = false;
  req.use_env_proxy = true;
  return req;
}

Result<std::vector<Secret>> ParseSecrets(std::string_view body, const SymmetricKey& org_key) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(body);
  } catch (const nlohmann::json::exception&) {
    return Error::Transient("get secrets: response is not JSON");
  }
  if (!j.is_object() || !j.contains("data") || !j["data"].is_array()) {
    return Error::Transient("get secrets: response has no 'data' array");
  }
  std::vector<Secret> out;
  for (const auto& s : j["data"]) {
    if (!s.is_object() || !s.contains("id") || !s["id"].is_string() || !IsUuid(s["id"].get<std::string>())) {
      return Error::Transient("get secrets: an entry has no valid 'id'");
    }
    Secret secret;
    secret.id = LowercaseUuid(s["id"].get<std::string>());
    auto enc_key = RequiredString(s, "key", secret.id);
    auto enc_value = RequiredString(s, "value", secret.id);
    auto enc_note = RequiredString(s, "note", secret.id);
    auto revision = RequiredString(s, "revisionDate", secret.id);
    for (const auto* r : {&enc_key, &enc_value, &enc_note, &revision}) {
      if (!*r) return r->error();
    }
    auto key = DecryptText(*enc_key, org_key);
    if (!key) return key.error().Wrap("secret " + secret.id + ": decrypting its key");
    secret.key = std::move(*key);
    auto value = DecryptText(*enc_value, org_key);
    if (!value) return value.error().Wrap("secret " + secret.id + " (" + secret.key + "): decrypting its value");
    secret.value = std::move(*value);
    auto note = DecryptText(*enc_note, org_key);
    if (!note) return note.error().Wrap("secret " + secret.id + " (" + secret.key + "): decrypting its note");
    secret.note = std::move(*note);
    secret.revision_date = *revision;
    out.push_back(std::move(secret));
  }
  return out;
}

Error HttpStatusError(const HttpResponse& response, std::string_view what) {
  std::string text = std::string(what) + ": HTTP " + std::to_string(response.status);
  const std::string msg = ServerMessage(response.body);
  if (!msg.empty()) text += ": " + msg;
  const long s = response.status;
  if (s == 408 || s == 429 || s >= 500) return Error::Transient(text);
  return Error::Terminal(text);
}

std::optional<std::chrono::seconds> RetryAfter(const HttpResponse& response) {
  std::string v = response.Header("Retry-After");
  while (!v.empty() && v.back() == ' ') v.pop_back();
  if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return std::chrono::seconds(std::stol(v));
}

}  // namespace ironward::bw
