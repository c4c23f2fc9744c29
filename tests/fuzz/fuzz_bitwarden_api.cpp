// Fuzzes the decoders of Bitwarden server JSON: the secrets list (ParseSecretIds), get-by-ids with
// decryption (ParseSecrets), the identity login response (ParseLoginResponse), the bearer JWT
// (ParseJwt) and the error/Retry-After handling (HttpStatusError, RetryAfter). Keys are fixed, so
// the seed corpus carries bodies encrypted under them (see tests/fuzz/README in docs/fuzzing.md).
// Properties: no crash, no exception escapes, no undefined behaviour (e.g. on huge numbers);
// accepted values re-encode to bodies that decode to the same values; an error never contains a
// secret value or note that was in the body, nor the bearer token; server error text is bounded
// and has no control characters.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fuzz_check.h"
#include "reconcilers/bitwarden/access_token.h"
#include "reconcilers/bitwarden/api.h"
#include "reconcilers/bitwarden/enc_string.h"
#include "reconcilers/bitwarden/identity.h"
#include "reconcilers/bitwarden/jwt.h"

namespace {

using ironward::Bytes;
using ironward::bw::SymmetricKey;
using nlohmann::json;

SymmetricKey KeyFrom(std::uint8_t first) {
  Bytes raw(64);
  for (std::size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<std::uint8_t>(first + i);
  return *SymmetricKey::FromBytes(raw);
}
// The organization key (secrets) and the access token's derived key (login payload) of the seeds.
const SymmetricKey& OrgKey() {
  static const SymmetricKey k = KeyFrom(0);
  return k;
}
const SymmetricKey& TokenKey() {
  static const SymmetricKey k = KeyFrom(100);
  return k;
}

std::string Enc(const std::string& plain) {
  return ironward::bw::EncryptWithIv(plain, OrgKey(), Bytes(16, 7)).ToString();
}

bool Contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

void FuzzSecretIds(std::string_view body) {
  auto ids = ironward::bw::ParseSecretIds(body);
  if (!ids) return;
  json list = {{"secrets", json::array()}};
  for (const auto& id : *ids) {
    FUZZ_CHECK(ironward::bw::IsUuid(id) && ironward::bw::LowercaseUuid(id) == id, "ids are lowercase UUIDs");
    list["secrets"].push_back({{"id", id}});
  }
  auto again = ironward::bw::ParseSecretIds(list.dump());
  FUZZ_CHECK(again.ok() && *again == *ids, "a re-encoded list gives the same ids");
}

void FuzzSecrets(std::string_view body) {
  auto secrets = ironward::bw::ParseSecrets(body, OrgKey());
  if (!secrets) {
    // Whatever in the body decrypts under the key is a secret: no error may carry it.
    const json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.contains("data") || !j["data"].is_array()) return;
    for (const auto& s : j["data"]) {
      if (!s.is_object()) continue;
      for (const char* field : {"value", "note"}) {
        if (!s.contains(field) || !s[field].is_string()) continue;
        auto plain = ironward::bw::DecryptText(s[field].get<std::string>(), OrgKey());
        if (plain && plain->size() >= 4) {
          FUZZ_CHECK(!Contains(secrets.error().message, *plain), "an error never contains a secret value or note");
        }
      }
    }
    return;
  }
  json again = {{"data", json::array()}};
  for (const auto& s : *secrets) {
    FUZZ_CHECK(ironward::bw::IsUuid(s.id) && ironward::bw::LowercaseUuid(s.id) == s.id, "ids are lowercase UUIDs");
    again["data"].push_back({{"id", s.id},
                             {"key", Enc(s.key)},
                             {"value", Enc(s.value)},
                             {"note", Enc(s.note)},
                             {"revisionDate", s.revision_date}});
  }
  auto back = ironward::bw::ParseSecrets(again.dump(), OrgKey());
  FUZZ_CHECK(back.ok() && back->size() == secrets->size(), "re-encrypted secrets decode");
  for (std::size_t i = 0; i < back->size(); ++i) {
    const auto& a = (*secrets)[i];
    const auto& b = (*back)[i];
    FUZZ_CHECK(a.id == b.id && a.key == b.key && a.value == b.value && a.note == b.note &&
                   a.revision_date == b.revision_date,
               "re-encrypted secrets decode to the same values");
  }
}

void FuzzLogin(std::string_view body) {
  const auto now = ironward::SystemTime{} + std::chrono::hours(24 * 365 * 56);  // ~2026
  ironward::HttpResponse response{200, {}, std::string(body)};
  auto session = ironward::bw::ParseLoginResponse(response, TokenKey(), now);
  if (session) {
    FUZZ_CHECK(!session->bearer.empty(), "a session has a bearer");
    FUZZ_CHECK(ironward::bw::IsUuid(session->organization_id) &&
                   ironward::bw::LowercaseUuid(session->organization_id) == session->organization_id,
               "the organization is a lowercase UUID");
    FUZZ_CHECK(session->org_key.enc.size() == 32 && session->org_key.mac.size() == 32, "the org key is 64 bytes");
    FUZZ_CHECK(session->expires_at >= now, "a session never expires before it starts");
    return;
  }
  const json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.contains("access_token") && j["access_token"].is_string()) {
    const std::string bearer = j["access_token"].get<std::string>();
    if (bearer.size() >= 16 && std::count(bearer.begin(), bearer.end(), '.') >= 2) {
      FUZZ_CHECK(!Contains(session.error().message, bearer), "a login error never contains the bearer");
    }
  }
}

void FuzzJwt(std::string_view text) {
  auto claims = ironward::bw::ParseJwt(text);
  if (!claims) return;
  json payload = {{"exp", claims->exp}, {"sub", claims->sub}, {"scope", claims->scope}};
  if (claims->organization) {
    FUZZ_CHECK(ironward::bw::IsUuid(*claims->organization) &&
                   ironward::bw::LowercaseUuid(*claims->organization) == *claims->organization,
               "the organization claim is a lowercase UUID");
    payload["organization"] = *claims->organization;
  }
  const std::string jwt = "e30." + ironward::Base64UrlEncode(ironward::ToBytes(payload.dump())) + ".sig";
  auto again = ironward::bw::ParseJwt(jwt);
  FUZZ_CHECK(again.ok() && again->exp == claims->exp && again->sub == claims->sub && again->scope == claims->scope &&
                 again->organization == claims->organization,
             "re-encoded claims parse to the same claims");
}

void FuzzServerErrors(std::string_view body) {
  for (long status : {401L, 429L, 500L}) {
    const ironward::HttpResponse response{status, {{"Retry-After", std::string(body.substr(0, 16))}}, std::string(body)};
    const auto e = ironward::bw::HttpStatusError(response, "get secrets");
    FUZZ_CHECK(e.message.size() <= 64 + 203, "server text in an error is bounded");
    for (char c : e.message) FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f, "no control characters");
    if (auto after = ironward::bw::RetryAfter(response)) FUZZ_CHECK(after->count() >= 0, "Retry-After is >= 0");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  FuzzSecretIds(body);
  FuzzSecrets(body);
  FuzzLogin(body);
  FuzzJwt(body);
  FuzzServerErrors(body);
  return 0;
}
