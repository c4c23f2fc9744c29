// The built-in provider catalog: well-known LLM APIs with their conventional secret name, hosts
// and the header that carries the key. `providers: [{name: openai}]` takes everything from here;
// any field written in the desired state overrides the catalog's. The same table tells
// reconcilers/secrets/uncovered.cpp which provider keys need a non-default header, and
// `ironward providers` prints it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "state/spec/spec.h"

namespace ironward::spec {

/// Every catalog entry as a fully defaulted Provider (`in: header`, `optional: false`), in a
/// fixed order (the order `ironward providers` lists them).
const std::vector<Provider>& ProviderCatalog();

/// The entry named `name`, or nullptr.
const Provider* FindCatalogProvider(std::string_view name);

/// "openrouter, openai, …": the catalog's names for messages.
std::string CatalogNames();

}  // namespace ironward::spec
