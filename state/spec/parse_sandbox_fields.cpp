// spec.sandboxes[] fields beyond image/command/env/mounts/resources: ports, user, capAdd, restart,
// oneshot, healthcheck, noProxy, requireDigest. Every refusal names its reason at FILE:LINE:COL.
#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "state/spec/parse.h"
#include "state/spec/validators.h"

namespace ironward::spec::detail {
namespace {

/// Capabilities a sandbox may add back after cap-drop ALL: what images that drop privileges at
/// start (gosu, su-exec, chown of a volume, a port below 1024) need, and nothing that reaches the
/// network stack or the kernel.
const std::set<std::string>& SafeCapabilities() {
  static const std::set<std::string> kSafe = {"CHOWN", "DAC_OVERRIDE", "FOWNER",  "FSETID",
                                              "KILL",  "NET_BIND_SERVICE", "SETGID", "SETUID"};
  return kSafe;
}

/// Why `cap` (upper case, no CAP_ prefix) may not be added; "" when it may.
std::string CapabilityRefusal(const std::string& cap) {
  if (cap == "ALL") return "ALL would undo cap-drop ALL";
  if (cap == "NET_RAW") return "NET_RAW opens raw sockets: packets crafted around the proxy";
  if (cap == "NET_ADMIN") return "NET_ADMIN changes the container's routes and firewall: a way around the proxy";
  if (cap.rfind("SYS_", 0) == 0) return cap + " is a kernel-level power (mounts, ptrace, modules, raw I/O)";
  if (SafeCapabilities().count(cap) != 0) return "";
  std::string safe;
  for (const auto& c : SafeCapabilities()) safe += (safe.empty() ? "" : ", ") + c;
  return cap + " is not in the safe list (" + safe + ")";
}

enum class Family { kNone, kV4, kV6 };

Family AddressFamily(const std::string& a) {
  unsigned char buf[16];
  if (::inet_pton(AF_INET, a.c_str(), buf) == 1) return Family::kV4;
  if (::inet_pton(AF_INET6, a.c_str(), buf) == 1) return Family::kV6;
  return Family::kNone;
}

bool IsUnspecified(const std::string& a) { return a == "0.0.0.0" || a == "::"; }
bool IsLoopback(const std::string& a) { return a.rfind("127.", 0) == 0 || a == "::1"; }

std::optional<std::uint16_t> PortNumber(const std::string& s) {
  if (s.empty() || s.size() > 5 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  const int v = std::stoi(s);
  if (v < 1 || v > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(v);
}

/// "[ADDR:]HOST:CONTAINER[/tcp|udp]" (an IPv6 ADDR in brackets). Fills `out`; "" or why not.
std::string ParsePortString(const std::string& text, PortSpec* out) {
  std::string rest = text;
  if (auto slash = rest.rfind('/'); slash != std::string::npos) {
    out->protocol = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  std::string address;
  if (!rest.empty() && rest[0] == '[') {
    const auto close = rest.find("]:");
    if (close == std::string::npos) return "an IPv6 address is written [ADDR]:HOST:CONTAINER";
    address = rest.substr(1, close - 1);
    rest = rest.substr(close + 2);
  } else if (std::count(rest.begin(), rest.end(), ':') == 2) {
    address = rest.substr(0, rest.find(':'));
    rest = rest.substr(rest.find(':') + 1);
  }
  const auto colon = rest.find(':');
  if (colon == std::string::npos) {
    return "give the host port too: HOST:CONTAINER (e.g. 8080:80), optionally ADDR:HOST:CONTAINER";
  }
  auto host = PortNumber(rest.substr(0, colon));
  auto container = PortNumber(rest.substr(colon + 1));
  if (!host || !container) return "ports must be numbers between 1 and 65535";
  out->host_port = *host;
  out->container_port = *container;
  if (!address.empty()) out->host_address = address;
  return "";
}

void CheckPort(Diag& diag, const Field& item, const PortSpec& p, bool long_form, std::vector<PortSpec>* out) {
  if (p.protocol != "tcp" && p.protocol != "udp") {
    diag.ErrorAt(item.pos, item.path, "protocol '" + p.protocol + "' is not tcp or udp");
    return;
  }
  if (AddressFamily(p.host_address) == Family::kNone) {
    diag.ErrorAt(item.pos, item.path, "'" + p.host_address + "' is not an IP address");
    return;
  }
  if (IsUnspecified(p.host_address) && !p.is_public) {
    diag.ErrorAt(item.pos, item.path,
                 p.host_address + " publishes the port on every interface of the host" +
                     (long_form ? "; add public: true if that is intended"
                                : "; write it as {containerPort: N, hostAddress: " + p.host_address +
                                      ", public: true} if that is intended"));
    return;
  }
  if (!IsLoopback(p.host_address) && !IsUnspecified(p.host_address)) {
    diag.WarnAt(item.pos, item.path,
                "published on " + p.host_address + ", not loopback: reachable from outside this host");
  }
  for (const auto& other : *out) {
    if (other.host_address == p.host_address && other.host_port == p.host_port && other.protocol == p.protocol) {
      diag.ErrorAt(item.pos, item.path, "host port " + p.ToString() + " is already published by this sandbox");
      return;
    }
  }
  out->push_back(p);
}

}  // namespace

void ParsePorts(Diag& diag, const Field& field, std::vector<PortSpec>* out) {
  auto items = ReadSeq(diag, field);
  if (!items) return;
  for (const auto& item : *items) {
    PortSpec p;
    if (Classify(item.node) == Kind::kMapping) {
      Map m(diag, item, "spec.sandboxes[].ports[]");
      if (!m.valid()) continue;
      auto container = m.Require("containerPort");
      if (!container) continue;
      auto cport = ReadPort(diag, *container);
      if (!cport) continue;
      p.container_port = p.host_port = *cport;
      if (auto f = m.Get("hostPort")) {
        auto v = ReadPort(diag, *f);
        if (!v) continue;
        p.host_port = *v;
      }
      if (auto f = m.Get("hostAddress")) {
        auto v = ReadNonEmpty(diag, *f);
        if (!v) continue;
        p.host_address = *v;
      }
      if (auto f = m.Get("protocol")) {
        auto v = ReadChoice(diag, *f, {"tcp", "udp"});
        if (!v) continue;
        p.protocol = *v;
      }
      if (auto f = m.Get("public")) {
        auto v = ReadBool(diag, *f);
        if (!v) continue;
        p.is_public = *v;
      }
      CheckPort(diag, item, p, true, out);
      continue;
    }
    auto text = ReadScalarText(diag, item);
    if (!text) continue;
    if (std::string why = ParsePortString(*text, &p); !why.empty()) {
      diag.ErrorAt(item.pos, item.path, "'" + *text + "': " + why);
      continue;
    }
    CheckPort(diag, item, p, false, out);
  }
}

void ParseCapAdd(Diag& diag, const Field& field, std::vector<std::string>* out) {
  auto items = ReadSeq(diag, field);
  if (!items) return;
  for (const auto& item : *items) {
    auto s = ReadNonEmpty(diag, item);
    if (!s) continue;
    std::string cap = *s;
    std::transform(cap.begin(), cap.end(), cap.begin(), [](unsigned char c) { return std::toupper(c); });
    if (cap.rfind("CAP_", 0) == 0) cap = cap.substr(4);
    if (std::string why = CapabilityRefusal(cap); !why.empty()) {
      diag.ErrorAt(item.pos, item.path, "cannot add " + *s + ": " + why);
      continue;
    }
    if (std::find(out->begin(), out->end(), cap) == out->end()) out->push_back(cap);
  }
}

void ParseUser(Diag& diag, const Field& field, std::string* out) {
  auto s = ReadNonEmpty(diag, field);
  if (!s) return;
  const auto part_ok = [](const std::string& p) {
    return !p.empty() && p.size() <= 32 && std::all_of(p.begin(), p.end(), [](unsigned char c) {
      return std::isalnum(c) != 0 || c == '_' || c == '-' || c == '.';
    });
  };
  const auto colon = s->find(':');
  if (!part_ok(s->substr(0, colon)) || (colon != std::string::npos && !part_ok(s->substr(colon + 1)))) {
    diag.ErrorAt(field.pos, field.path, "'" + *s + "' is not USER or USER:GROUP (names or numeric ids)");
    return;
  }
  *out = *s;
}

void ParseHealthcheck(Diag& diag, const Field& field, std::optional<Healthcheck>* out) {
  Map m(diag, field, "spec.sandboxes[].healthcheck");
  if (!m.valid()) return;
  Healthcheck h;
  auto command = m.Require("command");
  if (!command) return;
  auto list = ReadStringList(diag, *command);
  if (!list) return;
  if (list->empty() || (*list)[0].empty()) {
    diag.ErrorAt(command->pos, command->path, "must name a program, e.g. [\"curl\", \"-f\", \"http://localhost/\"]");
    return;
  }
  h.command = *list;
  if (auto f = m.Get("interval")) {
    if (auto d = ReadDuration(diag, *f, std::chrono::seconds(1))) h.interval = *d;
  }
  if (auto f = m.Get("timeout")) {
    if (auto d = ReadDuration(diag, *f, std::chrono::seconds(1))) h.timeout = *d;
  }
  if (auto f = m.Get("retries")) {
    if (auto v = ReadInt(diag, *f)) {
      if (*v < 1 || *v > 100) {
        diag.ErrorAt(f->pos, f->path, "must be between 1 and 100, got " + std::to_string(*v));
      } else {
        h.retries = static_cast<int>(*v);
      }
    }
  }
  *out = h;
}

void ParseVarMap(Diag& diag, const Field& field, const char* what,
                 const std::function<void(const std::string& name, const Field& value)>& on_var) {
  diag.Record(field.path, field.pos);
  if (!field.node.IsMap()) {
    TypeError(diag, field, what);
    return;
  }
  for (auto kv = field.node.begin(); kv != field.node.end(); ++kv) {
    if (!kv->first.IsScalar()) continue;  // reported by CheckStructure
    const std::string& name = kv->first.Scalar();
    const Pos key_pos = PosOfNode(kv->first, field.pos);
    const std::string path = Child(field.path, name);
    if (diag.Has(path)) continue;  // duplicate key: reported by CheckStructure
    diag.Record(path, key_pos);
    if (!IsEnvVarName(name)) {
      diag.ErrorAt(key_pos, field.path,
                   "'" + name + "' is not a valid environment variable name ([A-Za-z_][A-Za-z0-9_]*)");
      continue;
    }
    on_var(name, Field{path, kv->second, PosOfNode(kv->second, key_pos)});
  }
}

void ParseSecretEnv(Diag& diag, const Field& field, std::map<std::string, std::string>* out) {
  ParseVarMap(diag, field, "a mapping of variable names to secret names (VAR: SECRET_NAME)",
              [&](const std::string& var, const Field& value) {
                auto name = ReadString(diag, value);
                if (!name) return;
                if (!IsEnvVarName(*name)) {
                  diag.ErrorAt(value.pos, value.path,
                               "'" + *name + "' is not a secret name: like a provider's `secret`, it is the "
                               "variable (or Bitwarden key) to read, [A-Za-z_][A-Za-z0-9_]*");
                } else if (name->rfind(kReservedEnvPrefix, 0) == 0) {
                  diag.ErrorAt(value.pos, value.path,
                               "'" + *name + "': names starting with IRONWARD_ are reserved for ironward");
                } else {
                  (*out)[var] = *name;
                }
              });
}

void ParseNoProxy(Diag& diag, const Field& field, std::vector<std::string>* out) {
  auto items = ReadSeq(diag, field);
  if (!items) return;
  for (const auto& item : *items) {
    auto s = ReadNonEmpty(diag, item);
    if (!s) continue;
    if (*s == "*" || s->find(',') != std::string::npos) {
      diag.ErrorAt(item.pos, item.path,
                   "'" + *s + "' would exempt every host from the proxy; name the sandboxes (or addresses) that "
                   "are reached directly, one per entry");
      continue;
    }
    const bool name_ok = std::all_of(s->begin(), s->end(), [](unsigned char c) {
      return std::isalnum(c) != 0 || c == '.' || c == '-' || c == '_' || c == ':' || c == '/';
    });
    if (!name_ok) {
      diag.ErrorAt(item.pos, item.path, "'" + *s + "' is not a host name, address or CIDR");
      continue;
    }
    out->push_back(*s);
  }
}

}  // namespace ironward::spec::detail
