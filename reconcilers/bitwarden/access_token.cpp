#include "reconcilers/bitwarden/access_token.h"

#include <cctype>

namespace ironward::bw {
namespace {

constexpr std::string_view kPrefix = "Access token is not in a valid format: ";

Error Invalid(std::string_view what) { return Error::Terminal(std::string(kPrefix) + std::string(what)); }

}  // namespace

bool IsUuid(std::string_view text) {
  if (text.size() != 36) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? text[i] != '-' : std::isxdigit(static_cast<unsigned char>(text[i])) == 0) return false;
  }
  return true;
}

std::string LowercaseUuid(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Result<AccessToken> ParseAccessToken(std::string_view text) {
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) return Invalid("Doesn't contain a decryption key");
  const std::string_view left = text.substr(0, colon);
  const std::string_view key = text.substr(colon + 1);

  std::string_view parts[3];
  std::size_t count = 0;
  std::size_t start = 0;
  while (true) {
    const auto dot = left.find('.', start);
    const std::string_view part = left.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (count < 3) parts[count] = part;
    ++count;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (count != 3) return Invalid("Has the wrong number of parts");
  if (parts[0] != "0") return Invalid("Is the wrong version");
  if (!IsUuid(parts[1])) return Invalid("Has an invalid identifier");

  auto decoded = Base64Decode(key);  // padding optional, as in SDK v1
  if (!decoded) return Invalid("Error decoding base64: Invalid input");
  if (decoded->size() != 16) {
    return Invalid("Invalid base64 length: expected 16, got " + std::to_string(decoded->size()));
  }
  return AccessToken{LowercaseUuid(parts[1]), std::string(parts[2]), std::move(*decoded)};
}

}  // namespace ironward::bw
