#include "state/spec/provider_catalog.h"

#include <algorithm>

namespace ironward::spec {
namespace {

Provider CatalogEntry(const char* name, const char* secret, std::vector<std::string> hosts,
               std::vector<std::string> headers = {"Authorization"}) {
  Provider p;
  p.name = name;
  p.secret = secret;
  p.hosts = std::move(hosts);
  p.headers = std::move(headers);
  return p;
}

}  // namespace

const std::vector<Provider>& ProviderCatalog() {
  // Names follow the provider-name rule ([a-z0-9][a-z0-9-]*): hermes-agent's azure_openai is
  // azure-openai here. Hosts are lowercase host patterns (a leading *. also covers the name itself).
  static const std::vector<Provider> kCatalog = {
      CatalogEntry("openrouter", "OPENROUTER_API_KEY", {"openrouter.ai", "*.openrouter.ai"}),
      CatalogEntry("openai", "OPENAI_API_KEY", {"api.openai.com"}),
      CatalogEntry("anthropic", "ANTHROPIC_API_KEY", {"api.anthropic.com"}, {"x-api-key"}),
      CatalogEntry("azure-openai", "AZURE_OPENAI_API_KEY", {"*.openai.azure.com"}, {"api-key"}),
      CatalogEntry("gemini", "GEMINI_API_KEY", {"generativelanguage.googleapis.com"}, {"x-goog-api-key"}),
      CatalogEntry("groq", "GROQ_API_KEY", {"api.groq.com"}),
      CatalogEntry("together", "TOGETHER_API_KEY", {"api.together.xyz", "api.together.ai"}),
      CatalogEntry("deepseek", "DEEPSEEK_API_KEY", {"api.deepseek.com"}),
      CatalogEntry("mistral", "MISTRAL_API_KEY", {"api.mistral.ai"}),
      CatalogEntry("xai", "XAI_API_KEY", {"api.x.ai"}),
      CatalogEntry("nous", "NOUS_API_KEY", {"inference-api.nousresearch.com"}),
  };
  return kCatalog;
}

const Provider* FindCatalogProvider(std::string_view name) {
  const auto& all = ProviderCatalog();
  const auto it = std::find_if(all.begin(), all.end(), [&](const Provider& p) { return p.name == name; });
  return it == all.end() ? nullptr : &*it;
}

std::string CatalogNames() {
  std::string out;
  for (const auto& p : ProviderCatalog()) out += (out.empty() ? "" : ", ") + p.name;
  return out;
}

}  // namespace ironward::spec
