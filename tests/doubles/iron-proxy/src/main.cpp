// iron-proxy test double: argv dispatch, startup order and exit codes of cmd/iron-proxy.
#include "admin.h"
#include "ca.h"
#include "config.h"
#include "flags.h"
#include "generate_ca.h"
#include "log.h"
#include "pipeline.h"
#include "proxy.h"
#include "services.h"
#include "version.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <unistd.h>

using namespace irondouble;  // NOLINT: executable entry point

namespace {

[[noreturn]] void ExitWith(int code) {
  std::fflush(stdout);
  std::_Exit(code);
}

[[noreturn]] void PlainError(const std::string& msg) {
  PlainStderr("error: " + msg);
  ExitWith(1);
}

// v0.39–0.41: managed mode also switches on when credential.json exists in the state store.
bool LoadCredential(bool* found, std::string* proxy_id) {
  std::string dir = Env("IRON_STATE_STORE");
  if (dir.empty()) {
    std::string xdg = Env("XDG_CONFIG_HOME");
    if (!xdg.empty()) {
      if (xdg[0] != '/') PlainError("determining config directory: path in $XDG_CONFIG_HOME is relative");
      dir = xdg;
    } else {
      std::string home = Env("HOME");
      if (home.empty()) PlainError("determining config directory: neither $XDG_CONFIG_HOME nor $HOME are defined");
      dir = home + "/.config";
    }
    dir += "/iron-proxy/state";
  }
  std::ifstream in(dir + "/credential.json");
  *found = false;
  if (!in) return true;
  std::stringstream ss;
  ss << in.rdbuf();
  Json j = Json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    Log(Level::kError, "loading credential", Json{{"error", "parsing credential file: invalid character"}});
    ExitWith(1);
  }
  *proxy_id = j.value("proxy_id", "");
  if (proxy_id->empty() || j.value("secret", "").empty()) {
    Log(Level::kError, "loading credential", Json{{"error", "credential file is incomplete"}});
    ExitWith(1);
  }
  *found = true;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);  // socket writes; a broken stderr still raises SIGPIPE (log.cpp)
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty()) {
    std::vector<std::string> rest(args.begin() + 1, args.end());
    if (args[0] == "generate-ca") ExitWith(RunGenerateCa(rest));
    if (args[0] == "init" && !AtLeast(42)) ExitWith(RunInit(rest));
    if (args[0] == "version" || args[0] == "--version" || args[0] == "-v") {
      std::printf("%s\n", std::string(kVersion).c_str());
      ExitWith(0);
    }
  }

  FlagSet fs(argv[0]);
  fs.String("config", "", "path to iron-proxy YAML config file");
  const char* token_flag = AtLeast(42) ? "token" : "enrollment-token";
  fs.String(token_flag, "", AtLeast(42) ? "control plane bearer token (managed mode)"
                                        : "enrollment token for control plane registration");
  switch (fs.Parse(args)) {
    case FlagSet::Outcome::kHelp: ExitWith(0);
    case FlagSet::Outcome::kError: ExitWith(2);
    case FlagSet::Outcome::kOk: break;
  }
  const std::string config_path = fs.GetString("config");

  static Config cfg;
  std::string err;
  if (!LoadConfig(config_path, &cfg, &err)) PlainError(err);
  Level level;
  if (!ParseLevel(cfg.log.level, &level)) PlainError("unknown log level: " + Json(cfg.log.level).dump());
  SetLogLevel(level);

  std::string token = fs.GetString(token_flag);
  if (token.empty()) token = Env(AtLeast(42) ? "IRON_PROXY_TOKEN" : "IRON_ENROLLMENT_TOKEN");
  bool managed = !token.empty();
  bool have_cred = false;
  std::string proxy_id;
  if (!AtLeast(42)) {
    LoadCredential(&have_cred, &proxy_id);
    managed = managed || have_cred;
    if (!cfg.management.listen.empty()) {
      if (managed) PlainStderr("error: management.listen cannot be used with managed mode; the control plane is the source of truth");
      else if (config_path.empty()) PlainStderr("error: management.listen requires --config; /v1/reload has no file to re-read");
      if (managed || config_path.empty()) ExitWith(1);
    }
  } else if (!cfg.management.listen.empty() && !managed && config_path.empty()) {
    PlainStderr("error: management.listen requires --config in standalone mode; /v1/reload has no file to re-read");
    ExitWith(1);
  }

  static PipelineHolder holder;
  static std::atomic<bool> not_ready{false};
  if (managed) {
    std::string cp = Env("IRON_CONTROL_PLANE_URL");
    if (cp.empty()) cp = "https://api.iron.sh";
    Log(Level::kInfo, "starting in managed mode", Json{{"control_plane_url", cp}});
    const std::string no_cp = "the ironward iron-proxy test double has no control plane";
    if (!AtLeast(42) && !have_cred) {
      Log(Level::kInfo, "registering with control plane");
      Log(Level::kError, "registration failed", Json{{"error", "Post \"" + cp + "/v1/proxies/enroll\": " + no_cp}});
      ExitWith(1);
    }
    if (have_cred) Log(Level::kInfo, "loaded existing credential", Json{{"proxy_id", proxy_id}});
    Log(Level::kWarn, "initial sync failed, will retry in background", Json{{"error", no_cp}});
    holder.Store(BuildPipeline({}, &err));
    not_ready = AtLeast(45);
  } else {
    auto pipeline = BuildPipeline(cfg.transforms, &err);
    if (!pipeline) {
      Log(Level::kError, "building transform pipeline", Json{{"error", err}});
      ExitWith(1);
    }
    holder.Store(pipeline);
  }

  if (std::string verr = Validate(cfg); !verr.empty()) PlainError(verr);

  static std::unique_ptr<CertCache> certs;
  const bool sni_only = cfg.tls.mode == "sni-only";
  if (!sni_only) {
    certs = CertCache::Load(cfg.tls.ca_cert, cfg.tls.ca_key, static_cast<int>(cfg.tls.cert_cache_size),
                            static_cast<int>(cfg.tls.leaf_cert_expiry_hours), &err);
    if (!certs) {
      Log(Level::kError, "initializing cert cache", Json{{"error", err}});
      ExitWith(1);
    }
  } else if (!cfg.tls.ca_cert.empty() || !cfg.tls.ca_key.empty()) {
    Log(Level::kWarn, "tls.ca_cert and tls.ca_key are ignored when tls.mode=sni-only");
  }
  if (!cfg.dns.upstream_resolver.empty()) {
    Log(Level::kInfo, "using upstream resolver", Json{{"addr", cfg.dns.upstream_resolver}});
  }
  if (cfg.dns.IsEnabled()) {
    IpAddr ip;
    if (!ParseIp(cfg.dns.proxy_ip, &ip) || ip.v6) {
      Log(Level::kError, "initializing DNS server",
          Json{{"error", "invalid proxy_ip (must be IPv4): " + Json(cfg.dns.proxy_ip).dump()}});
      ExitWith(1);
    }
  }
  std::vector<Prefix> prefixes;
  for (const auto& c : cfg.proxy.upstream_deny_cidrs) {
    Prefix p;
    ParseDenyCidr(c, &p, &err);
    prefixes.push_back(p);
  }
  if (!cfg.proxy.upstream_deny_cidrs.empty()) {
    Log(Level::kInfo, "upstream deny list active", Json{{"cidrs", cfg.proxy.upstream_deny_cidrs}});
  }

  static ProxyContext ctx;
  ctx.holder = &holder;
  ctx.certs = certs.get();
  ctx.guard = DenyGuard(prefixes);
  ctx.server_tls = certs ? NewMitmServerContext(certs.get()) : nullptr;
  ctx.upstream_tls = NewUpstreamClientContext();
  ctx.header_timeout_ms = cfg.proxy.upstream_response_header_timeout_ns / 1000000;
  ctx.sni_only = sni_only;
  ctx.upstream_proxy = cfg.proxy.upstream_proxy;
  ctx.not_ready = &not_ready;

  static ManagementOptions mgmt;
  if (!cfg.management.listen.empty()) {
    mgmt.api_key = Env(cfg.management.api_key_env.c_str());
    mgmt.managed = managed;
    if (!managed) {
      mgmt.reload = [config_path](std::string* rerr) {
        Config next;
        if (!LoadConfig(config_path, &next, rerr)) return false;
        if (std::string v = Validate(next); !v.empty()) {
          *rerr = v;
          return false;
        }
        auto p = BuildPipeline(next.transforms, rerr);
        if (!p) return false;
        holder.Store(p);
        Log(Level::kInfo, "pipeline reloaded via management API",
            Json{{"transforms", p->Names()}, {"postgres_servers", 0}});
        return true;
      };
    }
  }

  // Before "iron-proxy starting": a SIGTERM right after that line is a graceful stop (as with the
  // real binary's signal.NotifyContext), not death by the default action.
  InstallShutdownHandlers();
  StartServices(cfg, ctx, cfg.management.listen.empty() ? nullptr : &mgmt);
  Json start = Json{{"dns_listen", cfg.dns.IsEnabled() ? cfg.dns.listen : "disabled"},
                    {"http_listen", cfg.proxy.http_listen},
                    {"https_listen", cfg.proxy.https_listen},
                    {"metrics_listen", cfg.metrics.listen}};
  if (!cfg.proxy.tunnel_listen.empty()) start["tunnel_listen"] = cfg.proxy.tunnel_listen;
  Log(Level::kInfo, "iron-proxy starting", start);
  if (auto p = holder.Load(); !p->Empty()) Log(Level::kInfo, "transform pipeline", Json{{"transforms", p->Names()}});
  WaitForShutdown();
  ExitWith(0);
}
