#include "controller/wiring_output.h"

#include <yaml-cpp/yaml.h>

#include "state/encoding.h"

namespace ironward {
namespace {

std::pair<std::string, std::string> SplitEnv(const std::string& kv) {
  const auto eq = kv.find('=');
  return {kv.substr(0, eq), eq == std::string::npos ? "" : kv.substr(eq + 1)};
}

std::string Header(const WiringDoc& doc, const char* comment) {
  return std::string(comment) + " ironward wiring for gateway " + doc.gateway + " (posture " +
         ShortDigest(doc.posture) + "). Holds proxy tokens, not real keys; regenerate after a\n" + comment +
         " token or CA rotation (`ironward status` names stale containers). Do not edit.\n";
}

std::vector<std::string> DockerArgs(const WiringDoc& doc) {
  const auto& s = doc.spec;
  std::vector<std::string> args;
  if (!doc.network.empty()) args.push_back("--network=" + doc.network);
  for (const auto& h : s.host.extra_hosts) args.push_back("--add-host=" + h);
  for (const auto& d : s.host.dns) args.push_back("--dns=" + d);  // enforcement.routing dns/both
  for (const auto& b : s.host.binds) args.push_back("--volume=" + b);
  for (const auto& e : s.env) args.push_back("--env=" + e);
  for (const auto& c : s.host.cap_drop) args.push_back("--cap-drop=" + c);
  for (const auto& o : s.host.security_opt) args.push_back("--security-opt=" + o);
  if (s.host.init) args.push_back("--init");
  for (const auto& [k, v] : s.labels) args.push_back("--label=" + k + "=" + v);
  return args;
}

}  // namespace

std::string RenderEnvFile(const WiringDoc& doc) {
  std::string out = Header(doc, "#");
  out += "# docker run --env-file FILE also needs:";
  for (const auto& a : DockerArgs(doc)) {
    if (a.rfind("--env=", 0) != 0) out += " " + ShellQuote(a);
  }
  out += "\n";
  for (const auto& e : doc.spec.env) out += e + "\n";
  return out;
}

std::string RenderDockerArgs(const WiringDoc& doc) {
  std::string out;
  for (const auto& a : DockerArgs(doc)) out += ShellQuote(a) + "\n";
  return out;
}

std::string RenderComposeOverride(const WiringDoc& doc) {
  const auto& s = doc.spec;
  YAML::Emitter y;
  y << YAML::BeginMap << YAML::Key << "services" << YAML::Value << YAML::BeginMap;
  for (const auto& service : doc.services) {
    y << YAML::Key << service << YAML::Value << YAML::BeginMap;
    y << YAML::Key << "environment" << YAML::Value << YAML::BeginMap;
    for (const auto& e : s.env) {
      const auto [k, v] = SplitEnv(e);
      y << YAML::Key << k << YAML::Value << YAML::DoubleQuoted << v;
    }
    y << YAML::EndMap;
    y << YAML::Key << "volumes" << YAML::Value << YAML::BeginSeq;
    for (const auto& b : s.host.binds) y << YAML::DoubleQuoted << b;
    y << YAML::EndSeq;
    y << YAML::Key << "extra_hosts" << YAML::Value << YAML::BeginSeq;
    for (const auto& h : s.host.extra_hosts) y << YAML::DoubleQuoted << h;
    y << YAML::EndSeq;
    if (!s.host.dns.empty()) {
      y << YAML::Key << "dns" << YAML::Value << YAML::BeginSeq;
      for (const auto& d : s.host.dns) y << YAML::DoubleQuoted << d;
      y << YAML::EndSeq;
    }
    if (!doc.network.empty()) {
      y << YAML::Key << "networks" << YAML::Value << YAML::BeginSeq << doc.network << YAML::EndSeq;
    }
    y << YAML::Key << "cap_drop" << YAML::Value << YAML::Flow << s.host.cap_drop;
    y << YAML::Key << "security_opt" << YAML::Value << YAML::BeginSeq;
    for (const auto& o : s.host.security_opt) y << YAML::DoubleQuoted << o;
    y << YAML::EndSeq;
    y << YAML::Key << "init" << YAML::Value << s.host.init;
    y << YAML::Key << "labels" << YAML::Value << YAML::BeginMap;
    for (const auto& [k, v] : s.labels) y << YAML::Key << k << YAML::Value << YAML::DoubleQuoted << v;
    y << YAML::EndMap;
    y << YAML::EndMap;
  }
  y << YAML::EndMap;
  if (!doc.network.empty()) {
    y << YAML::Key << "networks" << YAML::Value << YAML::BeginMap;
    y << YAML::Key << doc.network << YAML::Value << YAML::BeginMap;
    y << YAML::Key << "external" << YAML::Value << true;
    y << YAML::Key << "name" << YAML::Value << doc.network;
    y << YAML::EndMap << YAML::EndMap;
  }
  y << YAML::EndMap;
  return Header(doc, "#") + y.c_str() + "\n";
}

nlohmann::json RenderWiringJson(const WiringDoc& doc) {
  const auto& s = doc.spec;
  nlohmann::json env = nlohmann::json::object();
  for (const auto& e : s.env) {
    const auto [k, v] = SplitEnv(e);
    env[k] = v;
  }
  nlohmann::json mounts = nlohmann::json::array();
  for (const auto& b : s.host.binds) {
    // "source:target:ro" (ironward's own paths: neither holds ':').
    const auto first = b.find(':');
    const auto second = b.find(':', first + 1);
    mounts.push_back({{"source", b.substr(0, first)},
                      {"target", b.substr(first + 1, second - first - 1)},
                      {"read_only", b.substr(second + 1) == "ro"}});
  }
  return {{"gateway", doc.gateway},
          {"posture", doc.posture},
          {"network", doc.network.empty() ? nlohmann::json(nullptr) : nlohmann::json(doc.network)},
          {"env", env},
          {"mounts", mounts},
          {"extra_hosts", s.host.extra_hosts},
          {"dns", s.host.dns},
          {"cap_drop", s.host.cap_drop},
          {"security_opt", s.host.security_opt},
          {"init", s.host.init},
          {"labels", s.labels},
          {"docker_args", DockerArgs(doc)}};
}

}  // namespace ironward
