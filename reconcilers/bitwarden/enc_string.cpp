#include "reconcilers/bitwarden/enc_string.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdlib>
#include <memory>
#include <vector>

namespace ironward::bw {
namespace {

constexpr std::string_view kMacMismatch = "The cipher's MAC doesn't match the expected value";

Error TypeError(int type, std::size_t parts) {
  return Error::Transient("EncString error, Invalid symmetric type, got type " + std::to_string(type) + " with " +
                          std::to_string(parts) + " parts");
}

std::vector<std::string_view> SplitPipes(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const auto bar = s.find('|', start);
    out.push_back(s.substr(start, bar == std::string_view::npos ? std::string_view::npos : bar - start));
    if (bar == std::string_view::npos) return out;
    start = bar + 1;
  }
}

Bytes HmacSha256(const Bytes& key, const Bytes& iv, const Bytes& ct) {
  Bytes data = iv;
  data.insert(data.end(), ct.begin(), ct.end());
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), data.data(), data.size(), out.data(), &len);
  out.resize(len);
  return out;
}

bool ValidUtf8(const Bytes& b) {
  std::size_t i = 0;
  while (i < b.size()) {
    const unsigned c = b[i];
    std::size_t n = 0;
    unsigned cp = 0;
    if (c < 0x80U) {
      ++i;
      continue;
    }
    if ((c & 0xE0U) == 0xC0U) { n = 1; cp = c & 0x1FU; }
    else if ((c & 0xF0U) == 0xE0U) { n = 2; cp = c & 0x0FU; }
    else if ((c & 0xF8U) == 0xF0U) { n = 3; cp = c & 0x07U; }
    else return false;
    if (i + n >= b.size()) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      if ((b[i + k] & 0xC0U) != 0x80U) return false;
      cp = (cp << 6U) | (b[i + k] & 0x3FU);
    }
    const unsigned min = n == 1 ? 0x80U : n == 2 ? 0x800U : 0x10000U;
    if (cp < min || cp > 0x10FFFFU || (cp >= 0xD800U && cp <= 0xDFFFU)) return false;
    i += n + 1;
  }
  return true;
}

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

}  // namespace

Result<EncString> EncString::Parse(std::string_view text) {
  int type = -1;
  std::string_view body = text;
  const auto dot = text.find('.');
  if (dot != std::string_view::npos) {
    const std::string_view head = text.substr(0, dot);
    if (head.empty() || head.size() > 2 || head.find_first_not_of("0123456789") != std::string_view::npos) {
      return Error::Transient("EncString error, invalid type header");
    }
    type = std::stoi(std::string(head));
    body = text.substr(dot + 1);
  }
  const auto parts = SplitPipes(body);
  if (type < 0) type = parts.size() == 3 ? 1 : 0;  // legacy, headerless
  const bool shape_ok = (type == 0 && parts.size() == 2) || ((type == 1 || type == 2) && parts.size() == 3);
  if (!shape_ok) return TypeError(type, parts.size());

  EncString out;
  out.type = type;
  auto iv = Base64Decode(parts[0]);
  auto ct = Base64Decode(parts[1]);
  if (!iv || !ct) return Error::Transient("EncString error, invalid base64");
  out.iv = std::move(*iv);
  out.ct = std::move(*ct);
  if (parts.size() == 3) {
    auto mac = Base64Decode(parts[2]);
    if (!mac) return Error::Transient("EncString error, invalid base64");
    out.mac = std::move(*mac);
  }
  if (out.iv.size() != 16) return Error::Transient("EncString error, invalid IV length");
  if (!out.mac.empty() && out.mac.size() != 32) return Error::Transient("EncString error, invalid MAC length");
  return out;
}

std::string EncString::ToString() const {
  // Appended piece by piece: `"|" + std::string` makes GCC 12 at -O3 report a bogus -Wrestrict.
  std::string out = std::to_string(type);
  out += '.';
  out += Base64Encode(iv);
  out += '|';
  out += Base64Encode(ct);
  if (type != 0) {
    out += '|';
    out += Base64Encode(mac);
  }
  return out;
}

Bytes EncString::ToBuffer() const {
  // Sized once, then filled: growing a one-element vector with insert() makes GCC 12 at -O2/-O3
  // report a bogus -Warray-bounds on the memcpy (GCC bug 107852).
  Bytes out;
  out.reserve(1 + iv.size() + mac.size() + ct.size());
  out.push_back(static_cast<std::uint8_t>(type));
  out.insert(out.end(), iv.begin(), iv.end());
  out.insert(out.end(), mac.begin(), mac.end());
  out.insert(out.end(), ct.begin(), ct.end());
  return out;
}

bool IsMacMismatch(const Error& error) { return error.message.find(kMacMismatch) != std::string::npos; }

Result<Bytes> Decrypt(const EncString& enc, const SymmetricKey& key) {
  if (enc.type != 2) {
    return Error::Transient("EncString error, type " + std::to_string(enc.type) +
                            " cannot be decrypted with an AES-256-CBC-HMAC-SHA256 key");
  }
  if (key.enc.size() != 32 || key.mac.size() != 32) return Error::Terminal("invalid symmetric key");
  const Bytes expected = HmacSha256(key.mac, enc.iv, enc.ct);
  if (!ConstantTimeEquals(ToString(expected), ToString(enc.mac))) return Error::Transient(std::string(kMacMismatch));
  if (enc.ct.empty() || enc.ct.size() % 16 != 0) return Error::Transient("EncString error, invalid ciphertext length");

  CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  Bytes out(enc.ct.size() + 16);
  int len1 = 0;
  int len2 = 0;
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, key.enc.data(), enc.iv.data()) != 1 ||
      EVP_DecryptUpdate(ctx.get(), out.data(), &len1, enc.ct.data(), static_cast<int>(enc.ct.size())) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), out.data() + len1, &len2) != 1) {
    return Error::Transient("EncString error, decryption failed (bad padding)");
  }
  out.resize(static_cast<std::size_t>(len1 + len2));
  return out;
}

Result<std::string> DecryptToString(const EncString& enc, const SymmetricKey& key) {
  auto plain = Decrypt(enc, key);
  if (!plain) return plain.error();
  if (!ValidUtf8(*plain)) return Error::Transient("EncString error, plaintext is not valid UTF-8");
  return ToString(*plain);
}

Result<std::string> DecryptText(std::string_view enc_text, const SymmetricKey& key) {
  auto enc = EncString::Parse(enc_text);
  if (!enc) return enc.error();
  return DecryptToString(*enc, key);
}

EncString EncryptWithIv(std::string_view plaintext, const SymmetricKey& key, const Bytes& iv16) {
  if (key.enc.size() != 32 || key.mac.size() != 32 || iv16.size() != 16) std::abort();  // programming error
  EncString out;
  out.type = 2;
  out.iv = iv16;
  CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  Bytes ct(plaintext.size() + 16);
  int len1 = 0;
  int len2 = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(plaintext.data());
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_cbc(), nullptr, key.enc.data(), iv16.data()) != 1 ||
      EVP_EncryptUpdate(ctx.get(), ct.data(), &len1, in, static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), ct.data() + len1, &len2) != 1) {
    std::abort();  // only allocation failure can get here; never emit an unencrypted value
  }
  ct.resize(static_cast<std::size_t>(len1 + len2));
  out.ct = std::move(ct);
  out.mac = HmacSha256(key.mac, out.iv, out.ct);
  return out;
}

EncString Encrypt(std::string_view plaintext, const SymmetricKey& key) {
  return EncryptWithIv(plaintext, key, RandomBytes(16));
}

}  // namespace ironward::bw
