#include "controller/doctor/check.h"

#include <algorithm>

namespace ironward::doctor {

std::string_view ResultName(Result result) {
  switch (result) {
    case Result::kPass: return "pass";
    case Result::kWarn: return "warn";
    case Result::kFail: return "fail";
    case Result::kSkip: return "skip";
  }
  return "fail";
}

bool Passed(const std::vector<Check>& checks) {
  return std::none_of(checks.begin(), checks.end(), [](const Check& c) { return c.result == Result::kFail; });
}

nlohmann::json ToJson(const std::vector<Check>& checks) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& c : checks) {
    rows.push_back({{"check", c.check}, {"result", ResultName(c.result)}, {"detail", c.detail}, {"fix", c.fix}});
  }
  return {{"passed", Passed(checks)}, {"checks", rows}};
}

namespace {
std::string Pad(std::string s, std::size_t n) {
  if (s.size() < n) s.append(n - s.size(), ' ');
  return s;
}
}  // namespace

std::string ToText(const std::vector<Check>& checks) {
  std::string out = Pad("CHECK", 14) + " | " + Pad("RESULT", 6) + " | DETAIL\n";
  int failed = 0;
  int warned = 0;
  for (const auto& c : checks) {
    out += Pad(c.check, 14) + " | " + Pad(std::string(ResultName(c.result)), 6) + " | " + c.detail + "\n";
    if (c.result != Result::kPass && !c.fix.empty()) out += Pad("", 14) + "   fix: " + c.fix + "\n";
    failed += c.result == Result::kFail ? 1 : 0;
    warned += c.result == Result::kWarn ? 1 : 0;
  }
  out += "\n" + std::string(failed == 0 ? "PASS" : "FAIL") + ": " + std::to_string(failed) + " failed, " +
         std::to_string(warned) + " warning(s)\n";
  return out;
}

}  // namespace ironward::doctor
