// spec.dns (what the proxy's DNS server answers) and enforcement.routing's default and checks.
#include <set>

#include "state/spec/parse.h"
#include "state/spec/validators.h"

namespace ironward::spec::detail {
namespace {

/// "" when `name` can be a record's name or a CNAME's target: a DNS name as CheckHostPattern
/// accepts it, but no wildcard (iron-proxy looks records up by the exact name) and no IPv4 literal.
std::string CheckRecordName(const std::string& name) {
  if (name.rfind("*.", 0) == 0) return "'" + name + "' is a wildcard; a record answers one exact name";
  if (std::string err = CheckHostPattern(name); !err.empty()) return err;
  if (ParseIpv4(name)) return "'" + name + "' is an IPv4 address, not a DNS name";
  return "";
}

void ParseRecord(Diag& diag, const Field& item, std::set<std::string>* names, std::vector<DnsRecord>* out) {
  Map m(diag, item, "spec.dns.records[]");
  if (!m.valid()) return;
  DnsRecord r;
  bool ok = true;
  const auto name = m.Require("name");
  const auto type = m.Require("type");
  const auto value = m.Require("value");
  if (!name || !type || !value) return;
  if (auto s = ReadNonEmpty(diag, *name)) {
    if (std::string err = CheckRecordName(*s); !err.empty()) {
      diag.ErrorAt(name->pos, name->path, err);
      ok = false;
    } else if (!names->insert(*s).second) {
      // iron-proxy keys its records by name: a second one would silently replace the first.
      diag.ErrorAt(name->pos, name->path, "'" + *s + "' has a record already (one record per name)");
      ok = false;
    }
    r.name = *s;
  } else {
    ok = false;
  }
  if (auto s = ReadChoice(diag, *type, {"A", "CNAME"})) {
    r.type = *s;
  } else {
    ok = false;
  }
  if (auto s = ReadNonEmpty(diag, *value); s && !r.type.empty()) {
    if (r.type == "A" && !ParseIpv4(*s)) {
      diag.ErrorAt(value->pos, value->path, "'" + *s + "' is not an IPv4 address (type A)");
      ok = false;
    } else if (r.type == "CNAME") {
      if (std::string err = CheckRecordName(*s); !err.empty()) {
        diag.ErrorAt(value->pos, value->path, err + " (type CNAME names a host)");
        ok = false;
      }
    }
    r.value = *s;
  } else {
    ok = false;
  }
  if (ok) out->push_back(std::move(r));
}

}  // namespace

void ParseDns(Diag& diag, const Field& field, DnsSpec* out) {
  Map m(diag, field, "spec.dns");
  if (!m.valid()) return;
  if (auto f = m.Get("passthrough")) out->passthrough = ReadHosts(diag, *f, true);
  if (auto f = m.Get("records")) {
    auto items = ReadSeq(diag, *f);
    if (!items) return;
    std::set<std::string> names;
    for (const auto& item : *items) ParseRecord(diag, item, &names, &out->records);
  }
}

void CheckRouting(Diag& diag, Spec* spec) {
  EnforcementSpec& e = spec->enforcement;
  const bool internal = e.network == NetworkMode::kInternal;
  const bool on_gateway = spec->proxy.bind == BindKind::kSandboxNetwork;
  if (!e.routing_set) {
    // DNS routing needs the proxy's listeners on the sandbox network's gateway; without them the
    // default stays what it always was.
    e.routing = internal && on_gateway ? RoutingMode::kBoth : RoutingMode::kProxyVariables;
  } else if (e.RoutesDns()) {
    const std::string mode = ToString(e.routing);
    if (!internal) {
      diag.Error("spec.enforcement.routing",
                 "routing: " + mode + " needs enforcement.network: internal (the proxy's DNS server and the "
                 "firewall rules that steer DNS, port 80 and 443 to it exist only on the sandbox network); "
                 "use routing: proxy-variables with network: none");
    } else if (!on_gateway) {
      diag.Error("spec.enforcement.routing",
                 "routing: " + mode + " needs proxy.bind: sandbox-network (the proxy's DNS, http and https "
                 "listeners must be on the sandbox network's gateway); set it or use routing: proxy-variables");
    }
  }
  if (!e.RoutesDns() && !spec->dns.IsDefault()) {
    diag.Warn("spec.dns", "spec.dns has no effect with enforcement.routing: proxy-variables (nothing asks the "
                          "proxy's DNS server)");
  }
}

}  // namespace ironward::spec::detail
