// Fuzzes the EncString parser and decryption (reconcilers/bitwarden/enc_string.h).
// Properties: no crash; an accepted string re-encodes (ToString) to text that parses to the same
// value, and re-encoding is stable; errors come from a closed set of texts (so they can never
// echo the input, which may be a secret); decrypting under a fixed key never crashes; and
// encrypting the input as plaintext decrypts back to it exactly when it is valid UTF-8
// (checked against an independent UTF-8 validator).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "reconcilers/bitwarden/enc_string.h"

namespace {

using ironward::Bytes;
using ironward::bw::EncString;
using ironward::bw::SymmetricKey;

const SymmetricKey& FixedKey() {
  static const SymmetricKey key = [] {
    Bytes raw(64);
    for (std::size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<std::uint8_t>(i);
    return *SymmetricKey::FromBytes(raw);
  }();
  return key;
}

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// Every error text Parse/Decrypt may produce, with the numbers they carry removed.
bool IsKnownError(std::string_view m) {
  if (m == "EncString error, invalid type header" || m == "EncString error, invalid base64" ||
      m == "EncString error, invalid IV length" || m == "EncString error, invalid MAC length" ||
      m == "The cipher's MAC doesn't match the expected value" ||
      m == "EncString error, invalid ciphertext length" || m == "EncString error, decryption failed (bad padding)" ||
      m == "EncString error, plaintext is not valid UTF-8") {
    return true;
  }
  const auto digits_then = [](std::string_view rest, std::string_view tail) {
    std::size_t i = 0;
    while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9') ++i;
    return i > 0 && rest.substr(i).substr(0, tail.size()) == tail;
  };
  constexpr std::string_view kType = "EncString error, Invalid symmetric type, got type ";
  if (StartsWith(m, kType)) return digits_then(m.substr(kType.size()), " with ");
  constexpr std::string_view kNoDecrypt = "EncString error, type ";
  if (StartsWith(m, kNoDecrypt)) {
    return digits_then(m.substr(kNoDecrypt.size()), " cannot be decrypted with an AES-256-CBC-HMAC-SHA256 key");
  }
  return false;
}

// Reference UTF-8 check (RFC 3629), written independently of the production one.
bool ReferenceUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    if (b <= 0x7F) { ++i; continue; }
    if (b >= 0xC2 && b <= 0xDF) len = 2;
    else if (b == 0xE0) { len = 3; lo = 0xA0; }
    else if (b == 0xED) { len = 3; hi = 0x9F; }
    else if (b >= 0xE1 && b <= 0xEF) len = 3;
    else if (b == 0xF0) { len = 4; lo = 0x90; }
    else if (b >= 0xF1 && b <= 0xF3) len = 4;
    else if (b == 0xF4) { len = 4; hi = 0x8F; }
    else return false;
    if (i + len > s.size()) return false;
    const auto second = static_cast<unsigned char>(s[i + 1]);
    if (second < lo || second > hi) return false;
    for (std::size_t k = 2; k < len; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if (c < 0x80 || c > 0xBF) return false;
    }
    i += len;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  auto parsed = EncString::Parse(text);
  if (!parsed) {
    FUZZ_CHECK(IsKnownError(parsed.error().message), "parse errors come from the closed set");
  } else {
    const std::string encoded = parsed->ToString();
    auto reparsed = EncString::Parse(encoded);
    FUZZ_CHECK(reparsed.ok(), "ToString of an accepted EncString parses");
    FUZZ_CHECK(reparsed->type == parsed->type && reparsed->iv == parsed->iv && reparsed->ct == parsed->ct &&
                   reparsed->mac == parsed->mac,
               "ToString round-trips to the same value");
    FUZZ_CHECK(reparsed->ToString() == encoded, "re-encoding is stable");
    auto plain = ironward::bw::DecryptToString(*parsed, FixedKey());
    if (!plain) FUZZ_CHECK(IsKnownError(plain.error().message), "decrypt errors come from the closed set");
  }

  // Encrypt the input as a plaintext (deterministic IV from the input) and decrypt it back.
  Bytes iv(16);
  for (std::size_t i = 0; i < size; ++i) iv[i % 16] = static_cast<std::uint8_t>(iv[i % 16] * 31U + data[i]);
  const EncString enc = ironward::bw::EncryptWithIv(text, FixedKey(), iv);
  auto back = ironward::bw::DecryptText(enc.ToString(), FixedKey());
  if (ReferenceUtf8(text)) {
    FUZZ_CHECK(back.ok() && *back == text, "valid UTF-8 decrypts back to itself");
  } else {
    FUZZ_CHECK(!back.ok() && back.error().message == "EncString error, plaintext is not valid UTF-8",
               "invalid UTF-8 is refused after decryption");
  }
  return 0;
}
