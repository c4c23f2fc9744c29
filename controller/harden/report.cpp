#include "controller/harden/report.h"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>

namespace ironward::harden {
namespace {

constexpr const char* kGreen = "\033[32m";
constexpr const char* kRed = "\033[31m";
constexpr const char* kReset = "\033[0m";

std::string Pad(const std::string& s, std::size_t width) {
  return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

}  // namespace

nlohmann::json ToJson(const HardenReport& report) {
  nlohmann::json signals = nlohmann::json::array();
  for (const SignalResult& s : report.signals) {
    signals.push_back(
        {{"name", s.name}, {"status", std::string(StatusName(s.status))}, {"detail", s.detail}, {"fix", s.fix}});
  }
  return nlohmann::json{{"signals", std::move(signals)},
                        {"baseline", std::string(BaselineName(report.verdict.baseline))},
                        {"satisfied", report.verdict.satisfied},
                        {"missing", report.verdict.missing}};
}

std::string SummaryLine(const BaselineVerdict& verdict) {
  std::string line = "Baseline " + std::string(BaselineName(verdict.baseline)) + ": ";
  if (verdict.satisfied) return line + "satisfied";
  line += "NOT satisfied (missing: ";
  for (std::size_t i = 0; i < verdict.unmet.size(); ++i) {
    const std::vector<std::string>& requirement = verdict.unmet[i];
    if (i > 0) line += ", ";
    if (requirement.size() > 1) line += "one of ";
    for (std::size_t j = 0; j < requirement.size(); ++j) line += (j > 0 ? "/" : "") + requirement[j];
  }
  return line + ")";
}

std::string RenderText(const HardenReport& report, bool show_all, bool colour) {
  std::vector<std::array<std::string, 4>> rows;
  rows.push_back({"SIGNAL", "STATUS", "DETAIL", "FIX"});
  std::size_t hidden = 0;
  for (const SignalResult& s : report.signals) {
    const bool failing = s.status == SignalStatus::kFail || s.status == SignalStatus::kWarn;
    if (!show_all && !failing) {
      ++hidden;
      continue;
    }
    rows.push_back({s.name, std::string(StatusName(s.status)), s.detail, s.fix.empty() ? "-" : s.fix});
  }
  std::string out;
  if (rows.size() > 1) {
    std::array<std::size_t, 3> width{};
    for (const auto& row : rows) {
      for (std::size_t c = 0; c < width.size(); ++c) width[c] = std::max(width[c], row[c].size());
    }
    for (const auto& row : rows) {
      out += Pad(row[0], width[0]) + "  " + Pad(row[1], width[1]) + "  " + Pad(row[2], width[2]) + "  " + row[3] + "\n";
    }
  } else {
    out += "No failing signals.\n";
  }
  if (hidden > 0) {
    out += std::to_string(hidden) + (hidden == 1 ? " passing or skipped signal" : " passing or skipped signals") +
           " not shown (use --all).\n";
  }
  const std::string summary = SummaryLine(report.verdict);
  if (colour) {
    out += (report.verdict.satisfied ? kGreen : kRed) + summary + kReset + "\n";
  } else {
    out += summary + "\n";
  }
  return out;
}

}  // namespace ironward::harden
