// The allowlist transform: domains (globs), cidrs (literal-IP hosts), rules, warn mode.
#include "hostmatch.h"
#include "pipeline.h"

namespace irondouble {
namespace {

class Allowlist : public Transform {
 public:
  Allowlist(std::vector<Rule> rules, bool warn) : rules_(std::move(rules)), warn_(warn) {}
  std::string Name() const override { return "allowlist"; }

  Action OnRequest(TxRequest& req, Annotations& notes, std::string*) override {
    if (MatchAnyRule(rules_, req.host, req.method, req.DecodedPath())) return Action::kContinue;
    if (warn_) {
      notes["action"] = "warn";
      return Action::kContinue;
    }
    return Action::kReject;
  }

 private:
  std::vector<Rule> rules_;
  bool warn_;
};

}  // namespace

std::unique_ptr<Transform> NewAllowlist(const YAML::Node& config, std::string* err) {
  YamlDecoder d(/*known_fields=*/false);
  std::vector<std::string> domains, cidrs;
  std::vector<RuleConfig> rule_configs;
  bool warn = false;
  d.Struct(config, "allowlist.allowlistConfig", [&](const std::string& k, const YAML::Node& v) {
    if (k == "domains") d.StringList(v, &domains);
    else if (k == "cidrs") d.StringList(v, &cidrs);
    else if (k == "rules") DecodeRules(d, v, &rule_configs);
    else if (k == "warn") d.Bool(v, &warn);
    else return false;
    return true;
  });
  if (!d.ok()) {
    *err = "parsing allowlist config: " + d.Message();
    return nullptr;
  }
  std::vector<Rule> rules;
  for (const auto& domain : domains) {
    Rule r;
    r.domains.push_back(domain);
    rules.push_back(r);
  }
  for (const auto& c : cidrs) {
    Rule r;
    Prefix p;
    std::string perr;
    if (!ParseNetCidr(c, &p, &perr)) {
      *err = "parsing CIDR \"" + c + "\": " + perr;
      return nullptr;
    }
    r.cidrs.push_back(p);
    rules.push_back(r);
  }
  if (!CompileRules(rule_configs, "allowlist", &rules, err)) return nullptr;
  return std::make_unique<Allowlist>(std::move(rules), warn);
}

}  // namespace irondouble
