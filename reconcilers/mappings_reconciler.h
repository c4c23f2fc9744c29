// Token mappings: one opaque proxy token per provider, kept in mappings.json (0600).
//
// A token is "ironward-<provider>-" + 32 hex chars from the CSPRNG. It is preserved across every
// apply; a provider added gets one, a removed one loses it; a `tokens.rotation` bump mints new
// tokens for all providers and first backs the old file up (timestamped, 0600).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>

#include "reconcilers/reconciler.h"

namespace ironward {

inline constexpr const char* kMappingsFile = "mappings.json";
inline constexpr const char* kMappingsBackupDir = "mappings-backup";

struct TokenMapping {
  std::string secret;  ///< the provider's secret name (env var / Bitwarden key)
  std::string token;   ///< sensitive
  std::string created;  ///< RFC 3339
};

struct MappingsFile {
  int version = 1;
  std::int64_t rotation = 0;
  std::map<std::string, TokenMapping> providers;  ///< provider name -> mapping
};

Result<MappingsFile> ParseMappings(const std::string& text);
std::string SerializeMappings(const MappingsFile& file);
/// "ironward-<provider>-<32 hex>".
std::string MintToken(const std::string& provider);

struct ObservedMappings {
  bool exists = false;
  bool corrupt = false;
  std::string corrupt_reason;
  std::string text;  ///< the file as read (sensitive: holds tokens); used for backups
  MappingsFile file;
  mode_t mode = 0;
  std::string fingerprint;
};

class MappingsReconciler final : public ResourceReconciler<ObservedMappings> {
 public:
  std::string_view Name() const override { return "mappings"; }

 protected:
  Outcome DoApply(ReconcileContext& ctx, const ResourcePlan& plan, WriteDeps& deps) override;
  Result<ObservedMappings> Observe(const ReconcileContext& ctx, const ReadDeps& deps) const override;
  ResourcePlan Diff(ReconcileContext& ctx, const ObservedMappings& observed, const Clock& clock) const override;
};

}  // namespace ironward
