#include "reconcilers/bitwarden/crypto.h"

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <memory>

namespace ironward::bw {
namespace {

using KdfPtr = std::unique_ptr<EVP_KDF, decltype(&EVP_KDF_free)>;
using KdfCtxPtr = std::unique_ptr<EVP_KDF_CTX, decltype(&EVP_KDF_CTX_free)>;

// One EVP_KDF "HKDF" call; `salt` is ignored in expand-only mode.
Result<Bytes> Hkdf(int mode, const Bytes& salt, const Bytes& key, std::string_view info, std::size_t length) {
  KdfPtr kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr), &EVP_KDF_free);
  if (!kdf) return Error::Terminal("HKDF is not available in this OpenSSL");
  KdfCtxPtr ctx(EVP_KDF_CTX_new(kdf.get()), &EVP_KDF_CTX_free);
  if (!ctx) return Error::Transient("EVP_KDF_CTX_new failed");

  // OSSL_PARAM wants non-const pointers; OpenSSL only reads these buffers.
  char digest[] = "SHA256";
  Bytes key_copy = key;
  Bytes salt_copy = salt;
  std::string info_copy(info);
  int mode_copy = mode;
  OSSL_PARAM params[6];
  std::size_t n = 0;
  params[n++] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode_copy);
  params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
  params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, key_copy.data(), key_copy.size());
  if (mode == EVP_KDF_HKDF_MODE_EXTRACT_AND_EXPAND) {
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt_copy.data(), salt_copy.size());
  }
  params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info_copy.data(), info_copy.size());
  params[n] = OSSL_PARAM_construct_end();

  Bytes out(length);
  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) {
    return Error::Terminal("HKDF-SHA256 derivation failed");
  }
  return out;
}

}  // namespace

Result<SymmetricKey> SymmetricKey::FromBytes(const Bytes& key) {
  if (key.size() != 64) {
    return Error::Terminal("expected a 64-byte AES-256-CBC-HMAC-SHA256 key, got " + std::to_string(key.size()) +
                           " bytes");
  }
  return SymmetricKey{Bytes(key.begin(), key.begin() + 32), Bytes(key.begin() + 32, key.end())};
}

Result<SymmetricKey> SymmetricKey::FromBase64(std::string_view b64) {
  auto raw = Base64Decode(b64);
  if (!raw) return Error::Terminal("encryption key is not valid base64");
  return FromBytes(*raw);
}

Bytes SymmetricKey::ToBytes() const {
  Bytes out = enc;
  out.insert(out.end(), mac.begin(), mac.end());
  return out;
}

SymmetricKey SymmetricKey::Random() {
  Bytes raw = RandomBytes(64);
  return SymmetricKey{Bytes(raw.begin(), raw.begin() + 32), Bytes(raw.begin() + 32, raw.end())};
}

Result<Bytes> HkdfSha256(const Bytes& salt, const Bytes& ikm, std::string_view info, std::size_t length) {
  return Hkdf(EVP_KDF_HKDF_MODE_EXTRACT_AND_EXPAND, salt, ikm, info, length);
}

Result<Bytes> HkdfExpandSha256(const Bytes& prk, std::string_view info, std::size_t length) {
  return Hkdf(EVP_KDF_HKDF_MODE_EXPAND_ONLY, {}, prk, info, length);
}

Result<SymmetricKey> DeriveShareableKey(const Bytes& secret, std::string_view name,
                                        std::optional<std::string_view> info) {
  // HMAC(key = salt, data = IKM) is exactly HKDF-Extract, so this is plain RFC 5869 HKDF.
  auto okm = HkdfSha256(ToBytes("bitwarden-" + std::string(name)), secret, info.value_or(""), 64);
  if (!okm) return okm.error();
  return SymmetricKey::FromBytes(*okm);
}

Result<SymmetricKey> DeriveAccessTokenKey(const Bytes& token_key16) {
  return DeriveShareableKey(token_key16, "accesstoken", std::string_view("sm-access-token"));
}

}  // namespace ironward::bw
