#include "secret_source.h"

#include "config.h"
#include "log.h"
#include "version.h"
#include "yaml_decode.h"

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

namespace irondouble {

SecretSource::SecretSource(std::string name, long long ttl_ns, long long failure_ttl_ns, Fetch fetch,
                           std::string json_key)
    : name_(std::move(name)), ttl_ns_(ttl_ns), failure_ttl_ns_(failure_ttl_ns), fetch_(std::move(fetch)),
      json_key_(std::move(json_key)) {}

bool SecretSource::GetRaw(std::string* value, std::string* err) {
  std::lock_guard<std::mutex> lock(mu_);
  auto now = std::chrono::steady_clock::now();
  if (initialized_) {
    if (ttl_ns_ == 0 || now < expires_) {
      *value = value_;
      return true;
    }
  } else if (now < expires_) {
    *err = last_err_;
    return false;
  }
  std::string fetched, ferr;
  if (!fetch_(&fetched, &ferr)) {
    if (initialized_) {
      expires_ = now + std::chrono::nanoseconds(ttl_ns_ / 2);
      Log(Level::kWarn, "failed to refresh secret, serving stale value", Json{{"secret", name_}, {"error", ferr}});
      *value = value_;
      return true;
    }
    last_err_ = ferr;
    expires_ = now + std::chrono::nanoseconds(failure_ttl_ns_);
    Log(Level::kWarn, "failed to fetch secret, caching error",
        Json{{"secret", name_}, {"error", ferr}, {"retry_in", failure_ttl_ns_}});
    *err = ferr;
    return false;
  }
  value_ = fetched;
  initialized_ = true;
  last_err_.clear();
  if (ttl_ns_ > 0) expires_ = now + std::chrono::nanoseconds(ttl_ns_);
  *value = value_;
  return true;
}

bool SecretSource::Get(std::string* value, std::string* err) {
  std::string raw;
  if (!GetRaw(&raw, err)) return false;
  if (json_key_.empty()) {
    *value = raw;
    return true;
  }
  std::string prefix = "extracting json_key \"" + json_key_ + "\" from secret \"" + name_ + "\": ";
  Json j = Json::parse(raw, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    *err = prefix + "secret value is not valid JSON";
    return false;
  }
  if (!j.contains(json_key_)) {
    *err = prefix + "key \"" + json_key_ + "\" not found in JSON";
    return false;
  }
  if (!j[json_key_].is_string()) {
    *err = prefix + "key \"" + json_key_ + "\" is not a string";
    return false;
  }
  *value = j[json_key_].get<std::string>();
  return true;
}

std::shared_ptr<SecretSource> SecretSource::Build(const YAML::Node& node, std::string* err) {
  YamlDecoder d(/*known_fields=*/false);
  std::map<std::string, std::string> f;  // every scalar field, decoded as strings
  d.Struct(node, "secrets.sourceTypeHint", [&](const std::string& k, const YAML::Node& v) {
    if (v.IsScalar() || YamlDecoder::IsNull(v)) d.String(v, &f[k]);
    return true;
  });
  if (!d.ok()) {
    *err = "parsing source type: " + d.Message();
    return nullptr;
  }
  const std::string type = f["type"];
  if (type.empty()) {
    *err = "source.type is required";
    return nullptr;
  }
  auto ttl = [&](const std::string& key, long long* ns) {
    *ns = 0;
    if (f[key].empty()) return true;
    if (ParseGoDuration(f[key], ns)) return true;
    *err = "parsing " + key + " " + Json(f[key]).dump() + ": time: invalid duration " + Json(f[key]).dump();
    return false;
  };
  long long ttl_ns = 0, failure_ns = 0;
  const long long kMinute = 60LL * 1000000000LL;
  std::string json_key = f["json_key"];
  if (type == "env") {
    std::string var = f["var"];
    if (var.empty()) {
      *err = "env source requires \"var\" field";
      return nullptr;
    }
    return std::make_shared<SecretSource>(var, 0, kMinute, [var](std::string* v, std::string* e) {
      const char* val = std::getenv(var.c_str());
      if (val == nullptr || *val == '\0') {
        *e = "env var " + Json(var).dump() + " is not set or empty";
        return false;
      }
      *v = val;
      return true;
    }, json_key);
  }
  if (type == "file" && AtLeast(42)) {
    std::string path = f["path"];
    if (path.empty()) {
      *err = "file source requires \"path\" field";
      return nullptr;
    }
    if (!ttl("ttl", &ttl_ns) || !ttl("failure_ttl", &failure_ns)) return nullptr;
    return std::make_shared<SecretSource>(path, ttl_ns, failure_ns ? failure_ns : kMinute,
                                          [path](std::string* v, std::string* e) {
      std::ifstream in(path, std::ios::binary);
      if (!in) {
        *e = "reading secret file " + Json(path).dump() + ": open " + path + ": no such file or directory";
        return false;
      }
      std::stringstream ss;
      ss << in.rdbuf();
      *v = ss.str();  // exact contents, no trimming
      if (v->empty()) {
        *e = "secret file " + Json(path).dump() + " is empty";
        return false;
      }
      return true;
    }, json_key);
  }
  std::map<std::string, std::string> id_field = {
      {"aws_sm", "secret_id"}, {"aws_ssm", "name"}, {"1password", "secret_ref"}, {"1password_connect", "secret_ref"}};
  auto it = id_field.find(type);
  if (it == id_field.end()) {
    *err = "unsupported source type " + Json(type).dump();
    return nullptr;
  }
  std::string id = f[it->second];
  if (id.empty()) {
    *err = type + " source requires \"" + it->second + "\" field";
    return nullptr;
  }
  if (type.rfind("1password", 0) == 0 && id.rfind("op://", 0) != 0) {
    *err = type + " source secret_ref must start with op://";
    return nullptr;
  }
  if (!ttl("ttl", &ttl_ns) || !ttl("failure_ttl", &failure_ns)) return nullptr;
  return std::make_shared<SecretSource>(id, ttl_ns, failure_ns ? failure_ns : kMinute,
                                        [type](std::string*, std::string* e) {
    *e = "fetching secret: the ironward iron-proxy test double cannot reach " + type;
    return false;
  }, json_key);
}

}  // namespace irondouble
