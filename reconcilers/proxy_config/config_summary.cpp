#include "reconcilers/proxy_config/config_summary.h"

#include <algorithm>
#include <set>

#include "state/encoding.h"

namespace ironward::proxy_config {
namespace {

using nlohmann::json;

std::string Scalar(const YAML::Node& n) { return n && n.IsScalar() ? n.Scalar() : ""; }

/// Every key path outside `transforms`: scalars as strings, lists of scalars as arrays.
void Flatten(const YAML::Node& node, const std::string& path, json* out) {
  if (node.IsMap()) {
    for (const auto& kv : node) {
      const std::string key = kv.first.as<std::string>();
      if (path.empty() && key == "transforms") continue;
      Flatten(kv.second, path.empty() ? key : path + "." + key, out);
    }
  } else if (node.IsSequence()) {
    json items = json::array();
    for (const auto& item : node) items.push_back(item.IsScalar() ? json(item.Scalar()) : json(YAML::Dump(item)));
    (*out)[path] = items;
  } else if (node.IsScalar()) {
    (*out)[path] = node.Scalar();
  }
}

std::vector<std::string> Strings(const YAML::Node& seq) {
  std::vector<std::string> out;
  if (seq && seq.IsSequence()) {
    for (const auto& i : seq) out.push_back(Scalar(i));
  }
  return out;
}

/// The secret a secrets entry reads: env var, or the file name of a file source.
std::string SecretOf(const YAML::Node& source) {
  if (!source || !source.IsMap()) return "";
  if (source["var"]) return Scalar(source["var"]);
  const std::string path = Scalar(source["path"]);
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

json ProviderEntry(const YAML::Node& e, const std::map<std::string, std::string>& names, std::string* secret) {
  *secret = SecretOf(e["source"]);
  const YAML::Node replace = e["replace"];
  json entry = json::object();
  if (auto it = names.find(*secret); it != names.end()) entry["provider"] = it->second;
  std::vector<std::string> hosts;
  if (e["rules"] && e["rules"].IsSequence()) {
    for (const auto& r : e["rules"]) hosts.push_back(Scalar(r["host"]));
  }
  entry["hosts"] = hosts;
  entry["headers"] = replace ? Strings(replace["match_headers"]) : std::vector<std::string>{};
  std::vector<std::string> in = {"header"};
  if (replace && Scalar(replace["match_path"]) == "true") in.push_back("path");
  if (replace && Scalar(replace["match_query"]) == "true") in.push_back("query");
  entry["in"] = in;
  entry["token"] =
      replace && replace["proxy_value"] ? "sha256:" + ShortDigest(Sha256Hex(Scalar(replace["proxy_value"]))) : "";
  return entry;
}

std::string ProviderLabel(const std::string& secret, const json& before, const json& after) {
  for (const json* side : {&after, &before}) {
    if (side->is_object() && side->contains("provider")) return "provider " + (*side)["provider"].get<std::string>();
  }
  return "provider with secret " + secret;
}

/// A provider entry as a reviewer reads it (the secret's name, never a value; the token only as
/// a digest, and only when it changed).
json Shown(const std::string& secret, const json& entry) {
  json out = {{"secret", secret}, {"hosts", entry.value("hosts", json::array())},
              {"headers", entry.value("headers", json::array())}};
  if (entry.value("in", json::array()) != json::array({"header"})) out["in"] = entry["in"];
  return out;
}

void DiffList(const std::string& field, const json& before, const json& after, const std::set<std::string>& skip_added,
              const std::set<std::string>& skip_removed, std::vector<FieldChange>* out) {
  std::set<std::string> b;
  std::set<std::string> a;
  for (const auto& i : before) b.insert(i.is_string() ? i.get<std::string>() : i.dump());
  for (const auto& i : after) a.insert(i.is_string() ? i.get<std::string>() : i.dump());
  for (const auto& x : a) {
    if (b.count(x) == 0 && skip_added.count(x) == 0) out->push_back({field, Action::kCreate, nullptr, x});
  }
  for (const auto& x : b) {
    if (a.count(x) == 0 && skip_removed.count(x) == 0) out->push_back({field, Action::kDelete, x, nullptr});
  }
}

}  // namespace

std::map<std::string, std::string> ProviderNames(const spec::Spec& spec) {
  std::map<std::string, std::string> out;
  for (const auto& p : spec.providers) out[p.secret] = p.name;
  return out;
}

json SummarizeConfig(const YAML::Node& config, const std::map<std::string, std::string>& provider_names) {
  json settings = json::object();
  json allowlist = json::array();
  json providers = json::object();
  if (config && config.IsMap()) {
    Flatten(config, "", &settings);
    const YAML::Node transforms = config["transforms"];
    if (transforms && transforms.IsSequence()) {
      for (const auto& t : transforms) {
        const std::string name = Scalar(t["name"]);
        if (name == "allowlist" && t["config"]) {
          for (const auto& d : Strings(t["config"]["domains"])) allowlist.push_back(d);
        } else if (name == "secrets" && t["config"] && t["config"]["secrets"] && t["config"]["secrets"].IsSequence()) {
          for (const auto& e : t["config"]["secrets"]) {
            std::string secret;
            json entry = ProviderEntry(e, provider_names, &secret);
            providers[secret] = std::move(entry);
          }
        }
      }
    }
  }
  return {{"settings", settings}, {"allowlist", allowlist}, {"providers", providers}};
}

std::vector<FieldChange> ConfigDiff::All() const {
  std::vector<FieldChange> out = restart;
  out.insert(out.end(), reload.begin(), reload.end());
  return out;
}

ConfigDiff DiffConfigSummaries(const json& before, const json& after) {
  ConfigDiff d;
  if (!before.is_object() || !after.is_object()) return d;
  const json empty = json::object();
  const json& bs = before.contains("settings") ? before["settings"] : empty;
  const json& as = after.contains("settings") ? after["settings"] : empty;
  std::set<std::string> keys;
  for (const auto& [k, v] : bs.items()) keys.insert(k);
  for (const auto& [k, v] : as.items()) keys.insert(k);
  for (const auto& k : keys) {
    const bool had = bs.contains(k);
    const bool has = as.contains(k);
    if (had && has && bs[k] == as[k]) continue;
    if ((had && bs[k].is_array()) || (has && as[k].is_array())) {
      DiffList(k, had ? bs[k] : json::array(), has ? as[k] : json::array(), {}, {}, &d.restart);
      continue;
    }
    d.restart.push_back({k, !had ? Action::kCreate : !has ? Action::kDelete : Action::kUpdate,
                         had ? bs[k] : json(nullptr), has ? as[k] : json(nullptr)});
  }

  // Providers first: their hosts are in the allowlist too, and are not repeated there.
  const json& bp = before.contains("providers") ? before["providers"] : empty;
  const json& ap = after.contains("providers") ? after["providers"] : empty;
  std::set<std::string> secrets;
  for (const auto& [k, v] : bp.items()) secrets.insert(k);
  for (const auto& [k, v] : ap.items()) secrets.insert(k);
  std::set<std::string> hosts_added;
  std::set<std::string> hosts_removed;
  for (const auto& s : secrets) {
    const json b = bp.contains(s) ? bp[s] : json(nullptr);
    const json a = ap.contains(s) ? ap[s] : json(nullptr);
    const std::string label = ProviderLabel(s, b, a);
    if (b.is_null()) {
      for (const auto& h : a["hosts"]) hosts_added.insert(h.get<std::string>());
      d.reload.push_back({label, Action::kCreate, nullptr, Shown(s, a)});
      continue;
    }
    if (a.is_null()) {
      for (const auto& h : b["hosts"]) hosts_removed.insert(h.get<std::string>());
      d.reload.push_back({label, Action::kDelete, Shown(s, b), nullptr});
      continue;
    }
    json was = json::object();
    json now = json::object();
    for (const char* field : {"hosts", "headers", "in", "token"}) {
      if (b.value(field, json()) == a.value(field, json())) continue;
      was[field] = b.value(field, json());
      now[field] = a.value(field, json());
    }
    if (was.empty()) continue;
    if (was.contains("hosts")) {
      for (const auto& h : a["hosts"]) hosts_added.insert(h.get<std::string>());
      for (const auto& h : b["hosts"]) hosts_removed.insert(h.get<std::string>());
    }
    d.reload.push_back({label, Action::kUpdate, was, now});
  }
  DiffList("allowlist", before.value("allowlist", json::array()), after.value("allowlist", json::array()), hosts_added,
           hosts_removed, &d.reload);
  return d;
}

}  // namespace ironward::proxy_config
