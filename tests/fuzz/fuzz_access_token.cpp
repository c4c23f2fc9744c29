// Fuzzes the machine-account access-token parser (reconcilers/bitwarden/access_token.h).
// Properties: no crash; an accepted token re-encodes ("0.<id>.<secret>:<base64 key>") to text
// that parses to the same value; the id is a lowercase UUID and the key 16 bytes; errors are
// kTerminal and come from the SDK's closed set of texts, so they can never echo the token.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "reconcilers/bitwarden/access_token.h"

namespace {

bool IsKnownError(std::string_view m) {
  constexpr std::string_view kPrefix = "Access token is not in a valid format: ";
  if (m.substr(0, kPrefix.size()) != kPrefix) return false;
  const std::string_view what = m.substr(kPrefix.size());
  if (what == "Doesn't contain a decryption key" || what == "Has the wrong number of parts" ||
      what == "Is the wrong version" || what == "Has an invalid identifier" ||
      what == "Error decoding base64: Invalid input") {
    return true;
  }
  constexpr std::string_view kLength = "Invalid base64 length: expected 16, got ";
  if (what.substr(0, kLength.size()) != kLength) return false;
  const std::string_view n = what.substr(kLength.size());
  return !n.empty() && n.find_first_not_of("0123456789") == std::string_view::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto token = ironward::bw::ParseAccessToken(text);
  if (!token) {
    FUZZ_CHECK(token.error().kind == ironward::ErrorKind::kTerminal, "a malformed token is a terminal error");
    FUZZ_CHECK(IsKnownError(token.error().message), "errors come from the closed set");
    return 0;
  }
  FUZZ_CHECK(ironward::bw::IsUuid(token->access_token_id), "the id is a UUID");
  FUZZ_CHECK(ironward::bw::LowercaseUuid(token->access_token_id) == token->access_token_id, "the id is lowercase");
  FUZZ_CHECK(token->encryption_key.size() == 16, "the key is 16 bytes");

  const std::string encoded = "0." + token->access_token_id + "." + token->client_secret + ":" +
                              ironward::Base64Encode(token->encryption_key);
  auto again = ironward::bw::ParseAccessToken(encoded);
  FUZZ_CHECK(again.ok(), "a re-encoded token parses");
  FUZZ_CHECK(again->access_token_id == token->access_token_id && again->client_secret == token->client_secret &&
                 again->encryption_key == token->encryption_key,
             "re-encoding round-trips to the same token");
  return 0;
}
