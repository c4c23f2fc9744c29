// One row of `ironward doctor`: a named live check, its result, what was seen and how to fix it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace ironward::doctor {

enum class Result { kPass, kWarn, kFail, kSkip };

/// "pass" | "warn" | "fail" | "skip".
std::string_view ResultName(Result result);

struct Check {
  std::string check;   ///< stable name ("desired-state", "proxy", ...)
  Result result = Result::kSkip;
  std::string detail;  ///< what was observed (never a secret value)
  std::string fix;     ///< a concrete command for a non-pass ("" for pass and skip)
};

/// How the fix hints name commands: "ironward" or "ironward --state-dir 'DIR'", and the -f FILE.
struct Hints {
  std::string ironward = "ironward";
  std::string file;   ///< the -f argument(s) to paste: "'gw.yaml'" or "'base.yaml' -f 'host.yaml'"
  std::string label = {};  ///< how a message names the desired state ("" = file)
  std::string Reconcile() const { return ironward + " reconcile -f " + file; }
  const std::string& Label() const { return label.empty() ? file : label; }
};

/// Only fail fails: warn and skip do not.
bool Passed(const std::vector<Check>& checks);

/// {"passed": bool, "checks": [{"check","result","detail","fix"}]}
nlohmann::json ToJson(const std::vector<Check>& checks);

/// `CHECK | RESULT | DETAIL` rows, a `fix:` line under each non-pass with a fix, and a summary.
std::string ToText(const std::vector<Check>& checks);

}  // namespace ironward::doctor
