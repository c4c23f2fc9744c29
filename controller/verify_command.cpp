// `ironward verify -f FILE`: probes the egress setup from a short-lived container wired like a
// sandbox and prints `check | expected | got | result`. Exit 0 when every check passes, 1 otherwise
// (including when the probe could not run). The result is recorded in status.json ("verify").
#include <CLI/CLI.hpp>

#include <filesystem>
#include <iostream>

#include <spdlog/spdlog.h>

#include "controller/cli.h"
#include "controller/command_support.h"
#include "controller/probe_container.h"
#include "reconcilers/mappings_reconciler.h"
#include "reconcilers/network/verify_probe.h"
#include "reconcilers/proxy_config/render.h"
#include "state/lock.h"
#include "state/spec/validators.h"
#include "state/status.h"

namespace ironward {
namespace {

constexpr const char* kProbeLabel = "ironward.dev/verify-probe";
constexpr const char* kCaInContainer = "/etc/ssl/certs/ironward-egress-ca.crt";

struct VerifyOptions {
  std::vector<std::string> files;
  std::string image;
  std::string direct_target = "1.1.1.1:443";
  std::string allowed_url;
  std::string denied_url = "https://example.com/";
  bool echo_upstream = false;
  int timeout_seconds = 90;
  bool no_record = false;
  std::string output = "text";
};

struct ProbeSetup {
  docker::ContainerCreateSpec spec;
  verify::ProbeInputs inputs;
  std::string network;
  std::string token_provider;  ///< provider whose token is sent ("" = none)
};

Result<ProbeSetup> Prepare(const spec::DesiredState& desired, const VerifyOptions& opt, Runtime& rt,
                           const state::StateReader& state) {
  const auto& spec = desired.spec;
  ProbeSetup p;
  p.spec.image = !opt.image.empty() ? opt.image : (spec.sandboxes.empty() ? "" : spec.sandboxes.front().image);
  if (p.spec.image.empty()) return Error::Invalid("no sandbox is declared: give the probe image with --image");

  auto bind = proxy_config::ResolveBindAddress(spec, &rt.host);
  if (!bind) return bind.error().Wrap("proxy address");
  const std::string https_proxy = "http://" + *bind + ":" + std::to_string(spec.proxy.tunnel_port);
  const std::string http_proxy = "http://" + *bind + ":" + std::to_string(spec.proxy.http_port);

  p.inputs.direct_target = opt.direct_target;
  p.inputs.denied_url = opt.denied_url;
  p.inputs.echo_upstream = opt.echo_upstream;
  p.inputs.allowed_url = !opt.allowed_url.empty() ? opt.allowed_url : verify::DefaultAllowedUrl(spec);

  // The token of the provider covering the allowlisted host (as a sandbox would send it).
  std::string token;
  const std::string host = verify::HostOfUrl(p.inputs.allowed_url);
  const std::string bare_host = host.substr(0, host.find(':'));
  for (const auto& provider : spec.providers) {
    bool covers = false;
    for (const auto& h : provider.hosts) covers = covers || spec::HostPatternMatches(h, bare_host);
    if (!covers) continue;
    auto text = state.Read(kMappingsFile);
    if (!text) return text.error();
    if (!text->has_value()) return Error::Transient("mappings.json does not exist yet: run `ironward reconcile` first");
    auto mappings = ParseMappings(**text);
    if (!mappings) return mappings.error();
    auto it = mappings->providers.find(provider.name);
    if (it == mappings->providers.end()) {
      return Error::Transient("no proxy token for provider " + provider.name + " yet: run `ironward reconcile` first");
    }
    token = it->second.token;
    p.token_provider = provider.name;
    p.inputs.token_header = provider.headers.empty() ? "Authorization" : provider.headers.front();
    p.inputs.token_bearer = p.inputs.token_header == "Authorization";
    break;
  }

  if (spec.enforcement.RoutesDns()) {
    auto gw = proxy_config::GatewayOf(spec.enforcement.network_subnet);
    if (!gw) return gw.error();
    p.inputs.dns_proxy_ip = *gw;
    p.spec.host.dns = {*gw};  // like a sandbox: the proxy's DNS is the resolver
    const std::string port = p.inputs.direct_target.substr(p.inputs.direct_target.rfind(':') + 1);
    p.inputs.direct_steered = port == "80" || port == "443";
  }
  p.spec.cmd = {"sh", "-c", verify::BuildProbeScript(p.inputs)};
  // No NO_PROXY: loopback and IMDS must go to the proxy to be refused there.
  p.spec.env = {"HTTPS_PROXY=" + https_proxy, "https_proxy=" + https_proxy, "HTTP_PROXY=" + http_proxy,
                "http_proxy=" + http_proxy, std::string("SSL_CERT_FILE=") + kCaInContainer,
                std::string("CURL_CA_BUNDLE=") + kCaInContainer};
  if (!token.empty()) p.spec.env.push_back(std::string(verify::kTokenEnv) + "=" + token);
  p.spec.labels = {{kProbeLabel, desired.name}};  // the gateway it probed (parallel verifies stay apart)
  p.spec.stop_timeout = 1;
  p.spec.host.init = true;
  p.spec.host.cap_drop = {"ALL"};
  p.spec.host.security_opt = {"no-new-privileges:true"};
  p.spec.host.memory = 256LL * 1024 * 1024;
  p.spec.host.pids_limit = 64;

  // The CA the sandboxes trust: the rotation trust bundle when there is one, else ca.crt.
  for (const char* name : {"ca-trust.pem", "ca.crt"}) {
    std::error_code ec;
    if (std::filesystem::exists(state.PathOf(name), ec)) {
      p.spec.host.binds.push_back(state.PathOf(name).string() + ":" + kCaInContainer + ":ro");
      break;
    }
  }
  if (spec.enforcement.network == spec::NetworkMode::kInternal) {
    p.network = spec.enforcement.network_name;
    auto gw = proxy_config::GatewayOf(spec.enforcement.network_subnet);
    if (!gw) return gw.error();
    p.spec.host.extra_hosts = {"host.docker.internal:" + *gw};
  } else {
    p.network = "bridge";
    p.spec.host.extra_hosts = {"host.docker.internal:host-gateway"};
  }
  p.spec.host.network_mode = p.network;
  return p;
}

void PrintTable(const std::vector<verify::CheckRow>& rows) {
  std::size_t w[3] = {5, 8, 3};
  for (const auto& r : rows) {
    w[0] = std::max(w[0], r.check.size());
    w[1] = std::max(w[1], r.expected.size());
    w[2] = std::max(w[2], r.got.size());
  }
  std::cout << PadRight("CHECK", w[0]) << " | " << PadRight("EXPECTED", w[1]) << " | " << PadRight("GOT", w[2]) << " | RESULT\n";
  for (const auto& r : rows) {
    std::cout << PadRight(r.check, w[0]) << " | " << PadRight(r.expected, w[1]) << " | " << PadRight(r.got, w[2]) << " | "
              << r.result << "\n";
  }
}

void Record(const std::string& state_dir, const nlohmann::json& section) {
  state::StateWriter writer(state_dir);
  auto lock = state::WriterLock::Acquire(writer, std::chrono::seconds(5));
  if (!lock) {
    spdlog::warn("verify: result not recorded in status.json: {}", lock.error().message);
    return;
  }
  auto loaded = state::LoadStatus(writer);
  if (!loaded) {
    spdlog::warn("verify: result not recorded in status.json: {}", loaded.error().message);
    return;
  }
  state::StatusDoc doc = std::move(loaded->doc);
  doc.extra["verify"] = section;
  if (auto s = state::SaveStatus(writer, doc); !s) spdlog::warn("verify: saving status.json: {}", s.error().message);
}

int RunVerify(const VerifyOptions& opt, const GlobalOptions& global) {
  auto desired = LoadDesiredState(opt.files, std::cerr);
  if (!desired) return 1;
  Runtime rt;
  if (!rt.docker) {
    std::cerr << "Error: no Docker engine: " << rt.docker_error << "\n";
    return 1;
  }
  const std::string state_dir = ResolveStateDir(global);
  state::StateReader reader(state_dir);
  const std::string now = FormatRfc3339(rt.clock.Now());
  nlohmann::json section = {{"time", now}, {"desired_digest", desired->digest}};

  std::vector<verify::CheckRow> rows;
  std::string error;
  auto setup = Prepare(*desired, opt, rt, reader);
  if (!setup) {
    error = setup.error().message;
  } else {
    section["image"] = setup->spec.image;
    section["network"] = setup->network;
    auto out = RunProbeContainer(*rt.docker, setup->spec, "ironward-verify", opt.timeout_seconds);
    if (!out) {
      error = out.error().message;
    } else {
      rows = verify::EvaluateProbe(setup->inputs, *out);
    }
  }
  const bool passed = error.empty() && verify::AllPassed(rows);
  if (!error.empty()) std::cerr << "Error: verify could not run: " << error << "\n";
  nlohmann::json checks = nlohmann::json::array();
  for (const auto& r : rows) {
    checks.push_back({{"check", r.check}, {"expected", r.expected}, {"got", r.got}, {"result", r.result}});
  }
  section["passed"] = passed;
  section["checks"] = checks;
  if (!error.empty()) section["error"] = error;
  if (opt.output == "json") {
    std::cout << section.dump(2) << "\n";  // the same section status.json records
  } else {
    if (!rows.empty()) PrintTable(rows);
    std::cout << (passed ? "Verify: PASS" : "Verify: FAIL");
    if (!passed && error.empty()) {
      std::string failing;
      for (const auto& r : rows) {
        if (r.result == "FAIL") failing += (failing.empty() ? "" : ", ") + r.check;
      }
      std::cout << " (" << failing << ")";
    }
    std::cout << "\n";
  }
  if (!opt.no_record) Record(state_dir, section);
  return passed ? 0 : 1;
}

}  // namespace

void AddVerifyCommand(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand(
      "verify", "Probe the egress setup from a short-lived container wired like a sandbox (exit 0 pass, 1 fail)");
  auto opt = std::make_shared<VerifyOptions>();
  AddDesiredFileOption(cmd, &opt->files, "Desired-state YAML (the one `ironward reconcile` applied)");
  cmd->add_option("--image", opt->image,
                  "Probe image (needs sh and curl); default: the first declared sandbox's image");
  cmd->add_option("--direct-target", opt->direct_target,
                  "host:port the probe dials WITHOUT the proxy; must fail (default 1.1.1.1:443)");
  cmd->add_option("--allowed-url", opt->allowed_url,
                  "URL fetched THROUGH the proxy with the matching provider's proxy token; must reach the upstream "
                  "(default: https://<first provider or allowlist host>/)");
  cmd->add_option("--denied-url", opt->denied_url,
                  "URL of a host that is NOT allowlisted; the proxy must answer 403 (default https://example.com/)");
  cmd->add_flag("--echo-upstream", opt->echo_upstream,
                "The allowed URL echoes the request back (a test upstream): also check that the upstream never saw "
                "the proxy token (token-swap). Without it that row is skipped, but a token seen in a response "
                "always fails");
  cmd->add_option("--timeout", opt->timeout_seconds, "Seconds to wait for the probe container (default 90)");
  cmd->add_flag("--no-record", opt->no_record, "Do not record the result in status.json");
  cmd->add_option("--output,-o", opt->output, "Output format (json: the section recorded in status.json)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd->footer(
      "Checks: direct-egress (blocked), allowlisted (reached upstream via the proxy), token-swap,\n"
      "not-allowlisted (403 from the proxy), loopback and imds via the proxy (refused); with\n"
      "enforcement.routing dns or both also dns-routing (the allowed URL without any proxy resolves to the\n"
      "proxy and is answered; a direct target on port 80/443 is then steered to the proxy and refused).\n"
      "The probe runs on the sandbox network (enforcement.network: internal) or the default bridge,\n"
      "with the proxy variables and the ironward CA like a sandbox, and is always removed.\n"
      "The result goes to status.json under \"verify\" (see `ironward status`).\n"
      "Exit codes: 0 every check passed; 1 a check failed or the probe could not run.\n\n"
      "Examples:\n"
      "  ironward verify -f gateway.yaml\n"
      "  ironward verify -f gateway.yaml --denied-url https://pastebin.com/");
  cmd->callback([&ctx, opt] { ctx.exit_code = RunVerify(*opt, ctx.global); });
}

}  // namespace ironward
