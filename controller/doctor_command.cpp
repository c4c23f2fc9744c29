// `ironward doctor -f FILE`: live checks of this host and state directory, each with a fix hint
// (docs/doctor.md). The checks live in controller/doctor/; this file wires the real seams.
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>
#include <set>
#include <sstream>

#include "controller/cli.h"
#include "controller/command_support.h"
#include "controller/doctor/checks.h"
#include "controller/harden/survey.h"
#include "controller/live_status.h"
#include "state/encoding.h"
#include "state/status.h"

namespace ironward {
namespace {

bool RunManages(const state::StateReader& reader) {
  auto loaded = state::LoadStatus(reader);
  return loaded && RunProcessAlive(loaded->doc);
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

std::vector<doctor::Check> RunChecks(const std::vector<std::string>& files, const std::string& state_dir) {
  // Hints.file follows a "-f ": the arguments without the first one.
  const doctor::Hints hints{IronwardCommand(state_dir), FileArgs(files).substr(3), FilesLabel(files)};
  const state::StateReader reader(state_dir);
  std::vector<doctor::Check> checks;
  std::ostringstream errors;
  const auto desired = LoadDesiredState(files, errors);
  checks.push_back(doctor::DesiredStateCheck(desired.has_value(), errors.str(), hints));
  const LiveCheck proxy = CheckProxyLive(reader);
  checks.push_back(doctor::ProxyCheck(proxy.ready, proxy.message, RunManages(reader), hints));
  if (desired) {
    RealClock clock;
    CurlHttpClient http;
    auto engine = docker::DockerClient::FromEnvironment(http, clock);
    checks.push_back(doctor::DockerCheck(desired->spec, engine ? engine->get() : nullptr,
                                         engine ? "" : engine.error().message));
  } else {
    checks.push_back(doctor::SkippedForDesiredState("docker"));
  }
  checks.push_back(CaOf(reader, hints));
  if (desired) {
    RealCommandRunner runner;
    checks.push_back(doctor::HostFirewallCheck(*desired, runner, hints));
    checks.push_back(doctor::BitwardenCheck(desired->spec, [](const std::string& name) -> std::optional<std::string> {
      const char* v = std::getenv(name.c_str());
      return v ? std::optional<std::string>(v) : std::nullopt;
    }));
  } else {
    checks.push_back(doctor::SkippedForDesiredState("host-firewall"));
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
      "Checks: desired-state, proxy, docker, ca, host-firewall, bitwarden, survey (docs/doctor.md).\n"
      "Each is pass, warn, fail or skip; every non-pass has a fix: line with a command to run.\n"
      "Read-only: it changes nothing, logs in nowhere and never prints a secret value.\n"
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
