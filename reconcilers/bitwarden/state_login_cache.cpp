#include "reconcilers/bitwarden/state_login_cache.h"

namespace ironward::bw {

Result<std::optional<std::string>> StateLoginCacheStore::Load() {
  if (reader_ == nullptr) return std::optional<std::string>();
  return reader_->Read(kLoginCacheFile);
}

Status StateLoginCacheStore::Store(const std::string& text) {
  if (writer_ == nullptr) return Error::Transient("login cache is read-only here (dry run)");
  return writer_->WriteAtomic(kLoginCacheFile, text, 0600);
}

}  // namespace ironward::bw
