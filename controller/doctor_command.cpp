// `ironward doctor -f FILE`: live checks of this host and state directory, each with a fix hint
// (docs/doctor.md). The checks live in controller/doctor/; this file wires the real seams.
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>
#include <set>
#include <sstream>

#include "controller/cli.h"
#include "controller/command_support.h"
#include "controller/doctor/sandbox_reach.h"
#include "controller/probe_container.h"
#include "reconcilers/proxy_config/render.h"
#include "controller/doctor/checks.h"
#include "controller/harden/survey.h"
#include "controller/live_status.h"
#include "state/encoding.h"
#include "state/status.h"

namespace ironward {
namespace {

bool RunManages(const state::StateReader& reader, const Processes& processes) {
  auto loaded = state::LoadStatus(reader);
  return loaded && RunProcessAlive(loaded->doc, processes);
}

doctor::Check CaOf(const state::StateReader& reader, const doctor::Hints& hints) {
  auto text = reader.Read("ca.crt");
  if (!text) return {"ca", doctor::Result::kFail, "cannot read ca.crt: " + text.error().message, hints.Reconcile()};
  return doctor::CaCheck(*text, RealClock().Now(), hints);
}

doctor::Check SurveyOf(const std::string& state_dir) {
  harden::SurveyDeps deps;
  deps.state_dir = state_dir;
  deps.baseline = harden::Baseline::kMinimal;
  const auto report = harden::RunSurvey(deps);
  const std::set<std::string> missing(report.verdict.missing.begin(), report.verdict.missing.end());
  std::string fixes;
  for (const auto& s : report.signals) {
    if (missing.count(s.name) != 0 && !s.fix.empty()) fixes += (fixes.empty() ? "" : "; ") + s.fix;
  }
  return doctor::SurveyCheck(report.verdict, fixes);
}

/// sandbox-reach: a probe container on the sandbox network, with the first sandbox's image.
doctor::Check SandboxReachOf(const spec::DesiredState& desired, docker::DockerApi* docker, const doctor::Hints& hints) {
  const auto& spec = desired.spec;
  const auto skip = [](std::string why) { return doctor::Check{"sandbox-reach", doctor::Result::kSkip, std::move(why), ""}; };
  if (spec.enforcement.network != spec::NetworkMode::kInternal) {
    return skip("enforcement.network is not internal (`ironward verify` probes the default bridge)");
  }
  if (docker == nullptr || !docker->Ping()) return skip("needs the engine (see docker)");
  if (spec.sandboxes.empty()) return skip("no sandbox declared, so no image to probe with: ironward verify --image IMAGE");
  auto gateway = proxy_config::GatewayOf(spec.enforcement.network_subnet);
  if (!gateway) return {"sandbox-reach", doctor::Result::kFail, gateway.error().message, ""};
  std::vector<int> ports{spec.proxy.tunnel_port, spec.proxy.http_port};
  docker::ContainerCreateSpec probe;
  probe.image = spec.sandboxes.front().image;
  probe.cmd = {"sh", "-c", doctor::ReachScript(*gateway, ports)};
  probe.labels = {{"ironward.dev/doctor-probe", desired.name}};
  probe.stop_timeout = 1;
  probe.host.init = true;
  probe.host.network_mode = spec.enforcement.network_name;
  probe.host.cap_drop = {"ALL"};
  probe.host.security_opt = {"no-new-privileges:true"};
  probe.host.memory = 64LL * 1024 * 1024;
  probe.host.pids_limit = 32;
  auto out = RunProbeContainer(*docker, probe, "ironward-doctor", 30);
  if (!out) {
    return {"sandbox-reach", doctor::Result::kFail, "the probe container could not run: " + out.error().message,
            hints.Reconcile()};
  }
  return doctor::SandboxReachCheck(*gateway, ports, *out, spec.enforcement.network_name, hints);
}

std::vector<doctor::Check> RunChecks(const std::vector<std::string>& files, const std::string& state_dir) {
  // Hints.file follows a "-f ": the arguments without the first one.
  const doctor::Hints hints{IronwardCommand(state_dir), FileArgs(files).substr(3), FilesLabel(files)};
  const state::StateReader reader(state_dir);
  std::vector<doctor::Check> checks;
  std::ostringstream errors;
  const auto desired = LoadDesiredState(files, errors);
  checks.push_back(doctor::DesiredStateCheck(desired.has_value(), errors.str(), hints));
  RealProcesses processes;
  const LiveCheck proxy = CheckProxyLive(reader, processes);
  checks.push_back(doctor::ProxyCheck(proxy.ready, proxy.message, RunManages(reader, processes), hints));
  RealClock clock;
  CurlHttpClient http;
  auto engine = docker::DockerClient::FromEnvironment(http, clock);
  docker::DockerApi* docker = engine ? engine->get() : nullptr;
  if (desired) {
    checks.push_back(doctor::DockerCheck(desired->spec, docker, engine ? "" : engine.error().message));
  } else {
    checks.push_back(doctor::SkippedForDesiredState("docker"));
  }
  checks.push_back(CaOf(reader, hints));
  if (desired) {
    checks.push_back(doctor::HostFirewallCheck(*desired, processes, hints));
    checks.push_back(SandboxReachOf(*desired, docker, hints));
    checks.push_back(doctor::RoutingCheck(desired->spec, processes, [](const std::string& ip, std::uint16_t port) {
      return doctor::QueryA(ip, port);
    }, hints));
    checks.push_back(doctor::BitwardenCheck(desired->spec, [](const std::string& name) -> std::optional<std::string> {
      const char* v = std::getenv(name.c_str());
      return v ? std::optional<std::string>(v) : std::nullopt;
    }));
  } else {
    checks.push_back(doctor::SkippedForDesiredState("host-firewall"));
    checks.push_back(doctor::SkippedForDesiredState("sandbox-reach"));
    checks.push_back(doctor::SkippedForDesiredState("routing"));
    checks.push_back(doctor::SkippedForDesiredState("bitwarden"));
  }
  checks.push_back(SurveyOf(state_dir));
  return checks;
}

}  // namespace

void AddDoctorCommand(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("doctor", "Live checks of this host and state directory, each with a fix hint");
  auto files = std::make_shared<std::vector<std::string>>();
  auto output = std::make_shared<std::string>("text");
  AddDesiredFileOption(cmd, files.get(), "Desired-state YAML (apiVersion ironward.dev/v1)");
  cmd->add_option("--output,-o", *output, "Output format")->check(CLI::IsMember({"text", "json"}))->capture_default_str();
  cmd->footer(
      "Checks: desired-state, proxy, docker, ca, host-firewall, sandbox-reach, routing, bitwarden, survey\n"
      "(docs/doctor.md).\n"
      "Each is pass, warn, fail or skip; every non-pass has a fix: line with a command to run.\n"
      "Read-only: it changes nothing (sandbox-reach runs a short-lived probe container, removed after),\n"
      "logs in nowhere and never prints a secret value.\n"
      "Exit 0 when no check fails (warn does not fail), 1 otherwise.\n\n"
      "Examples:\n"
      "  ironward doctor -f gateway.yaml\n"
      "  ironward --state-dir /srv/ironward doctor -f gateway.yaml -o json | jq '.checks[] | select(.result != \"pass\")'");
  cmd->callback([&ctx, files, output] {
    const auto checks = RunChecks(*files, ResolveStateDir(ctx.global));
    if (*output == "json") {
      std::cout << doctor::ToJson(checks).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    } else {
      std::cout << doctor::ToText(checks);
    }
    ctx.exit_code = doctor::Passed(checks) ? 0 : 1;
  });
}

}  // namespace ironward
