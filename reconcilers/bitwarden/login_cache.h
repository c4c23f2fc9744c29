// Login cache, the SDK's state-file format: one type-2 EncString, under the access-token key
// (DeriveAccessTokenKey), of {"version":1,"token":"<JWT>","encryption_key":"<base64 org key>"}.
// A valid cached login means no identity request (Bitwarden rate-limits logins per IP).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "reconcilers/bitwarden/crypto.h"
#include "reconcilers/bitwarden/identity.h"
#include "state/result.h"

namespace ironward::bw {

/// Where the encrypted cache text lives (the controller: a 0600 file in its state dir).
class LoginCacheStore {
 public:
  virtual ~LoginCacheStore() = default;
  /// The stored text, or nullopt when there is none.
  virtual Result<std::optional<std::string>> Load() = 0;
  /// Replaces the stored text.
  virtual Status Store(const std::string& text) = 0;
};

/// In-memory store (tests, or a controller without a state dir).
class MemoryLoginCacheStore final : public LoginCacheStore {
 public:
  Result<std::optional<std::string>> Load() override {
    ++loads_;
    return text_;
  }
  Status Store(const std::string& text) override {
    ++stores_;
    text_ = text;
    return Status::Ok();
  }
  const std::optional<std::string>& text() const { return text_; }
  int loads() const { return loads_; }
  int stores() const { return stores_; }

 private:
  std::optional<std::string> text_;
  int loads_ = 0;
  int stores_ = 0;
};

/// Encrypts a session into the cache text (fresh random IV each time).
std::string EncodeLoginCache(const LoginSession& session, const SymmetricKey& token_key);

/// Decrypts and validates cache text: version 1, a JWT with `organization` and `exp` > now, a
/// 64-byte key. The session expires at the JWT's `exp`. Any failure (other token, tampering,
/// expired) is an error the caller treats as "no cache".
Result<LoginSession> DecodeLoginCache(std::string_view text, const SymmetricKey& token_key, SystemTime now);

}  // namespace ironward::bw
