// Fuzzes the proxy.yaml renderer (reconcilers/proxy_config/render.h) through the loader: every
// desired state the loader accepts is rendered, and the output is checked.
// Properties: an accepted spec always renders; rendering is deterministic (same text and digests
// twice); the text re-parses (yaml-cpp) to the same tree, which passes the version's key model;
// the allowlist is exactly the sorted union of provider hosts and spec.allowlist; each provider's
// token is its entry's proxy_value; and the same spec rendered for 0.45.0 is accepted by the
// iron-proxy double's strict decoder and Validate (the double shares no code with ironward).
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config.h"  // tests/doubles/iron-proxy/src (the double's decoder, pretending 0.45.0)
#include "state/spec/loader.h"
#include "fuzz_check.h"
#include "reconcilers/proxy_config/proxy_schema.h"
#include "reconcilers/proxy_config/render.h"

namespace {

namespace pc = ironward::proxy_config;

std::string Emit(const YAML::Node& node) {
  YAML::Emitter out;
  out << node;
  return out.c_str();
}

// Structural equality: kinds, scalars, sequence items and mapping entries in order. Emitted text
// would also compare styles (an empty list built in block style re-parses as flow `[]`).
bool SameTree(const YAML::Node& a, const YAML::Node& b) {
  if (a.Type() != b.Type()) return false;
  if (a.IsScalar()) return a.Scalar() == b.Scalar();
  if (!a.IsSequence() && !a.IsMap()) return true;  // null / undefined
  if (a.size() != b.size()) return false;
  if (a.IsSequence()) {
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!SameTree(a[i], b[i])) return false;
    }
    return true;
  }
  auto ia = a.begin();
  for (auto ib = b.begin(); ib != b.end(); ++ia, ++ib) {
    if (!SameTree(ia->first, ib->first) || !SameTree(ia->second, ib->second)) return false;
  }
  return true;
}

std::string& TempPath() {
  static std::string path;
  return path;
}

pc::RenderInputs InputsFor(const ironward::spec::DesiredState& d) {
  pc::RenderInputs in;
  in.desired = &d;
  auto bind = pc::ResolveBindAddress(d.spec, nullptr);  // no host: docker-bridge fails, others resolve
  in.bind_ip = bind.ok() && *bind != "0.0.0.0" ? *bind : "127.0.0.1";
  in.ca_cert_path = "/var/lib/ironward/ca/ca.crt";
  in.ca_key_path = "/var/lib/ironward/ca/ca.key";
  in.secrets_dir = "/var/lib/ironward/secrets";
  for (const auto& p : d.spec.providers) in.tokens[p.name] = "ironward-" + p.name + "-" + std::string(32, 'a');
  return in;
}

void CheckRendered(const ironward::spec::DesiredState& d, const pc::RenderInputs& in, const pc::Rendered& r) {
  YAML::Node reparsed;
  try {
    reparsed = YAML::Load(r.text);
  } catch (const YAML::Exception& e) {
    std::fprintf(stderr, "rendered text does not parse: %s\n", e.what());
    FUZZ_CHECK(false, "the rendered text is YAML");
  }
  if (!SameTree(reparsed, r.node)) {
    std::fprintf(stderr, "rendered text:\n%s\nre-parsed:\n%s\n", r.text.c_str(), Emit(reparsed).c_str());
  }
  FUZZ_CHECK(SameTree(reparsed, r.node), "the rendered text re-parses to the rendered tree");
  pc::ProxyVersion version;
  FUZZ_CHECK(pc::ProxyVersion::Parse(d.spec.proxy.version, &version), "the version parses");
  FUZZ_CHECK(pc::CheckConfig(reparsed, version).empty(), "the re-parsed config passes the key model");

  std::vector<std::string> domains;
  for (const auto& p : d.spec.providers) domains.insert(domains.end(), p.hosts.begin(), p.hosts.end());
  domains.insert(domains.end(), d.spec.allowlist.begin(), d.spec.allowlist.end());
  std::sort(domains.begin(), domains.end());
  domains.erase(std::unique(domains.begin(), domains.end()), domains.end());
  const YAML::Node transforms = reparsed["transforms"];
  FUZZ_CHECK(transforms.IsSequence() && transforms.size() >= 1, "transforms are a non-empty list");
  FUZZ_CHECK(transforms[0]["name"].as<std::string>() == "allowlist", "the allowlist comes first");
  FUZZ_CHECK(transforms[0]["config"]["domains"].as<std::vector<std::string>>() == domains,
             "the allowlist is the sorted union of provider hosts and spec.allowlist");
  if (d.spec.providers.empty()) {
    FUZZ_CHECK(transforms.size() == 1, "no providers, no secrets transform");
    return;
  }
  const YAML::Node entries = transforms[1]["config"]["secrets"];
  FUZZ_CHECK(entries.IsSequence() && entries.size() == d.spec.providers.size(), "one secrets entry per provider");
  for (std::size_t i = 0; i < d.spec.providers.size(); ++i) {
    const auto& p = d.spec.providers[i];
    FUZZ_CHECK(entries[i]["replace"]["proxy_value"].as<std::string>() == in.tokens.at(p.name),
               "each provider's entry carries its token");
    FUZZ_CHECK(entries[i]["replace"]["match_headers"].as<std::vector<std::string>>() == p.headers,
               "headers are carried as given");
    FUZZ_CHECK(static_cast<bool>(entries[i]["replace"]["match_path"]) == p.in.path &&
                   static_cast<bool>(entries[i]["replace"]["match_query"]) == p.in.query,
               "match_path / match_query exactly when `in` asks for them");
    FUZZ_CHECK(entries[i]["rules"].size() == p.hosts.size(), "one rule per provider host");
  }
}

void CheckWithDouble(ironward::spec::DesiredState d) {
  d.spec.proxy.version = "0.45.0";
  const pc::RenderInputs in = InputsFor(d);
  auto r = pc::RenderProxyConfig(in);
  FUZZ_CHECK(r.ok(), "an accepted spec renders for 0.45.0");
  {
    std::ofstream out(TempPath(), std::ios::binary | std::ios::trunc);
    out << r->text;
  }
  irondouble::Config cfg;
  std::string err;
  const bool loaded = irondouble::LoadConfig(TempPath(), &cfg, &err);
  if (!loaded) std::fprintf(stderr, "double: %s\n", err.c_str());
  FUZZ_CHECK(loaded, "the double's strict decoder accepts the rendered config");
  const std::string invalid = irondouble::Validate(cfg);
  if (!invalid.empty()) std::fprintf(stderr, "double: %s\n", invalid.c_str());
  FUZZ_CHECK(invalid.empty(), "the double's Validate accepts the rendered config");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  ::setenv(pc::kManagementKeyEnv, "fuzz-management-key", 1);  // the double's Validate checks it is set
  TempPath() = "/tmp/ironward-fuzz-proxy-" + std::to_string(::getpid()) + ".yaml";
  std::atexit([] { std::remove(TempPath().c_str()); });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto loaded = ironward::spec::LoadString(text, "fuzz.yaml");
  if (!loaded.ok()) return 0;
  const auto& d = *loaded.state;

  const pc::RenderInputs in = InputsFor(d);
  auto first = pc::RenderProxyConfig(in);
  if (!first.ok()) std::fprintf(stderr, "render: %s\n", first.error().message.c_str());
  FUZZ_CHECK(first.ok(), "an accepted spec renders");
  auto second = pc::RenderProxyConfig(in);
  FUZZ_CHECK(second.ok() && second->text == first->text && second->digest == first->digest &&
                 second->listeners_digest == first->listeners_digest &&
                 second->ruleset_digest == first->ruleset_digest,
             "rendering is deterministic");
  CheckRendered(d, in, *first);
  CheckWithDouble(d);
  return 0;
}
