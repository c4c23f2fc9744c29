// spec.providers, allowlist, credentials, tokens, enforcement, reconcile.
#include <algorithm>
#include <set>

#include "state/spec/parse.h"
#include "state/spec/provider_catalog.h"
#include "state/spec/units.h"
#include "state/spec/validators.h"
#include "state/encoding.h"

namespace ironward::spec::detail {

std::vector<std::string> ReadHosts(Diag& diag, const Field& field, bool allow_empty) {
  std::vector<std::string> out;
  auto items = ReadSeq(diag, field);
  if (!items) return out;
  if (items->empty() && !allow_empty) {
    diag.ErrorAt(field.pos, field.path, "must list at least one host");
    return out;
  }
  std::set<std::string> seen;
  for (const auto& item : *items) {
    auto s = ReadString(diag, item);
    if (!s) continue;
    const std::string err = CheckHostPattern(*s);
    if (!err.empty()) {
      diag.ErrorAt(item.pos, item.path, err);
      continue;
    }
    if (!seen.insert(*s).second) {
      diag.WarnAt(item.pos, item.path, "'" + *s + "' is listed twice");
      continue;
    }
    if (s->rfind("*.", 0) == 0 && s->find('.', 2) == std::string::npos) {
      diag.WarnAt(item.pos, item.path,
                  "'" + *s + "' matches a whole top-level domain; is that intended?");
    }
    out.push_back(*s);
  }
  return out;
}

namespace {

/// `in: header|path|query` or a list of them (no duplicates).
std::optional<TokenPlaces> ReadTokenPlaces(Diag& diag, const Field& field) {
  std::vector<Field> items;
  if (field.node.IsSequence()) {
    auto seq = ReadSeq(diag, field);
    if (!seq) return std::nullopt;
    items = *seq;
    if (items.empty()) {
      diag.ErrorAt(field.pos, field.path, "must name at least one of header, path, query");
      return std::nullopt;
    }
  } else {
    items.push_back(field);
  }
  TokenPlaces in{false, false, false};
  bool ok = true;
  for (const auto& item : items) {
    auto s = ReadChoice(diag, item, {"header", "path", "query"});
    if (!s) {
      ok = false;
      continue;
    }
    bool& slot = *s == "header" ? in.header : (*s == "path" ? in.path : in.query);
    if (slot) diag.WarnAt(item.pos, item.path, "'" + *s + "' is listed twice");
    slot = true;
  }
  if (!ok) return std::nullopt;
  return in;
}

/// A catalog name fills what the entry leaves out; any other name needs `secret` and `hosts`.
void ParseProvider(Diag& diag, const Field& field, Provider* out) {
  Map m(diag, field, "spec.providers[]");
  if (!m.valid()) return;
  std::set<std::string> catalog_names;
  for (const auto& c : ProviderCatalog()) catalog_names.insert(c.name);
  if (auto f = m.Require("name")) {
    if (auto s = ReadString(diag, *f)) {
      if (!IsProviderName(*s)) {
        const std::string near = Suggest(*s, catalog_names);
        diag.ErrorAt(f->pos, f->path,
                     "'" + *s + "' is not a valid provider name (lowercase letters, digits and "
                     "'-', starting with a letter or digit, at most 63 characters)" +
                         (near.empty() ? "" : "; did you mean '" + near + "' from the built-in catalog?"));
      } else {
        out->name = *s;
        if (const Provider* c = FindCatalogProvider(*s)) *out = *c;
      }
    }
  }
  const auto secret = m.Get("secret");
  const auto hosts = m.Get("hosts");
  if (!out->name.empty() && out->hosts.empty() && (!secret || !hosts)) {
    // Not a catalog name (a catalog entry always has hosts): say what is missing and what exists.
    const std::string missing = !secret && !hosts ? "'secret' and 'hosts'" : !secret ? "'secret'" : "'hosts'";
    const std::string near = Suggest(out->name, catalog_names);
    diag.ErrorAt(m.pos(), m.path(),
                 "'" + out->name + "' is not in the built-in provider catalog, so it needs " + missing +
                     (near.empty() ? "" : "; did you mean '" + near + "'?") + " (catalog: " + CatalogNames() +
                     "; `ironward providers` shows their secrets and hosts)");
  }
  if (secret) {
    if (auto s = ReadString(diag, *secret)) {
      if (!IsEnvVarName(*s)) {
        diag.ErrorAt(secret->pos, secret->path,
                     "'" + *s + "' is not a valid environment variable name ([A-Za-z_][A-Za-z0-9_]*)");
      } else if (s->rfind(kReservedEnvPrefix, 0) == 0) {
        diag.ErrorAt(secret->pos, secret->path,
                     "'" + *s + "': names starting with IRONWARD_ are reserved for ironward");
      } else {
        out->secret = *s;
      }
    }
  }
  if (hosts) out->hosts = ReadHosts(diag, *hosts, false);
  if (auto f = m.Get("optional")) {
    if (auto b = ReadBool(diag, *f)) out->optional = *b;
  }
  if (auto f = m.Get("headers")) {
    if (auto list = ReadStringList(diag, *f)) {
      if (list->empty()) {
        diag.ErrorAt(f->pos, f->path, "must list at least one header (default: [Authorization])");
      }
      std::vector<std::string> headers;
      std::set<std::string> seen;
      for (std::size_t i = 0; i < list->size(); ++i) {
        const std::string& h = (*list)[i];
        const std::string path = Item(f->path, i);
        if (!IsHeaderName(h)) {
          diag.Error(path, "'" + h + "' is not a valid HTTP header name");
        } else if (!seen.insert(AsciiLower(h)).second) {
          diag.Warn(path, "header '" + h + "' is listed twice (header names are case-insensitive)");
        } else {
          headers.push_back(h);
        }
      }
      if (!headers.empty()) out->headers = headers;
    }
  }
  if (auto f = m.Get("in")) {
    if (auto in = ReadTokenPlaces(diag, *f)) {
      out->in = *in;
      if (!in->header && m.Get("headers")) {
        diag.ErrorAt(f->pos, f->path,
                     "'headers' is set but `in` (" + ToString(*in) +
                         ") does not include header; add header to `in` or remove `headers`");
      }
    }
  }
}

void ParseBitwarden(Diag& diag, const Field& field, BitwardenSpec* out) {
  Map m(diag, field, "spec.credentials.bitwarden");
  if (!m.valid()) return;
  if (auto f = m.Get("projectId")) {
    if (auto s = ReadString(diag, *f)) {
      if (!IsUuid(*s)) {
        diag.ErrorAt(f->pos, f->path,
                     "'" + *s + "' is not a UUID (expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
      } else {
        out->project_id = AsciiLower(*s);
      }
    }
  }
  if (auto f = m.Get("accessTokenEnv")) {
    if (auto s = ReadString(diag, *f)) {
      if (!IsEnvVarName(*s)) {
        diag.ErrorAt(f->pos, f->path, "'" + *s + "' is not a valid environment variable name");
      } else {
        out->access_token_env = *s;
      }
    }
  }
  for (auto [key, dst] : {std::pair{"serverUrl", &out->server_url},
                          std::pair{"apiUrl", &out->api_url},
                          std::pair{"identityUrl", &out->identity_url}}) {
    auto f = m.Get(key);
    if (!f) continue;
    auto s = ReadString(diag, *f);
    if (!s) continue;
    const std::string err = CheckHttpUrl(*s);
    if (!err.empty()) {
      diag.ErrorAt(f->pos, f->path, err);
      continue;
    }
    std::string url = *s;
    while (url.size() > 8 && url.back() == '/') url.pop_back();
    *dst = url;
    if (url.rfind("http://", 0) == 0) {
      diag.WarnAt(f->pos, f->path, "plain http:// sends the Bitwarden access token unencrypted");
    }
  }
  const auto api = m.Get("apiUrl");
  const auto identity = m.Get("identityUrl");
  if (api.has_value() != identity.has_value()) {
    const Field& present = api ? *api : *identity;
    diag.ErrorAt(present.pos, present.path,
                 std::string("apiUrl and identityUrl must be set together (") +
                     (api ? "identityUrl" : "apiUrl") + " is missing)");
  }
  if (auto f = m.Get("refreshInterval")) {
    if (auto d = ReadDuration(diag, *f, std::chrono::minutes(1))) out->refresh_interval = *d;
  }
  if (auto f = m.Get("retryInterval")) {
    if (auto d = ReadDuration(diag, *f, std::chrono::seconds(1))) out->retry_interval = *d;
  }
}

}  // namespace

void ParseProviders(Diag& diag, const Field& field, std::vector<Provider>* out) {
  auto items = ReadSeq(diag, field);
  if (!items) return;
  for (const auto& item : *items) {
    Provider p;
    p.headers = {"Authorization"};
    ParseProvider(diag, item, &p);
    out->push_back(std::move(p));  // keep indices aligned with the YAML for cross checks
  }
}

void ParseAllowlist(Diag& diag, const Field& field, std::vector<std::string>* out) {
  *out = ReadHosts(diag, field, true);
}

void ParseCredentials(Diag& diag, const Field& field, CredentialsSpec* out) {
  Map m(diag, field, "spec.credentials");
  if (!m.valid()) return;
  bool source_ok = true;
  if (auto f = m.Get("source")) {
    if (auto s = ReadChoice(diag, *f, {"env", "bitwarden"})) {
      out->source = *s == "env" ? CredentialSource::kEnv : CredentialSource::kBitwarden;
    } else {
      source_ok = false;
    }
  }
  if (auto f = m.Get("envFile")) {
    if (auto s = ReadNonEmpty(diag, *f)) {
      if (!IsAbsolutePath(*s)) {
        diag.ErrorAt(f->pos, f->path, "'" + *s + "' must be an absolute path");
      } else {
        out->env_file = *s;
      }
    }
  }
  const auto bw = m.Get("bitwarden");
  if (bw) ParseBitwarden(diag, *bw, &out->bitwarden);
  if (auto f = m.Get("allowEnvFallback")) {
    if (auto b = ReadBool(diag, *f)) out->allow_env_fallback = *b;
  }
  if (!source_ok) return;
  if (out->source == CredentialSource::kBitwarden) {
    const bool has_project = bw && bw->node.IsMap() && bw->node["projectId"];
    if (!has_project) {
      diag.Error(bw ? bw->path : Child(m.path(), "source"),
                 "credentials.source is bitwarden, so bitwarden.projectId is required");
    }
  } else if (bw) {
    diag.WarnAt(bw->pos, bw->path, "ignored: credentials.source is env");
  }
}

void ParseTokens(Diag& diag, const Field& field, TokensSpec* out) {
  Map m(diag, field, "spec.tokens");
  if (!m.valid()) return;
  if (auto f = m.Get("rotation")) {
    if (auto v = ReadInt(diag, *f)) {
      if (*v < 1) {
        diag.ErrorAt(f->pos, f->path, "must be at least 1, got " + std::to_string(*v));
      } else {
        out->rotation = *v;
      }
    }
  }
}

void ParseEnforcement(Diag& diag, const Field& field, EnforcementSpec* out) {
  Map m(diag, field, "spec.enforcement");
  if (!m.valid()) return;
  if (auto f = m.Get("mode")) {
    if (auto s = ReadChoice(diag, *f, {"off", "warn", "enforce"})) {
      out->mode = *s == "off" ? EnforcementMode::kOff
                  : *s == "warn" ? EnforcementMode::kWarn
                                 : EnforcementMode::kEnforce;
    }
  }
  if (auto f = m.Get("network")) {
    if (auto s = ReadChoice(diag, *f, {"none", "internal"})) {
      out->network = *s == "none" ? NetworkMode::kNone : NetworkMode::kInternal;
    }
  }
  if (auto f = m.Get("uncoveredProviders")) {
    if (auto s = ReadChoice(diag, *f, {"warn", "fail"})) {
      out->uncovered_providers = *s == "warn" ? UncoveredPolicy::kWarn : UncoveredPolicy::kFail;
    }
  }
  if (auto f = m.Get("selector")) {
    if (auto s = ReadString(diag, *f)) {
      const std::string err = CheckLabelSelector(*s);
      if (!err.empty()) {
        diag.ErrorAt(f->pos, f->path, err + " (expected key or key=value)");
      } else {
        out->selector = *s;
      }
    }
  }
  if (auto f = m.Get("networkName")) {
    if (auto s = ReadString(diag, *f)) {
      if (!IsDockerName(*s)) {
        diag.ErrorAt(f->pos, f->path,
                     "'" + *s + "' is not a valid Docker network name ([a-zA-Z0-9][a-zA-Z0-9_.-]*, "
                     "at most 63 characters)");
      } else {
        out->network_name = *s;
      }
    }
  }
  if (auto f = m.Get("requireDigest")) {
    if (auto b = ReadBool(diag, *f)) out->require_digest = *b;
  }
  if (auto f = m.Get("routing")) {
    if (auto s = ReadChoice(diag, *f, {"proxy-variables", "dns", "both"})) {
      out->routing = *s == "dns" ? RoutingMode::kDns : *s == "both" ? RoutingMode::kBoth : RoutingMode::kProxyVariables;
      out->routing_set = true;
    }
  }
  if (auto f = m.Get("hostFirewall")) {
    if (auto s = ReadChoice(diag, *f, {"auto", "off"})) {
      out->host_firewall = *s == "auto" ? HostFirewallMode::kAuto : HostFirewallMode::kOff;
    }
  }
  if (auto f = m.Get("networkSubnet")) {
    if (auto s = ReadString(diag, *f)) {
      std::string err = CheckCidr(*s, true);
      auto cidr = ParseIpv4Cidr(*s);
      if (err.empty() && cidr) {
        if (cidr->prefix > 29) {
          err = "'" + *s + "' is too small; use a prefix of /29 or shorter";
        } else if (cidr->host_bits_set) {
          const std::uint32_t a = cidr->address;
          err = "'" + *s + "' has host bits set; did you mean '" + std::to_string(a >> 24U) + "." +
                std::to_string((a >> 16U) & 255U) + "." + std::to_string((a >> 8U) & 255U) + "." +
                std::to_string(a & 255U) + "/" + std::to_string(cidr->prefix) + "'?";
        }
      }
      if (!err.empty()) {
        diag.ErrorAt(f->pos, f->path, err);
      } else {
        out->network_subnet = *s;
      }
    }
  }
}

void ParseReconcile(Diag& diag, const Field& field, ReconcileSpec* out) {
  Map m(diag, field, "spec.reconcile");
  if (!m.valid()) return;
  if (auto f = m.Get("interval")) {
    if (auto d = ReadDuration(diag, *f, std::chrono::seconds(10))) out->interval = *d;
  }
  if (auto f = m.Get("prune")) {
    if (auto b = ReadBool(diag, *f)) out->prune = *b;
  }
  if (auto f = m.Get("suspend")) {
    if (auto b = ReadBool(diag, *f)) out->suspend = *b;
  }
  if (auto f = m.Get("parallelism")) {
    if (auto v = ReadInt(diag, *f)) {
      if (*v < 1 || *v > kMaxParallelism) {
        diag.ErrorAt(f->pos, f->path,
                     "must be between 1 and " + std::to_string(kMaxParallelism) + ", got " + std::to_string(*v));
      } else {
        out->parallelism = static_cast<int>(*v);
      }
    }
  }
}

}  // namespace ironward::spec::detail
