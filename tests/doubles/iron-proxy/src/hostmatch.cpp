#include "hostmatch.h"

#include "net.h"

#include <algorithm>
#include <cctype>

namespace irondouble {
namespace {

// Matches one character class starting after '['; returns false on a malformed class.
bool MatchClass(const std::string& p, std::size_t* i, char c, bool* matched) {
  bool negate = false;
  if (*i < p.size() && p[*i] == '^') { negate = true; ++*i; }
  bool any = false;
  bool first = true;
  while (*i < p.size() && (p[*i] != ']' || first)) {
    first = false;
    char lo = p[*i];
    if (lo == '\\') { if (++*i >= p.size()) return false; lo = p[*i]; }
    ++*i;
    char hi = lo;
    if (*i + 1 < p.size() && p[*i] == '-' && p[*i + 1] != ']') {
      hi = p[*i + 1];
      if (hi == '\\') { if (*i + 2 >= p.size()) return false; hi = p[*i + 2]; ++*i; }
      *i += 2;
    }
    if (lo <= c && c <= hi) any = true;
  }
  if (*i >= p.size()) return false;
  ++*i;  // ']'
  *matched = any != negate;
  return true;
}

bool MatchFrom(const std::string& p, std::size_t pi, const std::string& s, std::size_t si, bool* bad) {
  while (pi < p.size()) {
    char pc = p[pi];
    if (pc == '*') {
      while (pi < p.size() && p[pi] == '*') ++pi;
      for (std::size_t k = si; k <= s.size(); ++k) {
        if (MatchFrom(p, pi, s, k, bad)) return true;
        if (*bad) return false;
        if (k < s.size() && s[k] == '/') break;
      }
      return false;
    }
    if (si >= s.size()) {
      return false;
    }
    if (pc == '?') {
      if (s[si] == '/') return false;
      ++pi; ++si;
    } else if (pc == '[') {
      std::size_t i = pi + 1;
      bool matched = false;
      if (!MatchClass(p, &i, s[si], &matched)) { *bad = true; return false; }
      if (!matched || s[si] == '/') return false;
      pi = i; ++si;
    } else {
      if (pc == '\\') { if (++pi >= p.size()) { *bad = true; return false; } pc = p[pi]; }
      if (pc != s[si]) return false;
      ++pi; ++si;
    }
  }
  return si == s.size();
}

}  // namespace

bool GoPathMatch(const std::string& pattern, const std::string& name) {
  bool bad = false;
  bool ok = MatchFrom(pattern, 0, name, 0, &bad);
  return ok && !bad;
}

bool MatchGlob(const std::string& pattern, const std::string& name) {
  if (pattern == "*") return true;
  if (pattern.rfind("*.", 0) == 0) {
    std::string suffix = pattern.substr(1);
    return (name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) ||
           name == pattern.substr(2);
  }
  return GoPathMatch(pattern, name);
}

bool MatchPath(const std::string& pattern, const std::string& path) {
  if (pattern.size() >= 2 && pattern.compare(pattern.size() - 2, 2, "/*") == 0) {
    std::string prefix = pattern.substr(0, pattern.size() - 1);
    std::string base = pattern.substr(0, pattern.size() - 2);
    return path.rfind(prefix, 0) == 0 || path == base;
  }
  return GoPathMatch(pattern, path);
}

std::string StripPort(const std::string& host) {
  std::string h, p;
  if (SplitHostPort(host, &h, &p)) return h;
  return host;
}

void DecodeRules(YamlDecoder& d, const YAML::Node& node, std::vector<RuleConfig>* out) {
  d.List(node, "[]hostmatch.RuleConfig", [&](const YAML::Node& item) {
    RuleConfig rc;
    d.Struct(item, "hostmatch.RuleConfig", [&](const std::string& k, const YAML::Node& v) {
      if (k == "host") d.String(v, &rc.host);
      else if (k == "cidr") d.String(v, &rc.cidr);
      else if (k == "methods") d.StringList(v, &rc.methods);
      else if (k == "paths") d.StringList(v, &rc.paths);
      else return false;
      return true;
    });
    out->push_back(rc);
  });
}

bool Rule::MatchesHost(const std::string& host) const {
  for (const auto& d : domains) if (MatchGlob(d, host)) return true;
  if (!cidrs.empty()) {
    IpAddr ip;
    if (ParseIp(host, &ip)) {
      for (const auto& c : cidrs) if (c.Contains(Unmap(ip)) || c.Contains(ip)) return true;
    }
  }
  return false;
}

bool Rule::Matches(const std::string& host, const std::string& method, const std::string& path) const {
  if (!MatchesHost(host)) return false;
  if (!any_method && !methods.count(method)) return false;
  if (!paths.empty()) {
    return std::any_of(paths.begin(), paths.end(), [&](const std::string& p) { return MatchPath(p, path); });
  }
  return true;
}

bool CompileRules(const std::vector<RuleConfig>& configs, const std::string& prefix,
                  std::vector<Rule>* out, std::string* err) {
  for (std::size_t i = 0; i < configs.size(); ++i) {
    const RuleConfig& rc = configs[i];
    std::string at = prefix + ": rules[" + std::to_string(i) + "]: ";
    if (!rc.host.empty() && !rc.cidr.empty()) { *err = at + "host and cidr are mutually exclusive"; return false; }
    if (rc.host.empty() && rc.cidr.empty()) { *err = at + "one of host or cidr is required"; return false; }
    Rule r;
    if (!rc.host.empty()) r.domains.push_back(rc.host);
    if (!rc.cidr.empty()) {
      Prefix p;
      std::string perr;
      if (!ParseNetCidr(rc.cidr, &p, &perr)) { *err = at + "parsing CIDR \"" + rc.cidr + "\": " + perr; return false; }
      r.cidrs.push_back(p);
    }
    for (const auto& p : rc.paths) {
      if (p.empty() || p[0] != '/') { *err = at + "path \"" + p + "\" must start with /"; return false; }
    }
    r.any_method = rc.methods.empty() || (rc.methods.size() == 1 && rc.methods[0] == "*");
    if (!r.any_method) {
      for (std::string m : rc.methods) {
        std::transform(m.begin(), m.end(), m.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
        r.methods.insert(m);
      }
    }
    r.paths = rc.paths;
    out->push_back(std::move(r));
  }
  return true;
}

bool MatchAnyRule(const std::vector<Rule>& rules, const std::string& host_with_port,
                  const std::string& method, const std::string& decoded_path) {
  std::string host = StripPort(host_with_port);
  return std::any_of(rules.begin(), rules.end(),
                     [&](const Rule& r) { return r.Matches(host, method, decoded_path); });
}

}  // namespace irondouble
