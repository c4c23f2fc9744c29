#include <CLI/CLI.hpp>

#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "controller/cli.h"
#include "controller/command_support.h"
#include "controller/live_status.h"
#include "state/encoding.h"
#include "state/status.h"

namespace ironward {
namespace {

/// Sections other commands add: the daemon's refused desired-state file (only while the
/// refusal holds), the harden survey.
void PrintExtras(const state::StatusDoc& doc, const LiveStatus& live) {
  if (auto it = doc.extra.find("desired_refused"); live.refusal_holds && it != doc.extra.end() && it->is_object()) {
    std::cout << "\nDESIRED STATE REFUSED (" << JsonString(*it, "time") << "): " << JsonString(*it, "message") << "\n";
    if (it->contains("errors") && (*it)["errors"].is_array()) {
      for (const auto& e : (*it)["errors"]) std::cout << "  " << (e.is_string() ? e.get<std::string>() : e.dump()) << "\n";
    }
  }
  if (auto it = doc.extra.find("harden"); it != doc.extra.end() && it->is_object()) {
    std::string failing;
    if (it->contains("signals") && (*it)["signals"].is_array()) {
      for (const auto& sig : (*it)["signals"]) {
        const std::string st = JsonString(sig, "status");
        if (st == "fail" || st == "warn") failing += (failing.empty() ? "" : ", ") + JsonString(sig, "name") + "=" + st;
      }
    }
    const bool satisfied = it->contains("satisfied") && (*it)["satisfied"].is_boolean() && (*it)["satisfied"].get<bool>();
    std::cout << "\nHost hardening (" << JsonString(*it, "checked_at") << ", baseline " << JsonString(*it, "baseline")
              << "): " << (satisfied ? "satisfied" : "NOT satisfied")
              << (failing.empty() ? "" : "; " + failing) << "  (details: ironward harden --all)\n";
  }
  if (auto it = doc.extra.find("verify"); it != doc.extra.end() && it->is_object()) {  // ironward verify
    std::string failing;
    if (it->contains("checks") && (*it)["checks"].is_array()) {
      for (const auto& c : (*it)["checks"]) {
        if (JsonString(c, "result") == "FAIL") failing += (failing.empty() ? "" : ", ") + JsonString(c, "check");
      }
    }
    const bool passed = it->contains("passed") && (*it)["passed"].is_boolean() && (*it)["passed"].get<bool>();
    std::cout << "\nLast verify (" << JsonString(*it, "time") << ", network " << JsonString(*it, "network")
              << "): " << (passed ? "PASS" : "FAIL") << (failing.empty() ? "" : "; failing: " + failing)
              << (JsonString(*it, "error").empty() ? "" : "; " + JsonString(*it, "error")) << "\n";
  }
  if (auto it = doc.extra.find("run"); it != doc.extra.end() && it->is_object()) {
    std::cout << "\nLast daemon pass: " << JsonString(*it, "last_pass") << " (`ironward run`";
    if (it->contains("pid")) std::cout << ", pid " << (*it)["pid"].dump();
    std::cout << ")";
    std::cout << "\n";
  }
}

/// Containers started with older `ironward wiring` output (enforcement details), each with the
/// command that re-creates it; a command shared by a compose stack is printed once.
void PrintStaleWired(const state::StatusDoc& doc) {
  auto it = doc.resources.find("enforcement");
  if (it == doc.resources.end() || !it->second.details.contains("stale_wired")) return;
  const auto& stale = it->second.details["stale_wired"];
  if (!stale.is_array() || stale.empty()) return;
  std::cout << "\nStale wired containers (started with older `ironward wiring` output; ironward does not re-create "
               "them):\n";
  std::vector<std::string> commands;
  for (const auto& c : stale) {
    std::cout << "  " << JsonString(c, "container") << ": " << JsonString(c, "reason") << "\n";
    const std::string cmd = JsonString(c, "recreate");
    if (std::find(commands.begin(), commands.end(), cmd) == commands.end()) commands.push_back(cmd);
  }
  for (const auto& cmd : commands) std::cout << "  re-create: " << cmd << "\n";
}

/// 12 characters of each commit id ("a+b" when the files are in several repositories).
std::string ShortRevision(const std::string& revision) {
  std::string out;
  std::size_t start = 0;
  while (start <= revision.size()) {
    const std::size_t end = std::min(revision.find('+', start), revision.size());
    out += (out.empty() ? "" : "+") + revision.substr(start, std::min<std::size_t>(end - start, 12));
    start = end + 1;
  }
  return out;
}

const std::optional<LiveCheck> kNoCheck;  ///< resources status does not check live

void PrintText(const state::StatusDoc& doc, const LiveStatus& live, const std::string& state_dir) {
  std::cout << "EgressGateway \"" << doc.desired_name << "\" from " << FilesLabel(doc.desired_paths) << " (desired sha256:"
            << ShortDigest(doc.desired_digest) << "), updated " << doc.updated << "\n\n";
  if (auto it = doc.extra.find("down"); it != doc.extra.end() && it->is_object()) {
    std::cout << "GATEWAY DOWN since " << JsonString(*it, "time") << " (`ironward down`"
              << (it->value("complete", true) ? "" : ", not complete: run it again") << "). Bring it back with `"
              << IronwardCommand(state_dir) << " reconcile " << FileArgs(doc.desired_paths)
              << "`. The rows below are from before.\n\n";
  }
  std::cout << PadRight("RESOURCE", 14) << " " << PadRight("READY", 7) << " " << PadRight("REASON", 22) << " MESSAGE\n";
  for (const auto& [name, r] : doc.resources) {
    const auto* ready = r.Find("Ready");
    const std::string state = r.DisplayState();
    std::cout << PadRight(name, 14) << " " << PadRight(state, 7) << " " << PadRight(ready ? ready->reason : "", 22) << " "
              << (ready ? ready->message : "") << "\n";
    // Recorded by the last pass vs what is there now: say both.
    const std::optional<LiveCheck>& now = name == "daemon" ? live.daemon : name == "sandboxes" ? live.sandboxes : kNoCheck;
    if (now && !now->ready) {
      std::cout << PadRight("", 14) << "   LIVE NOW: NOT READY: " << now->message << " (recorded "
                << (ready ? ready->status : "Unknown") << " at " << r.last_reconcile_time
                << "; `ironward reconcile` or a running `ironward run` heals it)\n";
    }
    if (!r.details.empty()) {
      for (const auto& [k, v] : r.details.items()) {
        if (k == "stale_wired") continue;  // its own section below
        std::cout << PadRight("", 14) << "   " << k << ": " << (v.is_string() ? v.get<std::string>() : v.dump()) << "\n";
      }
    }
  }
  PrintStaleWired(doc);
  PrintExtras(doc, live);
  if (!doc.history.empty()) {
    std::cout << "\nLast runs (newest last):\n";
    for (const auto& h : doc.history) {
      std::cout << "  " << h.time << "  " << PadRight(h.result, 9) << " changed=" << h.changed << " failed=" << h.failed
                << "  " << h.duration_seconds << "s  desired " << ShortDigest(h.desired_digest)
                << (h.revision.empty() ? "" : "  rev " + ShortRevision(h.revision)) << "\n";
    }
  }
}

}  // namespace

void AddStatusCommand(CLI::App& app, CliContext& ctx) {
  auto* cmd = app.add_subcommand("status", "Show the conditions of every resource and the last runs");
  auto output = std::make_shared<std::string>("text");
  cmd->add_option("--output,-o", *output, "Output format")->check(CLI::IsMember({"text", "json"}));
  cmd->footer(
      "Shows what the last pass recorded, and checks the proxy live: the recorded iron-proxy process\n"
      "must still be running, answer /healthz and accept connections (`live` in JSON).\n"
      "Exit 0 when every resource is Ready and the live check passes, 1 otherwise (or when there is no\n"
      "status yet).\n\nExamples:\n  ironward status\n  ironward status -o json | jq .live");
  cmd->callback([&ctx, output] {
    const state::StateReader reader(ResolveStateDir(ctx.global));
    auto loaded = state::LoadStatus(reader);
    if (!loaded) {
      std::cerr << "Error: " << loaded.error().message << "\n";
      ctx.exit_code = 1;
      return;
    }
    if (loaded->warning) std::cerr << "Warning: " << *loaded->warning << "\n";
    const auto& doc = loaded->doc;
    // The engine client only: nothing connects unless sandboxes are recorded running.
    RealClock clock;
    CurlHttpClient http;
    auto engine = docker::DockerClient::FromEnvironment(http, clock);
    const LiveStatus live = CheckLive(reader, doc, engine ? engine->get() : nullptr, RealProcesses{});
    const bool down = doc.extra.count("down") > 0;  // `ironward down`: never Ready until a pass
    const bool ready = !down && doc.AllReady() && live.Ready();
    if (*output == "json") {
      auto j = state::ToJson(doc);
      j["ready"] = ready;
      j["live"] = live.ToJson();
      std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    } else if (doc.resources.empty()) {
      std::cout << "No status yet in " << reader.root().string() << ": run `"
                << IronwardCommand(reader.root().string()) << " reconcile -f FILE` first.\n";
      PrintExtras(doc, live);  // e.g. the daemon refused the only desired-state file it was given
    } else {
      PrintText(doc, live, reader.root().string());
    }
    ctx.exit_code = ready ? 0 : 1;
  });
}

}  // namespace ironward
