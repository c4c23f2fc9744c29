// The login cache as a 0600 file in the state directory (`bitwarden-login.json`), so a restart
// of ironward reuses the bearer instead of logging in again. The text is the SDK's encrypted
// state-file format (see login_cache.h): without the access token it is unreadable.
#pragma once

#include "reconcilers/bitwarden/login_cache.h"
#include "state/state_dir.h"

namespace ironward::bw {

inline constexpr const char* kLoginCacheFile = "bitwarden-login.json";

class StateLoginCacheStore final : public LoginCacheStore {
 public:
  /// Reads through `reader`; writes only while a writer is attached (apply), so a dry run can
  /// never create or change the file.
  explicit StateLoginCacheStore(const state::StateReader* reader = nullptr) : reader_(reader) {}

  void Attach(const state::StateReader* reader, state::StateWriter* writer) {
    reader_ = reader;
    writer_ = writer;
  }
  void Detach() { Attach(nullptr, nullptr); }

  Result<std::optional<std::string>> Load() override;
  Status Store(const std::string& text) override;

 private:
  const state::StateReader* reader_ = nullptr;
  state::StateWriter* writer_ = nullptr;
};

}  // namespace ironward::bw
