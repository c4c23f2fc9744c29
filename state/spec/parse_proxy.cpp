// spec.proxy and spec.ca.
#include <algorithm>
#include <array>

#include "state/spec/parse.h"
#include "state/spec/units.h"
#include "state/spec/validators.h"
#include "state/encoding.h"

namespace ironward::spec::detail {
namespace {

void ParseSource(Diag& diag, const Field& field, ProxySource* out) {
  Map m(diag, field, "spec.proxy.source");
  if (!m.valid()) return;
  if (auto f = m.Get("url")) {
    if (auto s = ReadString(diag, *f)) {
      const std::string err = CheckSourceUrl(*s);
      if (!err.empty()) {
        diag.ErrorAt(f->pos, f->path, err);
      } else {
        out->url = *s;
        if (s->rfind("http://", 0) == 0) {
          diag.WarnAt(f->pos, f->path,
                      "plain http:// download; integrity rests on sha256 alone, prefer https://");
        }
      }
    }
  }
  if (auto f = m.Require("sha256")) {
    if (auto s = ReadString(diag, *f)) {
      if (!IsSha256Hex(*s)) {
        diag.ErrorAt(f->pos, f->path,
                     "'" + *s + "' is not a sha256 digest (expected 64 hex characters)");
      } else {
        out->sha256 = AsciiLower(*s);
      }
    }
  }
  if (auto f = m.Get("checksumsUrl")) {
    if (auto s = ReadString(diag, *f)) {
      const std::string err = CheckSourceUrl(*s);
      if (!err.empty()) {
        diag.ErrorAt(f->pos, f->path, err);
      } else {
        out->checksums_url = *s;
      }
    }
  }
}

void ParseBind(Diag& diag, const Field& field, ProxySpec* out) {
  auto s = ReadString(diag, field);
  if (!s) return;
  if (*s == "loopback") {
    out->bind = BindKind::kLoopback;
  } else if (*s == "docker-bridge") {
    out->bind = BindKind::kDockerBridge;
  } else if (*s == "sandbox-network") {
    out->bind = BindKind::kSandboxNetwork;
  } else {
    std::string err = CheckBindAddress(*s);
    if (!err.empty()) {
      const std::string hint = Suggest(*s, {"loopback", "docker-bridge", "sandbox-network"});
      if (!hint.empty() && !ParseIpv4(*s)) err += "; did you mean '" + hint + "'?";
      diag.ErrorAt(field.pos, field.path, err);
      return;
    }
    out->bind = BindKind::kAddress;
    out->bind_address = *s;
  }
}

void ParseDenyCidrs(Diag& diag, const Field& field, ProxySpec* out) {
  const Kind k = Classify(field.node);
  if (k == Kind::kString && field.node.Scalar() == "default") {
    out->upstream_deny_default = true;
    out->upstream_deny_cidrs = DefaultUpstreamDenyCidrs();
    return;
  }
  if (k != Kind::kSequence) {
    TypeError(diag, field, "'default', [] or a list of CIDRs");
    return;
  }
  auto items = ReadSeq(diag, field);
  if (!items) return;
  std::vector<std::string> cidrs;
  for (const auto& item : *items) {
    auto s = ReadString(diag, item);
    if (!s) continue;
    const std::string err = CheckCidr(*s);
    if (!err.empty()) {
      diag.ErrorAt(item.pos, item.path, err);
      continue;
    }
    if (auto v4 = ParseIpv4Cidr(*s); v4 && v4->host_bits_set) {
      diag.WarnAt(item.pos, item.path, "'" + *s + "' has host bits set; the whole network is denied");
    }
    cidrs.push_back(*s);
  }
  out->upstream_deny_default = false;
  out->upstream_deny_cidrs = cidrs;
  if (items->empty()) {
    diag.WarnAt(field.pos, field.path,
                "empty deny list: the proxy may connect to loopback, link-local (cloud metadata) "
                "and private addresses");
  }
}

struct PortSlot {
  const char* key;
  std::uint16_t* value;
  int offset;  // from tunnelPort when not set
  bool explicit_value = false;
};

void DerivePorts(Diag& diag, ProxySpec* out, std::array<PortSlot, 6>& slots) {
  const int tunnel = out->tunnel_port;
  bool ok = true;
  for (auto& slot : slots) {
    if (slot.explicit_value || slot.offset == 0) continue;
    const int v = tunnel + slot.offset;
    if (v > 65535) {
      diag.Error("spec.proxy.tunnelPort",
                 "tunnelPort " + std::to_string(tunnel) + " leaves no room for " + slot.key +
                     " (tunnelPort+" + std::to_string(slot.offset) + "); set " + slot.key +
                     " explicitly");
      ok = false;
      continue;
    }
    *slot.value = static_cast<std::uint16_t>(v);
  }
  if (!ok) return;
  auto describe = [](const PortSlot& s) {
    std::string d = s.key;
    if (!s.explicit_value && s.offset != 0) d += " (default tunnelPort+" + std::to_string(s.offset) + ")";
    return d;
  };
  for (std::size_t j = 1; j < slots.size(); ++j) {
    for (std::size_t i = 0; i < j; ++i) {
      if (*slots[i].value != *slots[j].value) continue;
      // Point at a field the user wrote; prefer the later one.
      const PortSlot& at = slots[j].explicit_value || !slots[i].explicit_value ? slots[j] : slots[i];
      const PortSlot& other = &at == &slots[j] ? slots[i] : slots[j];
      diag.Error(std::string("spec.proxy.") + at.key,
                 "port " + std::to_string(*at.value) + " is used by both " + describe(other) +
                     " and " + describe(at) + "; every listener needs its own port");
      break;
    }
  }
}

}  // namespace

void ParseProxy(Diag& diag, const Field& field, ProxySpec* out) {
  out->upstream_deny_default = true;
  out->upstream_deny_cidrs = DefaultUpstreamDenyCidrs();
  Map m(diag, field, "spec.proxy");
  if (!m.valid()) return;
  if (auto f = m.Get("version")) {
    if (auto s = ReadString(diag, *f)) {
      int major = 0;
      int minor = 0;
      int patch = 0;
      if (!ParseSemver(*s, &major, &minor, &patch)) {
        std::string msg = "'" + *s + "' is not a version (expected X.Y.Z, e.g. 0.39.0)";
        if (!s->empty() && (s->front() == 'v' || s->front() == 'V')) msg += "; drop the leading 'v'";
        diag.ErrorAt(f->pos, f->path, msg);
      } else if (!IsSupportedProxyVersion(major, minor)) {
        diag.ErrorAt(f->pos, f->path,
                     "iron-proxy " + *s + " is not supported (supported: " +
                         kSupportedProxyVersions + ")");
      } else {
        out->version = *s;
      }
    }
  }
  if (auto f = m.Require("source")) ParseSource(diag, *f, &out->source);
  if (auto f = m.Get("bind")) ParseBind(diag, *f, out);

  std::array<PortSlot, 6> slots = {{
      {"tunnelPort", &out->tunnel_port, 0},
      {"httpPort", &out->http_port, 1},
      {"metricsPort", &out->metrics_port, 2},
      {"managementPort", &out->management_port, 3},
      {"dnsPort", &out->dns_port, 4},
      {"httpsPort", &out->https_port, 5},
  }};
  bool ports_ok = true;
  for (auto& slot : slots) {
    auto f = m.Get(slot.key);
    if (!f) continue;
    if (auto p = ReadPort(diag, *f)) {
      *slot.value = *p;
      slot.explicit_value = true;
    } else {
      ports_ok = false;
    }
  }
  if (ports_ok) DerivePorts(diag, out, slots);
  for (const PortSlot& slot : {slots[0], slots[1]}) {  // the listeners sandboxes use
    const std::uint16_t port = *slot.value;
    if (!ports_ok || port == 0 || port >= 1024) continue;
    const std::string path = std::string("spec.proxy.") + slot.key;
    const bool derived = !slot.explicit_value && slot.offset != 0;
    diag.WarnAt(diag.Find(derived ? "spec.proxy.tunnelPort" : path), path,
                "port " + std::to_string(port) + (derived ? " (default tunnelPort+1)" : "") +
                    " is privileged (<1024); iron-proxy will need CAP_NET_BIND_SERVICE");
  }

  if (auto f = m.Get("upstreamDenyCidrs")) ParseDenyCidrs(diag, *f, out);
  if (auto f = m.Get("logLevel")) {
    if (auto s = ReadChoice(diag, *f, {"debug", "info", "warn", "error"})) out->log_level = *s;
  }
  if (auto f = m.Get("upstreamResponseHeaderTimeout")) {
    if (auto d = ReadDuration(diag, *f, std::chrono::seconds(1))) {
      if (*d > std::chrono::hours(1)) {
        diag.ErrorAt(f->pos, f->path, "must be at most 1h, got " + FormatDuration(*d));
      } else {
        out->upstream_response_header_timeout = *d;
      }
    }
  }
  if (auto f = m.Get("maxRestartBackoff")) {
    if (auto d = ReadDuration(diag, *f, std::chrono::seconds(5))) {
      if (*d > std::chrono::hours(1)) {
        diag.ErrorAt(f->pos, f->path, "must be at most 1h (a crashed proxy would stay down that long), got " +
                                          FormatDuration(*d));
      } else {
        out->max_restart_backoff = *d;
      }
    }
  }
  if (auto f = m.Get("upstreamCaFile")) {
    if (auto s = ReadNonEmpty(diag, *f)) {
      if (!IsAbsolutePath(*s)) {
        diag.ErrorAt(f->pos, f->path, "'" + *s + "' must be an absolute path");
      } else {
        out->upstream_ca_file = *s;
      }
    }
  }
}

void ParseCa(Diag& diag, const Field& field, CaSpec* out) {
  Map m(diag, field, "spec.ca");
  if (!m.valid()) return;
  if (auto f = m.Get("algorithm")) {
    if (auto s = ReadChoice(diag, *f, {"rsa-4096", "ecdsa-p256", "ed25519"})) {
      out->algorithm = *s == "rsa-4096"     ? CaAlgorithm::kRsa4096
                       : *s == "ecdsa-p256" ? CaAlgorithm::kEcdsaP256
                                            : CaAlgorithm::kEd25519;
    }
  }
  bool validity_ok = true;
  if (auto f = m.Get("validity")) {
    if (auto d = ReadDuration(diag, *f, std::chrono::hours(1))) {
      out->validity = *d;
    } else {
      validity_ok = false;
    }
  }
  if (auto f = m.Get("renewBefore")) {
    if (auto d = ReadDuration(diag, *f, std::chrono::seconds(1))) {
      if (validity_ok && *d >= out->validity) {
        diag.ErrorAt(f->pos, f->path,
                     "must be shorter than validity (" + FormatDuration(out->validity) +
                         "), got '" + f->node.Scalar() + "'");
      } else {
        out->renew_before = *d;
      }
    }
  }
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

}  // namespace ironward::spec::detail
