// `ironward wiring -f FILE [--format env|docker-args|compose|json] [--service NAME]... [--out FILE]`:
// what a container started by another launcher (docker compose, docker run, hermes-agent) needs to
// sit behind the gateway, read from the applied state. It plans the CA, token, network and proxy
// config resources read-only (as a dry run does) and prints the wiring an owned sandbox would get.
// Exit 0 printed; 1 when the desired state is not applied yet (says what to run) or on an error;
// 64 on a usage error.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <regex>

#include "controller/cli.h"
#include "controller/command_support.h"
#include "controller/engine.h"
#include "controller/wiring_output.h"
#include "reconcilers/ca/ca_reconciler.h"
#include "reconcilers/mappings_reconciler.h"
#include "reconcilers/network/network_reconciler.h"
#include "reconcilers/proxy_config_reconciler.h"
#include "reconcilers/sandboxes/container_spec.h"
#include "reconcilers/sandboxes/labels.h"
#include "reconcilers/sandboxes/wiring.h"
#include "state/encoding.h"

namespace ironward {
namespace {

constexpr int kUsageError = 64;

struct WiringOptions {
  std::vector<std::string> files;
  std::string format = "env";
  std::vector<std::string> services;
  std::string out;
};

/// The resources whose facts make up the wiring, in the engine's order.
std::vector<std::unique_ptr<Reconciler>> WiringReconcilers() {
  std::vector<std::unique_ptr<Reconciler>> out;
  out.push_back(std::make_unique<ca::CaReconciler>());
  out.push_back(std::make_unique<MappingsReconciler>());
  out.push_back(std::make_unique<network::NetworkReconciler>());
  out.push_back(std::make_unique<ProxyConfigReconciler>());
  return out;
}

std::string UsageProblem(const WiringOptions& o) {
  static const std::regex kService("[a-zA-Z0-9][a-zA-Z0-9_.-]*");
  if (o.format == "compose" && o.services.empty()) {
    return "--format compose needs at least one --service NAME (the compose services to wire)";
  }
  if (o.format != "compose" && !o.services.empty()) return "--service only applies to --format compose";
  for (const auto& s : o.services) {
    if (!std::regex_match(s, kService)) return "'" + s + "' is not a compose service name";
  }
  return "";
}

/// Every name in `list` once, in order.
std::vector<std::string> Unique(const std::vector<std::string>& list) {
  std::vector<std::string> out;
  for (const auto& s : list) {
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
  }
  return out;
}

int RunWiring(const spec::DesiredState& desired, const WiringOptions& o, const std::string& state_dir) {
  const std::string reconcile = IronwardCommand(state_dir) + " reconcile " + FileArgs(o.files);
  const state::StateReader reader(state_dir);
  if (auto root = reader.StatRoot(); !root) {
    std::cerr << "Error: " << root.error().message << "\nNothing is applied in " << state_dir
              << " yet: run `" << reconcile << "` first.\n";
    return 1;
  }
  Runtime rt;
  Engine engine(WiringReconcilers());
  Facts facts;
  const RunResult run = engine.Plan(desired, rt.Reads(reader), &facts);
  for (const auto& r : run.resources) {
    if (r.plan.error) {
      std::cerr << "Error: " << r.plan.resource << ": " << r.plan.error->message << "\n";
      return 1;
    }
  }
  const ReconcileContext ctx{desired, facts, true};
  auto wiring = sandboxes::CollectWiring(ctx);
  if (!wiring) {
    std::cerr << "Error: " << wiring.error().message << "\n";
    return 1;
  }
  if (wiring->Pending()) {
    std::cerr << "Error: this desired state is not applied yet (not there: " << Join(wiring->pending) << "). Run `" << reconcile
              << "` first, then `ironward wiring` again.\n";
    return 1;
  }
  if (desired.spec.proxy.bind == spec::BindKind::kLoopback) {
    std::cerr << "warning: proxy.bind is loopback: containers cannot reach the proxy; use docker-bridge (or "
                 "sandbox-network with enforcement.network: internal)\n";
  }
  for (const auto& r : run.resources) {
    if (!r.plan.changes.empty()) {
      std::cerr << "warning: " << r.plan.resource << " has changes that are not applied yet; run `" << reconcile
                << "` so the gateway matches this wiring\n";
    }
  }

  std::string out_path;
  if (!o.out.empty()) out_path = std::filesystem::absolute(o.out).lexically_normal().string();
  docker::Labels labels = sandboxes::MakeWiredLabels(*wiring, desired.spec.enforcement.selector, out_path);
  WiringDoc doc;
  doc.services = Unique(o.services);
  if (o.format == "compose") {
    std::string services;
    for (const auto& s : doc.services) services += (services.empty() ? "" : ",") + s;
    labels[sandboxes::kWiringServicesLabel] = services;
  }
  doc.gateway = desired.name;
  doc.posture = wiring->PostureDigest();
  // Services of one stack talk to each other by name on the sandbox network, not through the
  // proxy (which would refuse a host that is not allowlisted).
  doc.spec = sandboxes::BuildExternalSpec(*wiring, labels, doc.services);
  if (desired.spec.enforcement.network == spec::NetworkMode::kInternal) doc.network = wiring->network_mode;

  std::string text;
  if (o.format == "env") text = RenderEnvFile(doc);
  if (o.format == "docker-args") text = RenderDockerArgs(doc);
  if (o.format == "compose") text = RenderComposeOverride(doc);
  if (o.format == "json") text = RenderWiringJson(doc).dump(2) + "\n";
  if (o.out.empty()) {
    std::cout << text;
    return 0;
  }
  if (auto written = WritePrivateFileAtomic(o.out, text, "wiring"); !written) {
    std::cerr << "Error: " << written.error().message << "\n";
    return 1;
  }
  std::cerr << "Wrote the " << o.format << " wiring for gateway " << desired.name << " to " << o.out << " (0600)\n";
  return 0;
}

}  // namespace

void AddWiringCommand(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand(
      "wiring", "Print what a container started by another launcher needs to sit behind the gateway");
  auto o = std::make_shared<WiringOptions>();
  AddDesiredFileOption(cmd, &o->files, "Desired-state YAML (already applied with `ironward reconcile`)");
  cmd->add_option("--format", o->format, "env | docker-args | compose | json (default env)")
      ->check(CLI::IsMember({"env", "docker-args", "compose", "json"}));
  cmd->add_option("--service", o->services, "With --format compose: a service to wire (repeat for more)");
  cmd->add_option("--out", o->out, "Write to FILE (atomically, mode 0600) instead of stdout");
  cmd->footer(
      "Prints the proxy variables, CA variables and read-only CA mount, the proxy tokens (never a\n"
      "real key), the host entry, the sandbox network and the hardening every owned sandbox gets,\n"
      "with labels that let enforcement police the container and name it when a token or CA\n"
      "rotation makes it stale. Exit 0; 1 when the desired state is not applied yet (it says what\n"
      "to run) or on an error; 64 on a usage error.\n"
      "\n"
      "Examples:\n"
      "  # docker run with an env file (the comment line lists the other options it needs)\n"
      "  ironward wiring -f gateway.yaml --format env --out /run/agent.env\n"
      "  # docker run with every option, one shell-quoted argument per line\n"
      "  ironward wiring -f gateway.yaml --format docker-args --out /run/agent.args\n"
      "  eval \"docker run -d $(tr '\\n' ' ' < /run/agent.args) local/agent:1\"\n"
      "  # a compose override for two services (docker compose and docker-compose 1.29)\n"
      "  ironward wiring -f gateway.yaml --format compose --service web --service worker --out wired.yaml\n"
      "  docker compose -f compose.yaml -f wired.yaml up -d\n"
      "  # everything as JSON, for a launcher that builds its own Engine API calls\n"
      "  ironward wiring -f gateway.yaml --format json");
  cmd->callback([&ctx, o] {
    if (const std::string why = UsageProblem(*o); !why.empty()) {
      std::cerr << "Error: " << why << "\nRun `ironward wiring --help` for the formats and examples.\n";
      ctx.exit_code = kUsageError;
      return;
    }
    auto desired = LoadDesiredState(o->files, std::cerr);
    if (!desired) {
      ctx.exit_code = 1;
      return;
    }
    ctx.exit_code = RunWiring(*desired, *o, ResolveStateDir(ctx.global));
  });
}

}  // namespace ironward
