// Digests, encodings and randomness shared by every area (OpenSSL underneath).
#pragma once

#include <concepts>
#include <cstdint>
#include <ranges>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ironward {

using Bytes = std::vector<std::uint8_t>;

/// `s` with ASCII A-Z lowered (hex digests, host names, keywords; never locale-dependent).
std::string AsciiLower(std::string_view s);

/// Lowercase hex SHA-256 of the data (64 chars).
std::string Sha256Hex(std::string_view data);
/// Raw 32-byte SHA-256.
Bytes Sha256(std::string_view data);

std::string HexEncode(const Bytes& data);
std::optional<Bytes> HexDecode(std::string_view hex);

/// Standard base64 with padding.
std::string Base64Encode(const Bytes& data);
/// Standard base64; padding optional. nullopt on any invalid character.
std::optional<Bytes> Base64Decode(std::string_view text);
/// base64url without padding (JWT style).
std::string Base64UrlEncode(const Bytes& data);
std::optional<Bytes> Base64UrlDecode(std::string_view text);

/// Bytes from the OS CSPRNG (RAND_bytes); aborts the process if the CSPRNG fails.
Bytes RandomBytes(std::size_t n);
/// n random bytes as 2n lowercase hex chars.
std::string RandomHex(std::size_t n);

/// How a sensitive value is shown anywhere a human or a log can see it:
/// "(sensitive, sha256:abcd1234…)". Never reveals more than 8 hex chars of the digest.
std::string SensitiveLabel(std::string_view value);

/// `s` as one POSIX sh word: unchanged when it holds only [A-Za-z0-9_@%+=:,./-] (and is not
/// empty), else single-quoted with every ' written as '\''.
std::string ShellQuote(std::string_view s);

/// A file mode as people write it: "0644" (permission and special bits only).
std::string OctalMode(unsigned mode);

/// A hex digest as people see it in plans, reasons and status: its first 12 characters
/// ("3fa1c0d2e9b8"), or "none" when there is none. Where the text does not say which digest, the
/// caller writes "sha256:" before it. (A secret or token itself is shown with SensitiveLabel.)
std::string ShortDigest(std::string_view hex_digest);

/// The items with `sep` between them: Join({"a", "b"}) == "a, b"; "" for none.
template <std::ranges::input_range Range>
  requires std::convertible_to<std::ranges::range_value_t<Range>, std::string_view>
std::string Join(const Range& items, std::string_view sep = ", ") {
  std::string out;
  bool first = true;
  for (const auto& item : items) {
    if (!first) out += sep;
    out += std::string_view(item);
    first = false;
  }
  return out;
}

/// Constant-time comparison.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

inline std::string ToString(const Bytes& b) { return {b.begin(), b.end()}; }
inline Bytes ToBytes(std::string_view s) { return {s.begin(), s.end()}; }

}  // namespace ironward
