// The secrets transform: replace mode (headers, Basic auth payloads, query, path, body) and
// inject mode, applied only when an entry's rules match. Real values are never logged.
#include "hostmatch.h"
#include "pipeline.h"
#include "secret_source.h"

#include <openssl/evp.h>

#include <algorithm>
#include <regex>

namespace irondouble {
namespace {

std::string B64Encode(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

bool B64Decode(const std::string& in, std::string* out) {
  if (in.size() % 4 != 0 || in.find_first_not_of(
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != std::string::npos) return false;
  std::string buf(in.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(buf.data()),
                          reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  if (n < 0) return false;
  std::size_t pad = in.size() >= 2 && in.compare(in.size() - 2, 2, "==") == 0 ? 2 : (!in.empty() && in.back() == '=');
  buf.resize(static_cast<std::size_t>(n) - pad);
  *out = buf;
  return true;
}

std::string ReplaceAll(std::string s, const std::string& from, const std::string& to) {
  if (from.empty()) return s;
  for (std::size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) s.replace(pos, from.size(), to);
  return s;
}

std::string QueryUnescape(const std::string& s) { return PathUnescape(ReplaceAll(s, "+", " ")); }

std::string QueryEscape(const std::string& s) {
  std::string out;
  char buf[4];
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out += static_cast<char>(c);
    else if (c == ' ') out += '+';
    else { std::snprintf(buf, sizeof buf, "%%%02X", c); out += buf; }
  }
  return out;
}

bool HeaderContains(const std::string& name, const std::string& value, const std::string& proxy) {
  std::string decoded;
  if (EqualFold(name, "Authorization") && value.rfind("Basic ", 0) == 0 && B64Decode(value.substr(6), &decoded)) {
    return decoded.find(proxy) != std::string::npos;
  }
  return value.find(proxy) != std::string::npos;
}

std::string ReplaceInHeader(const std::string& name, const std::string& value, const std::string& proxy,
                            const std::string& real) {
  std::string decoded;
  if (EqualFold(name, "Authorization") && value.rfind("Basic ", 0) == 0 && B64Decode(value.substr(6), &decoded)) {
    return "Basic " + B64Encode(ReplaceAll(decoded, proxy, real));
  }
  return ReplaceAll(value, proxy, real);
}

struct HeaderMatcher {
  std::string name, wire;          // literal
  std::shared_ptr<std::regex> re;  // /regex/
};

struct Entry {
  std::shared_ptr<SecretSource> source;
  bool inject = false;
  std::vector<Rule> rules;
  std::string proxy_value;
  std::vector<HeaderMatcher> headers;
  bool match_body = false, match_path = false, match_query = false, require = false;
  std::string inject_header, inject_query, formatter;
};

// Evaluates the small subset of Go templates used by formatters: {{ .Value }} and
// {{ base64 "a" .Value ... }}.
std::string Format(const std::string& tmpl, const std::string& value) {
  if (tmpl.empty()) return value;
  std::string out;
  std::size_t pos = 0;
  while (pos < tmpl.size()) {
    std::size_t open = tmpl.find("{{", pos);
    if (open == std::string::npos) { out += tmpl.substr(pos); break; }
    out += tmpl.substr(pos, open - pos);
    std::size_t close = tmpl.find("}}", open);
    std::string action = tmpl.substr(open + 2, close - open - 2);
    std::regex token(R"re("([^"]*)"|(\.Value)|(base64))re");
    std::string joined;
    bool b64 = false;
    for (auto it = std::sregex_iterator(action.begin(), action.end(), token); it != std::sregex_iterator(); ++it) {
      if ((*it)[1].matched) joined += (*it)[1].str();
      else if ((*it)[2].matched) joined += value;
      else b64 = true;
    }
    out += b64 ? B64Encode(joined) : joined;
    pos = close + 2;
  }
  return out;
}

class Secrets : public Transform {
 public:
  explicit Secrets(std::vector<Entry> entries) : entries_(std::move(entries)) {}
  std::string Name() const override { return "secrets"; }

  Action OnRequest(TxRequest& req, Annotations& notes, std::string* err) override {
    Json swapped = Json::array(), injected = Json::array(), unavailable = Json::array();
    for (auto& e : entries_) {
      if (!MatchAnyRule(e.rules, req.host, req.method, req.DecodedPath())) continue;
      std::string real, ferr;
      if (!e.source->Get(&real, &ferr)) {
        if (e.require) {
          notes["rejected"] = e.source->name();
          notes["reject_reason"] = "secret_unavailable";
          return Action::kReject;
        }
        unavailable.push_back(e.source->name());
        continue;
      }
      std::vector<std::string> locs;
      if (e.inject) {
        std::string v = Format(e.formatter, real);
        if (!e.inject_header.empty()) {
          req.headers->Set(e.inject_header, v);
          locs.push_back("header:" + e.inject_header);
        } else {
          SetQuery(req, e.inject_query, v);
          locs.push_back("query:" + e.inject_query);
        }
        injected.push_back(Json{{"secret", e.source->name()}, {"locations", locs}});
        continue;
      }
      SwapHeaders(req, e, real, &locs);
      if (e.match_query) SwapQuery(req, e, real, &locs);
      if (e.match_path && req.DecodedPath().find(e.proxy_value) != std::string::npos) {
        req.path = PathEscape(ReplaceAll(req.DecodedPath(), e.proxy_value, real));
        locs.push_back("path");
      }
      if (e.match_body && req.body->find(e.proxy_value) != std::string::npos) {
        *req.body = ReplaceAll(*req.body, e.proxy_value, real);
        locs.push_back("body");
      }
      if (!locs.empty()) {
        swapped.push_back(Json{{"secret", e.source->name()}, {"locations", locs}});
      } else if (e.require) {
        notes["rejected"] = e.source->name();
        return Action::kReject;
      }
    }
    (void)err;
    if (!swapped.empty()) notes["swapped"] = swapped;
    if (!injected.empty()) notes["injected"] = injected;
    if (!unavailable.empty()) notes["secret_unavailable"] = unavailable;
    return Action::kContinue;
  }

 private:
  static void SwapHeaders(TxRequest& req, const Entry& e, const std::string& real, std::vector<std::string>* locs) {
    auto& items = req.headers->items;
    if (e.headers.empty()) {
      for (auto& [name, value] : items) {
        if (HeaderContains(name, value, e.proxy_value)) {
          value = ReplaceInHeader(name, value, e.proxy_value, real);
          locs->push_back("header:" + name);
        }
      }
      return;
    }
    std::vector<std::string> done;
    auto swap = [&](const std::string& canonical, const std::string& wire) {
      if (std::find(done.begin(), done.end(), canonical) != done.end()) return;
      done.push_back(canonical);
      std::vector<std::string> vals;
      for (const auto& [k, v] : items) if (k == canonical) vals.push_back(v);
      if (vals.empty()) return;
      bool hit = std::any_of(vals.begin(), vals.end(), [&](const std::string& v) { return HeaderContains(canonical, v, e.proxy_value); });
      items.erase(std::remove_if(items.begin(), items.end(), [&](const auto& kv) { return kv.first == canonical; }), items.end());
      for (const auto& v : vals) items.emplace_back(wire, ReplaceInHeader(canonical, v, e.proxy_value, real));
      if (hit) locs->push_back("header:" + wire);
    };
    for (const auto& m : e.headers) {
      if (!m.re) { swap(m.name, m.wire); continue; }
      std::vector<std::string> names;
      for (const auto& kv : items) if (std::regex_search(kv.first, *m.re)) names.push_back(kv.first);
      for (const auto& n : names) swap(n, n);
    }
  }

  static std::vector<std::pair<std::string, std::string>> ParseQuery(const std::string& raw) {
    std::vector<std::pair<std::string, std::string>> out;
    std::size_t pos = 0;
    while (pos <= raw.size() && !raw.empty()) {
      std::size_t amp = raw.find('&', pos);
      std::string part = raw.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
      if (!part.empty()) {
        std::size_t eq = part.find('=');
        out.emplace_back(QueryUnescape(part.substr(0, eq)), eq == std::string::npos ? "" : QueryUnescape(part.substr(eq + 1)));
      }
      if (amp == std::string::npos) break;
      pos = amp + 1;
    }
    return out;
  }

  static std::string EncodeQuery(std::vector<std::pair<std::string, std::string>> q) {
    std::stable_sort(q.begin(), q.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string out;
    for (const auto& [k, v] : q) {
      if (!out.empty()) out += '&';
      out += QueryEscape(k);
      out += '=';
      out += QueryEscape(v);
    }
    return out;
  }

  static void SwapQuery(TxRequest& req, const Entry& e, const std::string& real, std::vector<std::string>* locs) {
    if (req.raw_query.find(e.proxy_value) == std::string::npos) return;
    auto q = ParseQuery(req.raw_query);
    std::size_t before = locs->size();
    for (auto& [k, v] : q) {
      if (v.find(e.proxy_value) != std::string::npos) {
        v = ReplaceAll(v, e.proxy_value, real);
        locs->push_back("query:" + k);
      }
    }
    if (locs->size() > before) req.raw_query = EncodeQuery(q);
  }

  static void SetQuery(TxRequest& req, const std::string& key, const std::string& value) {
    auto q = ParseQuery(req.raw_query);
    q.erase(std::remove_if(q.begin(), q.end(), [&](const auto& kv) { return kv.first == key; }), q.end());
    q.emplace_back(key, value);
    req.raw_query = EncodeQuery(q);
  }

  std::vector<Entry> entries_;
};

}  // namespace

std::unique_ptr<Transform> NewSecrets(const YAML::Node& config, std::string* err) {
  YamlDecoder d(/*known_fields=*/false);
  std::vector<Entry> entries;
  struct Raw {
    YAML::Node source, rules, inject, replace;
    std::string proxy_value;
    std::vector<std::string> match_headers;
    bool match_body = false, require = false;
  };
  std::vector<Raw> raws;
  d.Struct(config, "secrets.secretsConfig", [&](const std::string& k, const YAML::Node& v) {
    if (k != "secrets") return false;
    d.List(v, "[]secrets.secretEntry", [&](const YAML::Node& item) {
      Raw r;
      d.Struct(item, "secrets.secretEntry", [&](const std::string& f, const YAML::Node& x) {
        if (f == "source") r.source = x;
        else if (f == "rules") r.rules = x;
        else if (f == "inject") r.inject = x;
        else if (f == "replace") r.replace = x;
        else if (f == "proxy_value") d.String(x, &r.proxy_value);
        else if (f == "match_headers") d.StringList(x, &r.match_headers);
        else if (f == "match_body") d.Bool(x, &r.match_body);
        else if (f == "require") d.Bool(x, &r.require);
        else return false;
        return true;
      });
      raws.push_back(r);
    });
    return true;
  });
  if (!d.ok()) {
    *err = "parsing secrets config: " + d.Message();
    return nullptr;
  }
  for (std::size_t i = 0; i < raws.size(); ++i) {
    Raw& r = raws[i];
    const std::string at = "secrets[" + std::to_string(i) + "]";
    bool has_legacy = !r.proxy_value.empty() || !r.match_headers.empty() || r.match_body || r.require;
    bool has_replace = !YamlDecoder::IsNull(r.replace);
    bool has_inject = !YamlDecoder::IsNull(r.inject);
    int modes = int{has_legacy} + int{has_replace} + int{has_inject};
    if (modes == 0) { *err = at + ": must specify either inject or replace"; return nullptr; }
    if (modes > 1) {
      if (has_legacy && has_replace) *err = at + ": cannot use both top-level proxy_value/match_headers and replace block";
      else if (has_legacy && has_inject) *err = at + ": cannot use both top-level proxy_value/match_headers and inject block";
      else *err = at + ": cannot specify both inject and replace";
      return nullptr;
    }
    Entry e;
    YamlDecoder sub(false);
    if (has_inject) {
      e.inject = true;
      sub.Struct(r.inject, "secrets.injectConfig", [&](const std::string& f, const YAML::Node& x) {
        if (f == "header") sub.String(x, &e.inject_header);
        else if (f == "query_param") sub.String(x, &e.inject_query);
        else if (f == "formatter") sub.String(x, &e.formatter);
        else if (f == "require") sub.Bool(x, &e.require);
        else return false;
        return true;
      });
    } else if (has_replace) {
      sub.Struct(r.replace, "secrets.replaceConfig", [&](const std::string& f, const YAML::Node& x) {
        if (f == "proxy_value") sub.String(x, &e.proxy_value);
        else if (f == "match_headers") sub.StringList(x, &r.match_headers);
        else if (f == "match_body") sub.Bool(x, &e.match_body);
        else if (f == "match_path") sub.Bool(x, &e.match_path);
        else if (f == "match_query") sub.Bool(x, &e.match_query);
        else if (f == "require") sub.Bool(x, &e.require);
        else return false;
        return true;
      });
    } else {
      e.proxy_value = r.proxy_value;
      e.match_body = r.match_body;
      e.require = r.require;
    }
    if (!sub.ok()) { *err = "parsing secrets config: " + sub.Message(); return nullptr; }
    if (e.inject) {
      if (e.inject_header.empty() == e.inject_query.empty()) {
        *err = at + (e.inject_header.empty() ? ": inject must specify either header or query_param"
                                             : ": inject cannot specify both header and query_param");
        return nullptr;
      }
    } else if (e.proxy_value.empty()) {
      *err = at + (has_replace ? ": replace.proxy_value is required" : ": proxy_value is required");
      return nullptr;
    }
    std::string serr;
    e.source = SecretSource::Build(r.source, &serr);
    if (!e.source) { *err = at + ": " + serr; return nullptr; }
    std::vector<RuleConfig> rcs;
    YamlDecoder rd(false);
    DecodeRules(rd, r.rules, &rcs);
    if (!rd.ok()) { *err = "parsing secrets config: " + rd.Message(); return nullptr; }
    if (!CompileRules(rcs, at, &e.rules, err)) return nullptr;
    if (!e.inject) {
      for (const auto& p : r.match_headers) {
        HeaderMatcher m;
        if (p.size() >= 2 && p.front() == '/' && p.back() == '/') {
          try {
            m.re = std::make_shared<std::regex>(p.substr(1, p.size() - 2), std::regex::icase | std::regex::ECMAScript);
          } catch (const std::regex_error& ex) {
            *err = at + ": invalid match_headers regex " + Json(p).dump() + ": " + ex.what();
            return nullptr;
          }
        } else {
          m.name = CanonicalHeaderKey(p);
          m.wire = p;
        }
        e.headers.push_back(m);
      }
    }
    entries.push_back(std::move(e));
  }
  return std::make_unique<Secrets>(std::move(entries));
}

}  // namespace irondouble
