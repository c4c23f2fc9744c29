#include "controller/plan_file.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "controller/command_support.h"
#include "controller/plan_output.h"

namespace ironward {
namespace {

/// "address actions" per change, the identity used to compare two plans.
std::set<std::string> ChangeKeys(const nlohmann::json& plan) {
  std::set<std::string> keys;
  for (const auto& c : plan.at("resource_changes")) {
    const auto actions = c.at("actions").dump();
    if (actions == "[\"no-op\"]") continue;
    keys.insert(c.at("address").get<std::string>() + " " + actions);
  }
  return keys;
}

}  // namespace

Status WritePlanFile(const std::string& path, const spec::DesiredState& desired, const RunResult& run,
                     const std::string& state_dir) {
  nlohmann::json j = RenderPlanJson(desired, run);
  std::error_code ec;
  const auto abs = std::filesystem::absolute(state_dir, ec);
  j["ironward_plan"] = {{"version", kPlanFileVersion},
                        {"desired_path", desired.source_path},
                        {"desired_paths", desired.source_paths},
                        {"desired_yaml", desired.raw_text},
                        {"state_dir", ec ? state_dir : abs.lexically_normal().string()},
                        {"gateway", desired.name}};
  const std::string text = j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  return WritePrivateFileAtomic(path, text, "plan");
}

Result<SavedPlan> ReadPlanFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error::Terminal("cannot read plan " + path + ": " + std::strerror(errno));
  std::stringstream buf;
  buf << in.rdbuf();
  try {
    SavedPlan saved;
    saved.plan = nlohmann::json::parse(buf.str());
    const auto& meta = saved.plan.at("ironward_plan");
    if (meta.at("version").get<int>() != kPlanFileVersion) {
      return Error::Terminal(path + ": unsupported plan file version " + meta.at("version").dump());
    }
    saved.desired_path = meta.at("desired_path").get<std::string>();
    saved.desired_paths = meta.value("desired_paths", std::vector<std::string>{});
    if (saved.desired_paths.empty() && !saved.desired_path.empty()) saved.desired_paths = {saved.desired_path};
    saved.desired_yaml = meta.at("desired_yaml").get<std::string>();
    saved.state_dir = meta.value("state_dir", "");
    saved.gateway = meta.value("gateway", "");
    ChangeKeys(saved.plan);  // validates the shape
    return saved;
  } catch (const std::exception& e) {
    return Error::Terminal(path + " is not an ironward plan file (" + e.what() + ")");
  }
}

std::string StaleReason(const SavedPlan& saved, const RunResult& fresh) {
  std::map<std::string, std::string> before;
  for (const auto& o : saved.plan.at("observed")) {
    before[o.at("resource").get<std::string>()] = o.at("observed_fingerprint").get<std::string>();
  }
  for (const auto& r : fresh.resources) {
    const auto it = before.find(r.plan.resource);
    if (it == before.end()) return "resource '" + r.plan.resource + "' was not part of the plan";
    if (it->second != r.plan.observed_fingerprint) {
      return "the observed state of '" + r.plan.resource + "' changed since the plan was made";
    }
  }
  if (before.size() != fresh.resources.size()) return "the plan covers resources this ironward does not manage";
  spec::DesiredState unused;
  const auto now_keys = ChangeKeys(RenderPlanJson(unused, fresh));
  if (now_keys != ChangeKeys(saved.plan)) return "the planned changes differ from a fresh plan";
  return "";
}

}  // namespace ironward
