// Symmetric EncString, text form "<type>.<b64 iv>|<b64 ct>|<b64 mac>" (type 2 = AES-256-CBC +
// HMAC-SHA256, what Secrets Manager uses).
#pragma once

#include <string>
#include <string_view>

#include "reconcilers/bitwarden/crypto.h"
#include "state/encoding.h"
#include "state/result.h"

namespace ironward::bw {

struct EncString {
  int type = 2;
  Bytes iv;   ///< 16 bytes
  Bytes ct;   ///< AES-CBC ciphertext, PKCS#7 padded
  Bytes mac;  ///< 32 bytes for types 1 and 2; empty for type 0

  /// Parses the text form. Types 0 (iv|ct), 1 and 2 (iv|ct|mac) are recognised; a string without
  /// "<type>." is legacy type 1 (3 parts) or 0 (2 parts). Errors never contain the input.
  static Result<EncString> Parse(std::string_view text);
  std::string ToString() const;
  /// SDK `to_buffer`: [type][iv][mac][ct].
  Bytes ToBuffer() const;
};

/// Decrypts a type-2 EncString: HMAC-SHA256(mac_key, iv‖ct) is checked first, in constant time
/// ("The cipher's MAC doesn't match the expected value"), then AES-256-CBC + PKCS#7 unpadding.
/// Other types are refused (they have no MAC under a 64-byte key). Errors are kTransient.
Result<Bytes> Decrypt(const EncString& enc, const SymmetricKey& key);
/// Decrypt + UTF-8 check; the plaintext never appears in an error.
Result<std::string> DecryptToString(const EncString& enc, const SymmetricKey& key);
/// Parse + DecryptToString.
Result<std::string> DecryptText(std::string_view enc_text, const SymmetricKey& key);

/// Type-2 encryption with a random IV.
EncString Encrypt(std::string_view plaintext, const SymmetricKey& key);
/// Same with a caller-chosen IV (tests only; never reuse an IV in production).
EncString EncryptWithIv(std::string_view plaintext, const SymmetricKey& key, const Bytes& iv16);

/// True when the error came from a MAC mismatch (integrity failure, not a transport problem).
bool IsMacMismatch(const Error& error);

}  // namespace ironward::bw
