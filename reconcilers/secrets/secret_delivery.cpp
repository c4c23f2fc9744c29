#include "reconcilers/secrets/secret_delivery.h"

#include "reconcilers/proxy_config/proxy_schema.h"
#include "state/encoding.h"

namespace ironward::secrets {
namespace {

std::string FileName(const std::string& name) { return std::string(kSecretsDir) + "/" + name; }

}  // namespace

bool FileDelivery(const spec::Spec& spec) {
  if (spec.credentials.source != spec::CredentialSource::kBitwarden) return false;
  proxy_config::ProxyVersion version;
  return proxy_config::ProxyVersion::Parse(spec.proxy.version, &version) && version.AtLeast(0, 42);
}

std::string CombinedDigest(const std::map<std::string, std::string>& digests, bool file_delivery) {
  std::string combined;
  for (const auto& [name, digest] : digests) combined += name + "=" + digest + "\n";
  return (file_delivery ? kFileDeliveredPrefix : "") + Sha256Hex(combined);
}

Result<std::map<std::string, std::string>> DeliveredFileDigests(const state::StateReader& state) {
  std::map<std::string, std::string> out;
  auto names = state.List(kSecretsDir);
  if (!names) return names.error().Wrap("listing " + std::string(kSecretsDir) + "/");
  for (const auto& name : *names) {
    auto text = state.Read(FileName(name));
    if (!text) return text.error();
    if (text->has_value()) out[name] = Sha256Hex(**text);
  }
  return out;
}

Result<int> SyncSecretFiles(state::StateWriter& state, const std::map<std::string, std::string>& values) {
  auto current = DeliveredFileDigests(state);
  if (!current) return current.error();
  int changed = 0;
  for (const auto& [name, value] : values) {
    auto st = state.Stat(FileName(name));
    const auto it = current->find(name);
    if (it != current->end() && it->second == Sha256Hex(value) && st.ok() && st->mode == 0600) continue;
    if (Status s = state.WriteAtomic(FileName(name), value, 0600); !s) {
      return s.error().Wrap("writing secret file " + FileName(name));
    }
    ++changed;
  }
  for (const auto& [name, digest] : *current) {
    if (values.count(name) != 0) continue;
    if (Status s = state.Remove(FileName(name)); !s) return s.error().Wrap("removing stale " + FileName(name));
    ++changed;
  }
  return changed;
}

}  // namespace ironward::secrets
