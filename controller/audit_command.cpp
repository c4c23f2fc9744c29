// `ironward audit`: what the sandboxes tried to reach and what iron-proxy refused, from the
// request records in the state directory's iron-proxy.log and its rotated copies
// (docs/audit.md). Read-only; needs read access to the log (0600, ironward's user).
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <sys/stat.h>

#include <iostream>
#include <memory>

#include "controller/audit/audit_output.h"
#include "controller/audit/follow.h"
#include "controller/audit/log_tail.h"
#include "controller/audit/sandbox_names.h"
#include "controller/audit/suggest.h"
#include "controller/cli.h"
#include "controller/cli_conventions.h"
#include "controller/command_support.h"

namespace ironward {
namespace {

struct AuditOptions {
  std::string since;
  std::string host;
  bool denied = false;
  bool follow = false;
  bool suggest = false;
  std::vector<std::string> files;  ///< -f, repeatable (overlays)
  std::string output = "text";
};

audit::SandboxNames LookUpNames() {
  std::string why;
  auto names = audit::LookUpSandboxNamesFromEnvironment(&why);
  if (!why.empty()) spdlog::debug("audit: sandboxes shown by address (Docker: {})", why);
  return names;
}

/// A usage problem of this command line ("" when it can run).
std::string UsageProblem(const AuditOptions& o) {
  if (o.suggest && o.follow) return "--suggest summarises what was rejected; it cannot be combined with --follow";
  if (o.suggest && o.output != "text") return "--suggest prints desired-state YAML; drop -o " + o.output;
  if (!o.files.empty() && !o.suggest) return "-f is only used by --suggest (to skip hosts the desired state admits)";
  return "";
}

int Summarise(audit::LogTail& tail, const audit::Filter& filter, const AuditOptions& o, const std::string& state_dir) {
  audit::ReadStats stats;
  audit::Summary summary;
  std::uint64_t matched = 0;
  auto polled = tail.Poll([&](std::string_view line) {
    audit::ReadLine(line, &stats, [&](const audit::Record& r) {
      if (!filter.Matches(r)) return;
      ++matched;
      summary.Add(r);
    });
  });
  if (!polled) {
    std::cerr << "Error: " << polled.error().message << "\n";
    return 1;
  }
  if (!tail.live_seen() && tail.files_read().empty()) {
    std::cerr << "Error: no proxy log in " << state_dir << " (" << daemon::kLogFile
              << "): the proxy has not run from this state directory. Start it with `" << IronwardCommand(state_dir)
              << " reconcile -f FILE`.\n";
    return 1;
  }
  stats.files = tail.files_read();
  stats.lost = tail.lost();
  const auto hosts = summary.Hosts();
  const auto names = LookUpNames();
  const audit::SummaryContext ctx{&filter, &stats, matched};
  if (o.suggest) {
    std::optional<spec::DesiredState> desired;
    if (!o.files.empty()) {
      desired = LoadDesiredState(o.files, std::cerr);
      if (!desired) return 1;
    }
    audit::SuggestInput in{&hosts, &names, desired ? &desired->spec : nullptr, FilesLabel(o.files),
                           filter.since ? audit::FormatMillis(*filter.since) : ""};
    std::cout << audit::SuggestYaml(in);
  } else if (o.output == "json") {
    std::cout << audit::SummaryJson(hosts, names, ctx).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else if (o.output == "csv") {
    std::cout << audit::SummaryCsv(hosts, names);
  } else {
    std::cout << audit::SummaryText(hosts, names, ctx);
  }
  return 0;
}

int RunAudit(const AuditOptions& o, const std::string& state_dir) {
  if (const std::string problem = UsageProblem(o); !problem.empty()) {
    std::cerr << "Error: " << problem << "\nRun `ironward audit --help` for its options and examples.\n";
    return kUsageExit;
  }
  audit::Filter filter;
  filter.host_glob = o.host;
  filter.denied_only = o.denied;
  if (!o.since.empty()) {
    std::string why;
    filter.since = audit::ParseSince(o.since, RealClock().Now(), &why);
    if (!filter.since) {
      std::cerr << "Error: --since " << why << "\nRun `ironward audit --help` for its options and examples.\n";
      return kUsageExit;
    }
  }
  struct stat st {};
  if (::stat(state_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    std::cerr << "Error: state directory " << state_dir << " does not exist (set --state-dir or IRONWARD_STATE_DIR)\n";
    return 1;
  }
  audit::LogTail tail(state_dir);
  // Following without --since shows what happens from now on, like `tail -f` of new lines.
  const auto from = o.follow && o.since.empty() ? audit::LogTail::From::kNow : audit::LogTail::From::kOldest;
  if (auto s = tail.Start(from); !s) {
    std::cerr << "Error: " << s.error().message << "\n";
    return 1;
  }
  if (!o.follow) return Summarise(tail, filter, o, state_dir);
  audit::FollowOptions f;
  f.filter = filter;
  f.format = o.output == "json" ? audit::LineFormat::kJson
             : o.output == "csv" ? audit::LineFormat::kCsv
                                 : audit::LineFormat::kText;
  f.look_up_names = LookUpNames;
  return audit::FollowRecords(tail, state_dir, f, std::cout, std::cerr);
}

}  // namespace

void AddAuditCommand(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("audit", "What the sandboxes tried to reach and what the proxy refused (iron-proxy's request records)");
  auto o = std::make_shared<AuditOptions>();
  cmd->add_option("--since", o->since, "Only records from this far back (30m, 1h, 2d) or since an RFC 3339 time")
      ->type_name("DURATION|TIME");
  cmd->add_option("--host", o->host, "Only hosts matching this glob (*.github.com, api.*), case-insensitive")
      ->type_name("PATTERN");
  cmd->add_flag("--denied", o->denied, "Only rejected requests");
  cmd->add_flag("--follow", o->follow, "Print new records as lines as they are written, until Ctrl-C");
  cmd->add_flag("--suggest", o->suggest,
                "Print spec.allowlist entries (YAML) that would admit the rejected hosts; for review, never applied");
  AddDesiredFileOption(cmd, &o->files,
                       "With --suggest: the desired state (and overlays), to skip hosts it already admits and print "
                       "its allowlist too",
                       /*required=*/false);
  cmd->add_option("--output,-o", o->output, "Output format")->check(CLI::IsMember({"text", "json", "csv"}))->capture_default_str();
  cmd->footer(
      "Reads iron-proxy.log and its rotated copies (.1 .. .3) in the state directory. The summary\n"
      "has one row per host: allowed, rejected, errors, other (stub, client_cancel), first and last\n"
      "seen, and the sandboxes the requests came from (container names from Docker when it answers,\n"
      "else client addresses). A CONNECT and each request inside the tunnel are records of their own.\n"
      "Summaries never show paths; --follow lines show them with proxy tokens redacted. Header values\n"
      "are never logged by the proxy nor shown here.\n"
      "Exit 0; 1 when the log cannot be read (or never existed); 64 for a usage error. Details: docs/audit.md\n\n"
      "Examples:\n"
      "  ironward audit                                 # every host since the oldest rotated log\n"
      "  ironward audit --since 1h --denied             # what was refused in the last hour\n"
      "  ironward audit --host '*.github.com' -o csv > github.csv\n"
      "  ironward audit --since 2026-05-01T00:00:00Z -o json | jq '.hosts[] | select(.rejected > 0)'\n"
      "  ironward audit --follow --denied               # watch refusals live (Ctrl-C stops)\n"
      "  ironward audit --suggest -f /etc/ironward/gateway.yaml   # allowlist entries to review");
  cmd->callback([&ctx, o] { ctx.exit_code = RunAudit(*o, ResolveStateDir(ctx.global)); });
}

}  // namespace ironward
