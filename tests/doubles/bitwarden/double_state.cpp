#include "tests/doubles/bitwarden/double_state.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "reconcilers/bitwarden/enc_string.h"
#include "reconcilers/io/clock.h"
#include "state/encoding.h"

namespace ironward::bwdouble {
namespace {

std::int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string Enc(const std::string& plain, const bw::SymmetricKey& key) { return bw::Encrypt(plain, key).ToString(); }

}  // namespace

std::string NewUuid() {
  Bytes b = RandomBytes(16);
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0FU) | 0x40U);
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3FU) | 0x80U);
  const std::string h = HexEncode(b);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

std::string NowRfc3339() {
  const auto now = std::chrono::system_clock::now();
  std::string s = FormatRfc3339(now);  // ...:SSZ
  const auto frac = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count() % 1000000;
  char buf[16];
  std::snprintf(buf, sizeof buf, ".%06lld0", static_cast<long long>(frac));
  s.insert(s.size() - 1, buf);
  return s;
}

Result<std::unique_ptr<DoubleState>> DoubleState::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error::Invalid("cannot read config " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  auto state = std::make_unique<DoubleState>();
  try {
    const auto j = nlohmann::json::parse(ss.str());
    auto token = bw::ParseAccessToken(j.at("access_token").get<std::string>());
    if (!token) return token.error();
    state->token_ = *token;
    auto key = bw::DeriveAccessTokenKey(token->encryption_key);
    if (!key) return key.error();
    state->token_key_ = *key;
    state->org_id_ = bw::LowercaseUuid(j.at("organization_id").get<std::string>());
    state->project_id_ = bw::LowercaseUuid(j.at("project_id").get<std::string>());
    if (!bw::IsUuid(state->org_id_) || !bw::IsUuid(state->project_id_)) {
      return Error::Invalid("organization_id and project_id must be UUIDs");
    }
    state->expires_in_ = j.value("expires_in", 3600);
    if (j.contains("org_key")) {
      auto org = bw::SymmetricKey::FromBase64(j["org_key"].get<std::string>());
      if (!org) return org.error();
      state->org_key_ = *org;
    } else {
      state->org_key_ = bw::SymmetricKey::Random();
    }
    const std::string now = NowRfc3339();
    const auto& secrets = j.value("secrets", nlohmann::json::object());
    if (secrets.is_object()) {
      for (const auto& [k, v] : secrets.items()) {
        state->secrets_.push_back({NewUuid(), k, v.get<std::string>(), "", now, now});
      }
    } else {
      for (const auto& s : secrets) {
        state->secrets_.push_back({bw::LowercaseUuid(s.value("id", NewUuid())), s.at("key").get<std::string>(),
                                   s.at("value").get<std::string>(), s.value("note", ""), now, now});
      }
    }
  } catch (const nlohmann::json::exception& e) {
    return Error::Invalid(std::string("config: ") + e.what());
  }
  return state;
}

bool DoubleState::CheckClient(const std::string& client_id, const std::string& client_secret) const {
  std::lock_guard lock(mu_);
  return ConstantTimeEquals(bw::LowercaseUuid(client_id), token_.access_token_id) &&
         ConstantTimeEquals(client_secret, token_.client_secret);
}

nlohmann::json DoubleState::IssueLogin() {
  std::lock_guard lock(mu_);
  const std::int64_t now = UnixNow();
  const std::int64_t exp = now + expires_in_;
  const nlohmann::json header = {{"alg", "RS256"}, {"typ", "at+jwt"}};
  const nlohmann::json claims = {{"nbf", now},
                                 {"exp", exp},
                                 {"iss", "http://127.0.0.1"},
                                 {"client_id", token_.access_token_id},
                                 {"sub", token_.access_token_id},
                                 {"organization", org_id_},
                                 {"jti", RandomHex(16)},
                                 {"iat", now},
                                 {"scope", {"api.secrets"}}};
  const std::string jwt = Base64UrlEncode(ToBytes(header.dump())) + "." + Base64UrlEncode(ToBytes(claims.dump())) +
                          "." + Base64UrlEncode(RandomBytes(32));
  bearers_[jwt] = exp;
  const nlohmann::json payload = {{"encryptionKey", org_key_.ToBase64()}};
  return {{"access_token", jwt},
          {"expires_in", expires_in_},
          {"token_type", "Bearer"},
          {"scope", "api.secrets"},
          {"encrypted_payload", Enc(payload.dump(), token_key_)}};
}

bool DoubleState::BearerValid(const std::string& authorization_header) {
  const std::string prefix = "Bearer ";
  if (authorization_header.rfind(prefix, 0) != 0) return false;
  std::lock_guard lock(mu_);
  const auto it = bearers_.find(authorization_header.substr(prefix.size()));
  return it != bearers_.end() && it->second > UnixNow();
}

nlohmann::json DoubleState::ListItemJson(const DoubleSecret& s) const {
  return {{"id", s.id},
          {"organizationId", org_id_},
          {"key", Enc(s.key, org_key_)},
          {"creationDate", s.creation_date},
          {"revisionDate", s.revision_date},
          {"projects", {{{"id", project_id_}, {"name", Enc(project_name_, org_key_)}}}},
          {"read", true},
          {"write", false}};
}

nlohmann::json DoubleState::SecretJson(const DoubleSecret& s, bool corrupt_mac) const {
  bw::EncString value = bw::Encrypt(s.value, org_key_);
  if (corrupt_mac) value.mac[0] ^= 0x01U;
  return {{"object", "secret"},
          {"id", s.id},
          {"organizationId", org_id_},
          {"key", Enc(s.key, org_key_)},
          {"value", value.ToString()},
          {"note", Enc(s.note, org_key_)},
          {"creationDate", s.creation_date},
          {"revisionDate", s.revision_date},
          {"projects", {{{"id", project_id_}, {"name", Enc(project_name_, org_key_)}}}},
          {"read", true},
          {"write", false}};
}

nlohmann::json DoubleState::ListProject(const std::string& project_id, bool* found) {
  std::lock_guard lock(mu_);
  *found = bw::LowercaseUuid(project_id) == project_id_;
  nlohmann::json items = nlohmann::json::array();
  if (*found && project_readable_) {
    for (const auto& s : secrets_) items.push_back(ListItemJson(s));
  }
  if (*found && !delete_after_list_.empty()) {
    std::erase_if(secrets_, [&](const DoubleSecret& s) { return s.key == delete_after_list_; });
    delete_after_list_.clear();
  }
  return {{"object", "SecretsWithProjectsList"},
          {"secrets", items},
          {"projects", {{{"id", project_id_}, {"name", Enc(project_name_, org_key_)}}}}};
}

nlohmann::json DoubleState::ListOrganization(const std::string& org_id, bool* found) {
  std::lock_guard lock(mu_);
  *found = bw::LowercaseUuid(org_id) == org_id_;
  nlohmann::json items = nlohmann::json::array();
  if (project_readable_) {
    for (const auto& s : secrets_) items.push_back(ListItemJson(s));
  }
  return {{"object", "SecretsWithProjectsList"},
          {"secrets", items},
          {"projects", {{{"id", project_id_}, {"name", Enc(project_name_, org_key_)}}}}};
}

nlohmann::json DoubleState::GetByIds(const std::vector<std::string>& ids, bool corrupt_mac, bool* all_found) {
  std::lock_guard lock(mu_);
  // As the real server: the distinct secrets found must be as many as the ids asked for, and
  // at least one (SecretsController.GetSecretsByIdsAsync), else 404.
  std::set<std::string> wanted;
  for (const auto& id : ids) wanted.insert(bw::LowercaseUuid(id));
  nlohmann::json data = nlohmann::json::array();
  for (const auto& s : secrets_) {
    if (wanted.count(s.id) != 0 && project_readable_) data.push_back(SecretJson(s, corrupt_mac));
  }
  *all_found = !data.empty() && data.size() == ids.size();
  return {{"object", "list"}, {"data", data}, {"continuationToken", nullptr}};
}

std::optional<nlohmann::json> DoubleState::GetOne(const std::string& id, bool corrupt_mac) {
  std::lock_guard lock(mu_);
  for (const auto& s : secrets_) {
    if (s.id == bw::LowercaseUuid(id) && project_readable_) return SecretJson(s, corrupt_mac);
  }
  return std::nullopt;
}

nlohmann::json DoubleState::Sync(const std::string& org_id, bool corrupt_mac, bool* found) {
  std::lock_guard lock(mu_);
  *found = bw::LowercaseUuid(org_id) == org_id_;
  nlohmann::json data = nlohmann::json::array();
  if (project_readable_) {
    for (const auto& s : secrets_) data.push_back(SecretJson(s, corrupt_mac));
  }
  return {{"object", "secretsSync"}, {"hasChanges", true}, {"secrets", {{"data", data}}}};
}

nlohmann::json DoubleState::SetSecret(const nlohmann::json& body) {
  std::lock_guard lock(mu_);
  const std::string key = body.at("key").get<std::string>();
  const std::string now = NowRfc3339();
  for (auto& s : secrets_) {
    if (s.key == key) {
      s.value = body.at("value").get<std::string>();
      if (body.contains("note")) s.note = body["note"].get<std::string>();
      s.revision_date = now;
      return {{"id", s.id}, {"created", false}};
    }
  }
  secrets_.push_back({NewUuid(), key, body.at("value").get<std::string>(), body.value("note", ""), now, now});
  return {{"id", secrets_.back().id}, {"created", true}};
}

Status DoubleState::SetFault(const nlohmann::json& body) {
  Fault f;
  f.mode = body.value("mode", "none");
  f.retry_after = body.value("retry_after", 1);
  f.delay_ms = body.value("delay_ms", 0);
  f.scope = body.value("scope", "api");
  f.endpoint = body.value("endpoint", "");
  f.times = body.value("times", 0);
  static const std::set<std::string> kModes = {"none", "401", "404", "429", "500", "slow", "garbage", "badmac"};
  if (kModes.count(f.mode) == 0) return Error::Invalid("unknown fault mode " + f.mode);
  if (f.scope != "api" && f.scope != "identity" && f.scope != "all") return Error::Invalid("unknown scope " + f.scope);
  std::lock_guard lock(mu_);
  fault_ = f;
  return Status::Ok();
}

void DoubleState::SetExpiresIn(int seconds) {
  std::lock_guard lock(mu_);
  expires_in_ = seconds;
}

void DoubleState::RevokeTokens() {
  std::lock_guard lock(mu_);
  bearers_.clear();
}

Result<nlohmann::json> DoubleState::DeleteSecret(const nlohmann::json& body) {
  const std::string key = body.at("key").get<std::string>();
  const bool after_list = body.value("after_list", false);
  std::lock_guard lock(mu_);
  const auto it = std::find_if(secrets_.begin(), secrets_.end(), [&](const DoubleSecret& s) { return s.key == key; });
  if (it == secrets_.end()) return Error::Invalid("no secret with key " + key);
  const std::string id = it->id;
  if (after_list) {
    delete_after_list_ = key;
  } else {
    secrets_.erase(it);
  }
  return nlohmann::json{{"id", id}, {"deleted", !after_list}};
}

void DoubleState::SetProjectAccess(bool read) {
  std::lock_guard lock(mu_);
  project_readable_ = read;
}

std::optional<Fault> DoubleState::TakeFault(const std::string& endpoint) {
  std::lock_guard lock(mu_);
  if (fault_.mode == "none") return std::nullopt;
  const bool identity = endpoint == "identity";
  const bool in_scope = fault_.scope == "all" || (fault_.scope == "identity") == identity;
  if (!in_scope || (!fault_.endpoint.empty() && fault_.endpoint != endpoint)) return std::nullopt;
  Fault f = fault_;
  if (fault_.times > 0 && --fault_.times == 0) fault_ = Fault{};
  counts_["faults_injected"]++;
  return f;
}

void DoubleState::Count(const std::string& endpoint) {
  std::lock_guard lock(mu_);
  counts_[endpoint]++;
}

nlohmann::json DoubleState::Stats() const {
  std::lock_guard lock(mu_);
  nlohmann::json j = {{"identity", 0},   {"project_secrets", 0}, {"org_secrets", 0},     {"get_by_ids", 0},
                      {"get_secret", 0}, {"sync", 0},            {"unauthorized", 0},    {"faults_injected", 0}};
  for (const auto& [k, v] : counts_) j[k] = v;
  j["fault"] = fault_.mode;
  return j;
}

void DoubleState::ResetStats() {
  std::lock_guard lock(mu_);
  counts_.clear();
}

}  // namespace ironward::bwdouble
