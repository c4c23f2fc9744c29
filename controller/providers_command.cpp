// `ironward providers [-o text|json]`: the built-in provider catalog (state/spec/
// provider_catalog.h), what `- name: openai` alone in spec.providers stands for. Always exit 0
// (64 on a usage error). Names and hosts only: the catalog holds no secret value.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "controller/cli.h"
#include "controller/command_support.h"
#include "state/spec/provider_catalog.h"
#include "state/encoding.h"

namespace ironward {
namespace {

/// Aligned columns NAME SECRET HOSTS HEADERS (the last one unpadded).
std::string CatalogTable() {
  std::vector<std::vector<std::string>> rows = {{"NAME", "SECRET", "HOSTS", "HEADERS"}};
  for (const auto& p : spec::ProviderCatalog()) rows.push_back({p.name, p.secret, Join(p.hosts), Join(p.headers)});
  std::vector<std::size_t> width(rows.front().size(), 0);
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) line += i + 1 < row.size() ? PadRight(row[i], width[i] + 2) : row[i];
    out += line + "\n";
  }
  return out;
}

nlohmann::json CatalogJson() {
  nlohmann::json providers = nlohmann::json::array();
  for (const auto& p : spec::ProviderCatalog()) {
    providers.push_back({{"name", p.name}, {"secret", p.secret}, {"hosts", p.hosts}, {"headers", p.headers}});
  }
  return {{"providers", providers}};
}

}  // namespace

void AddProvidersCommand(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("providers", "List the built-in provider catalog (name, secret, hosts, headers)");
  auto output = std::make_shared<std::string>("text");
  cmd->add_option("--output,-o", *output, "Output format")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
  cmd->footer(
      "A catalog name alone declares the provider; any field written overrides the catalog's:\n"
      "  providers:\n"
      "    - name: openai                      # OPENAI_API_KEY, api.openai.com, Authorization\n"
      "    - name: anthropic\n"
      "      optional: true                    # no key yet: left out of the proxy (Degraded), not an error\n"
      "    - name: openrouter\n"
      "      secret: MY_OPENROUTER_KEY         # overrides the catalog's OPENROUTER_API_KEY\n\n"
      "Examples:\n"
      "  ironward providers\n"
      "  ironward providers -o json | jq -r '.providers[].name'");
  cmd->callback([&ctx, output] {
    if (*output == "json") {
      std::cout << CatalogJson().dump(2) << "\n";
    } else {
      std::cout << CatalogTable();
    }
    ctx.exit_code = 0;
  });
}

}  // namespace ironward
