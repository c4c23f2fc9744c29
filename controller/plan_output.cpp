#include "controller/plan_output.h"

#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include "state/encoding.h"

namespace ironward {
namespace {

const char* kGreen = "\033[32m";
const char* kYellow = "\033[33m";
const char* kRed = "\033[31m";
const char* kBold = "\033[1m";
const char* kReset = "\033[0m";

std::string Paint(const std::string& text, const char* color, OutputStyle style) {
  return style.color ? std::string(color) + text + kReset : text;
}

const char* ColorOf(Action a) {
  switch (a) {
    case Action::kCreate: return kGreen;
    case Action::kUpdate: return kYellow;
    case Action::kDelete: return kRed;
    case Action::kReplace: return kRed;
    case Action::kNoop: return kReset;
  }
  return kReset;
}

std::string ResourceType(const std::string& resource) { return "ironward_" + resource; }

}  // namespace

bool StdoutWantsColor() { return ::isatty(STDOUT_FILENO) == 1 && std::getenv("NO_COLOR") == nullptr; }

std::string RenderPlanText(const spec::DesiredState& desired, const RunResult& run, OutputStyle style) {
  std::ostringstream out;
  out << "ironward plan for " << desired.kind << " \"" << desired.name << "\" (desired sha256:"
      << ShortDigest(desired.digest) << ")\n";
  if (run.HasChanges()) out << "\n";
  int add = 0;
  int change = 0;
  int destroy = 0;
  for (const auto& r : run.resources) {
    for (const auto& c : r.plan.changes) {
      std::string sym(ActionSymbol(c.action));
      if (sym.size() < 3) sym.insert(0, 3 - sym.size(), ' ');
      out << " " << Paint(sym, ColorOf(c.action), style) << " " << c.address << " (" << c.type << "): " << c.reason;
      if (c.disruptive) out << " " << Paint("[disruptive]", kBold, style);
      out << "\n";
      for (const auto& f : c.fields) {
        out << "        " << Paint(std::string(ActionSymbol(f.action)), ColorOf(f.action), style)
            << f.Words().substr(ActionSymbol(f.action).size()) << "\n";
      }
      switch (c.action) {
        case Action::kCreate: ++add; break;
        case Action::kUpdate: ++change; break;
        case Action::kDelete: ++destroy; break;
        case Action::kReplace: ++add; ++destroy; break;
        case Action::kNoop: break;
      }
    }
  }
  bool any_note = false;
  for (const auto& r : run.resources) {
    for (const auto& w : r.plan.warnings) {
      out << (any_note ? "" : "\n") << Paint("Warning", kYellow, style) << ": " << r.plan.resource << ": " << w << "\n";
      any_note = true;
    }
  }
  for (const auto& r : run.resources) {
    if (r.plan.error) {
      out << (any_note ? "" : "\n") << Paint("Error", kRed, style) << ": " << r.plan.resource << ": "
          << r.plan.error->message << "\n";
      any_note = true;
    }
  }
  out << "\n";
  if (add + change + destroy == 0) {
    out << (run.HasErrors() ? "No changes planned, but some resources could not be observed (see errors above).\n"
                            : "No changes. Actual state matches the desired state.\n");
  } else {
    out << Paint("Plan:", kBold, style) << " " << add << " to add, " << change << " to change, " << destroy
        << " to destroy.\n";
  }
  return out.str();
}

nlohmann::json RenderPlanJson(const spec::DesiredState& desired, const RunResult& run) {
  nlohmann::json changes = nlohmann::json::array();
  nlohmann::json errors = nlohmann::json::array();
  nlohmann::json warnings = nlohmann::json::array();
  nlohmann::json observed = nlohmann::json::array();
  for (const auto& r : run.resources) {
    if (r.plan.changes.empty() && !r.plan.error) {
      changes.push_back({{"address", r.plan.resource}, {"type", ResourceType(r.plan.resource)},
                         {"resource", r.plan.resource}, {"actions", {"no-op"}}, {"action_reason", "in sync"},
                         {"disruptive", false}, {"before", nullptr}, {"after", nullptr}});
    }
    for (const auto& c : r.plan.changes) {
      nlohmann::json fields = nlohmann::json::array();
      for (const auto& f : c.fields) {
        fields.push_back({{"field", f.field}, {"actions", ActionJson(f.action)}, {"before", f.before}, {"after", f.after}});
      }
      changes.push_back({{"address", c.address}, {"type", c.type}, {"resource", r.plan.resource},
                         {"actions", ActionJson(c.action)}, {"action_reason", c.reason},
                         {"disruptive", c.disruptive}, {"before", c.before}, {"after", c.after},
                         {"field_changes", fields}});
    }
    for (const auto& w : r.plan.warnings) warnings.push_back({{"resource", r.plan.resource}, {"message", w}});
    if (r.plan.error) {
      errors.push_back({{"resource", r.plan.resource}, {"message", r.plan.error->message},
                        {"terminal", r.plan.error->terminal()}});
    }
    observed.push_back({{"resource", r.plan.resource}, {"observed_fingerprint", r.plan.observed_fingerprint},
                        {"desired_digest", r.plan.desired_digest}});
  }
  return {{"format_version", "1.1"},
          {"desired_digest", desired.digest},
          {"desired_name", desired.name},
          {"resource_changes", changes},
          {"warnings", warnings},
          {"errors", errors},
          {"observed", observed},
          {"changes_pending", run.HasChanges()}};
}

std::string RenderRecapText(const RunResult& run, OutputStyle style) {
  std::ostringstream out;
  for (const auto& r : run.resources) {
    std::string state;
    std::string detail;
    if (r.skipped) {
      state = Paint("skipped", kYellow, style);
      detail = r.skip_reason;
    } else if (r.Failed()) {
      state = Paint("failed ", kRed, style);
      detail = r.outcome ? r.outcome->reason + ": " + r.outcome->message : r.plan.error->message;
    } else if (r.Changed()) {
      state = Paint("changed", kYellow, style);
      detail = r.outcome->message;
    } else {
      state = Paint("ok     ", kGreen, style);
      detail = "in sync";
    }
    std::string name = r.plan.resource;
    if (name.size() < 14) name.resize(14, ' ');
    out << "  " << name << " " << state << "  " << detail << "\n";
  }
  for (const auto& r : run.resources) {
    for (const auto& w : r.plan.warnings) out << Paint("Warning", kYellow, style) << ": " << r.plan.resource << ": " << w << "\n";
  }
  out << "Recap: ok=" << run.ok << " changed=" << run.changed << " failed=" << run.failed
      << " skipped=" << run.skipped << "\n";
  return out.str();
}

nlohmann::json RenderRecapJson(const spec::DesiredState& desired, const RunResult& run) {
  nlohmann::json resources = nlohmann::json::array();
  for (const auto& r : run.resources) {
    std::string result = r.skipped ? "skipped" : r.Failed() ? "failed" : r.Changed() ? "changed" : "ok";
    nlohmann::json entry = {{"resource", r.plan.resource}, {"result", result}};
    if (r.outcome) {
      entry["reason"] = r.outcome->reason;
      entry["message"] = r.outcome->message;
      entry["changed"] = r.outcome->changed;
    }
    if (r.skipped) entry["message"] = r.skip_reason;
    if (!r.plan.warnings.empty()) entry["warnings"] = r.plan.warnings;
    resources.push_back(entry);
  }
  return {{"desired_digest", desired.digest},
          {"resources", resources},
          {"recap", {{"ok", run.ok}, {"changed", run.changed}, {"failed", run.failed}, {"skipped", run.skipped}}},
          {"duration_seconds", run.duration_seconds}};
}

}  // namespace ironward
