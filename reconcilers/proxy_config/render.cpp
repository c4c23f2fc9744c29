#include "reconcilers/proxy_config/render.h"

#include <arpa/inet.h>

#include <algorithm>

#include "reconcilers/io/host_info.h"
#include "reconcilers/proxy_config/proxy_schema.h"
#include "state/encoding.h"

namespace ironward::proxy_config {
namespace {

std::string HostPort(const std::string& ip, std::uint16_t port) { return ip + ":" + std::to_string(port); }

std::string Emit(const YAML::Node& node) {
  YAML::Emitter out;
  out << node;
  return std::string(out.c_str()) + "\n";
}

YAML::Node StringList(const std::vector<std::string>& items) {
  YAML::Node seq(YAML::NodeType::Sequence);
  for (const auto& i : items) seq.push_back(i);
  return seq;
}

YAML::Node Transforms(const RenderInputs& in, const ProxyVersion& version) {
  const auto& spec = in.desired->spec;
  YAML::Node transforms(YAML::NodeType::Sequence);
  std::vector<const spec::Provider*> providers;
  for (const auto& p : spec.providers) {
    if (in.skipped_providers.count(p.name) == 0) providers.push_back(&p);
  }

  // The allowlist always comes first: without it iron-proxy allows everything.
  std::vector<std::string> domains;
  for (const auto* p : providers) domains.insert(domains.end(), p->hosts.begin(), p->hosts.end());
  domains.insert(domains.end(), spec.allowlist.begin(), spec.allowlist.end());
  std::sort(domains.begin(), domains.end());
  domains.erase(std::unique(domains.begin(), domains.end()), domains.end());
  YAML::Node allowlist;
  allowlist["name"] = "allowlist";
  allowlist["config"]["domains"] = StringList(domains);
  transforms.push_back(allowlist);

  if (providers.empty()) return transforms;
  const bool file_source =
      spec.credentials.source == spec::CredentialSource::kBitwarden && version.AtLeast(0, 42);
  YAML::Node entries(YAML::NodeType::Sequence);
  for (const auto* provider : providers) {
    const spec::Provider& p = *provider;
    YAML::Node e;
    if (file_source) {
      e["source"]["type"] = "file";
      e["source"]["path"] = in.secrets_dir + "/" + p.secret;
    } else {
      e["source"]["type"] = "env";
      e["source"]["var"] = p.secret;
    }
    // Never `require: true`: at these versions it rejects the tunnel's CONNECT itself.
    e["replace"]["proxy_value"] = in.tokens.at(p.name);
    // iron-proxy always scans the listed headers (an empty list would mean all of them).
    e["replace"]["match_headers"] = StringList(p.headers);
    // Emitted only when asked: every supported version (0.39+) accepts both, and leaving them out
    // otherwise keeps the config digest of existing setups (no restart on upgrade).
    if (p.in.path) e["replace"]["match_path"] = true;
    if (p.in.query) e["replace"]["match_query"] = true;
    YAML::Node rules(YAML::NodeType::Sequence);
    for (const auto& h : p.hosts) {
      YAML::Node r;
      r["host"] = h;
      rules.push_back(r);
    }
    e["rules"] = rules;
    entries.push_back(e);
  }
  YAML::Node secrets;
  secrets["name"] = "secrets";
  secrets["config"]["secrets"] = entries;
  transforms.push_back(secrets);
  return transforms;
}

}  // namespace

Result<std::string> GatewayOf(const std::string& cidr) {
  const auto slash = cidr.find('/');
  in_addr addr{};
  if (slash == std::string::npos || ::inet_pton(AF_INET, cidr.substr(0, slash).c_str(), &addr) != 1) {
    return Error::Invalid("'" + cidr + "' is not an IPv4 CIDR");
  }
  const std::uint32_t host = ntohl(addr.s_addr) + 1;
  addr.s_addr = htonl(host);
  char buf[INET_ADDRSTRLEN] = {0};
  ::inet_ntop(AF_INET, &addr, buf, sizeof(buf));
  return std::string(buf);
}

Result<std::string> ResolveBindAddress(const spec::Spec& spec, const HostInfo* host) {
  switch (spec.proxy.bind) {
    case spec::BindKind::kLoopback:
      return std::string("127.0.0.1");
    case spec::BindKind::kSandboxNetwork:
      return GatewayOf(spec.enforcement.network_subnet);
    case spec::BindKind::kDockerBridge: {
      if (host == nullptr) return Error::Transient("bind: docker-bridge needs host interface information");
      auto ip = host->InterfaceIPv4("docker0");
      if (!ip) {
        return Error::Transient("bind: docker-bridge, but interface docker0 has no IPv4 address (is Docker running?)");
      }
      return *ip;
    }
    case spec::BindKind::kAddress: {
      if (spec.proxy.bind_address == "0.0.0.0") return Error::Invalid("bind: 0.0.0.0 is never allowed");
      if (host != nullptr) {
        const auto all = host->LocalIPv4Addresses();
        if (std::find(all.begin(), all.end(), spec.proxy.bind_address) == all.end()) {
          return Error::Transient("bind: " + spec.proxy.bind_address + " is not an address of this host");
        }
      }
      return spec.proxy.bind_address;
    }
  }
  return Error::Invalid("unknown bind kind");
}

Result<Rendered> RenderProxyConfig(const RenderInputs& in) {
  const auto& proxy = in.desired->spec.proxy;
  ProxyVersion version;
  if (!ProxyVersion::Parse(proxy.version, &version)) {
    return Error::Invalid("proxy.version '" + proxy.version + "' is not X.Y.Z");
  }
  if (in.bind_ip.empty() || in.bind_ip == "0.0.0.0") return Error::Invalid("refusing to render a 0.0.0.0 listener");

  YAML::Node root;
  const bool routes_dns = in.desired->spec.enforcement.RoutesDns();
  if (routes_dns) {
    // enforcement.routing dns/both: the sandboxes' resolver. The firewall DNATs the sandbox
    // bridge's port 53 to dnsPort and 80/443 to httpPort/httpsPort, all on the gateway (bind_ip:
    // the loader requires bind: sandbox-network), and every name not passed through or recorded
    // is answered with that address.
    if (version.AtLeast(0, 43)) root["dns"]["enabled"] = true;
    root["dns"]["listen"] = HostPort(in.bind_ip, proxy.dns_port);
    root["dns"]["proxy_ip"] = in.bind_ip;
    const auto& dns = in.desired->spec.dns;
    if (!dns.passthrough.empty()) root["dns"]["passthrough"] = StringList(dns.passthrough);
    if (!dns.records.empty()) {
      YAML::Node records(YAML::NodeType::Sequence);
      for (const auto& r : dns.records) {
        YAML::Node rec;
        rec["name"] = r.name;
        rec["type"] = r.type;
        rec["value"] = r.value;
        records.push_back(rec);
      }
      root["dns"]["records"] = records;
    }
  } else if (version.AtLeast(0, 43)) {
    root["dns"]["enabled"] = false;
  } else {
    // DNS cannot be disabled before 0.43: park it on loopback (we never use interception).
    root["dns"]["listen"] = HostPort("127.0.0.1", proxy.dns_port);
    root["dns"]["proxy_ip"] = "127.0.0.1";
  }
  root["proxy"]["http_listen"] = HostPort(in.bind_ip, proxy.http_port);
  // Always bound; with DNS routing it terminates the sandboxes' TLS by SNI, else parked on loopback.
  root["proxy"]["https_listen"] = HostPort(routes_dns ? in.bind_ip : "127.0.0.1", proxy.https_port);
  root["proxy"]["tunnel_listen"] = HostPort(in.bind_ip, proxy.tunnel_port);
  root["proxy"]["upstream_deny_cidrs"] = StringList(proxy.upstream_deny_cidrs);  // [] = explicitly none
  if (proxy.upstream_response_header_timeout) {  // every supported version has it (Go duration)
    root["proxy"]["upstream_response_header_timeout"] =
        std::to_string(proxy.upstream_response_header_timeout->count()) + "s";
  }
  root["tls"]["mode"] = "mitm";
  root["tls"]["ca_cert"] = in.ca_cert_path;
  root["tls"]["ca_key"] = in.ca_key_path;
  root["metrics"]["listen"] = HostPort("127.0.0.1", proxy.metrics_port);
  root["management"]["listen"] = HostPort("127.0.0.1", proxy.management_port);
  root["management"]["api_key_env"] = kManagementKeyEnv;
  root["log"]["level"] = proxy.log_level;

  const std::string listeners_text = Emit(root);
  YAML::Node transforms = Transforms(in, version);
  root["transforms"] = transforms;

  if (auto problems = CheckConfig(root, version); !problems.empty()) {
    std::string msg = "rendered proxy.yaml would be rejected by iron-proxy " + version.ToString() + ":";
    for (const auto& p : problems) msg += " " + p + ";";
    return Error::Terminal(msg);
  }

  Rendered r;
  r.node = root;
  r.text = "# Managed by ironward for iron-proxy " + version.ToString() +
           ". Do not edit: changes are reverted on the next reconcile.\n" + Emit(root);
  r.digest = Sha256Hex(r.text);
  r.listeners_digest = Sha256Hex(listeners_text);
  r.ruleset_digest = Sha256Hex(Emit(transforms));
  return r;
}

}  // namespace ironward::proxy_config
