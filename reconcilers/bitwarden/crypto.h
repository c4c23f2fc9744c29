// Key material and key derivation (HKDF-SHA256 via OpenSSL EVP_KDF).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "state/encoding.h"
#include "state/result.h"

namespace ironward::bw {

/// A 64-byte AES-256-CBC + HMAC-SHA256 key: enc = bytes[0..32], mac = bytes[32..64].
struct SymmetricKey {
  Bytes enc;  ///< 32 bytes
  Bytes mac;  ///< 32 bytes

  /// From the 64-byte enc‖mac form; any other length is an error.
  static Result<SymmetricKey> FromBytes(const Bytes& key);
  /// From standard base64 of the 64-byte form (the org key in `encryptionKey`).
  static Result<SymmetricKey> FromBase64(std::string_view b64);
  Bytes ToBytes() const;
  std::string ToBase64() const { return Base64Encode(ToBytes()); }
  /// A fresh random key (the server double's org key).
  static SymmetricKey Random();
};

/// RFC 5869 HKDF-SHA256 (extract then expand).
Result<Bytes> HkdfSha256(const Bytes& salt, const Bytes& ikm, std::string_view info, std::size_t length);
/// RFC 5869 HKDF-Expand only (PRK given).
Result<Bytes> HkdfExpandSha256(const Bytes& prk, std::string_view info, std::size_t length);

/// SDK `derive_shareable_key`: PRK = HMAC-SHA256("bitwarden-" + name, secret), then
/// HKDF-Expand(PRK, info, 64). A missing info is the empty string.
Result<SymmetricKey> DeriveShareableKey(const Bytes& secret, std::string_view name,
                                        std::optional<std::string_view> info);

/// The key that decrypts `encrypted_payload` and the login cache: derive_shareable_key(
/// token key, "accesstoken", "sm-access-token").
Result<SymmetricKey> DeriveAccessTokenKey(const Bytes& token_key16);

}  // namespace ironward::bw
