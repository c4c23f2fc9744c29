#include <cstdlib>
#include <string>

#include "reconcilers/docker/docker_api.h"

namespace ironward::docker {

const char* OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kChanged: return "changed";
    case Outcome::kUnchanged: return "unchanged";
    case Outcome::kNotFound: return "not found";
  }
  return "?";
}

std::optional<std::string> ContainerInfo::EnvValue(const std::string& key) const {
  for (const auto& kv : config.env) {
    if (kv.size() > key.size() && kv.compare(0, key.size(), key) == 0 && kv[key.size()] == '=') {
      return kv.substr(key.size() + 1);
    }
  }
  return std::nullopt;
}

bool EngineInfo::SeccompEnabled() const {
  for (const auto& opt : security_options) {
    if (opt == "seccomp" || opt.rfind("name=seccomp", 0) == 0) return true;
  }
  return false;
}

Filters LabelFilter(const Labels& labels) {
  Filters f;
  auto& v = f["label"];
  for (const auto& [k, val] : labels) v.push_back(val.empty() ? k : k + "=" + val);
  return f;
}

bool MatchesLabelFilters(const Labels& labels, const std::vector<std::string>& filters) {
  for (const auto& f : filters) {
    const auto eq = f.find('=');
    const auto it = labels.find(f.substr(0, eq));
    if (it == labels.end()) return false;
    if (eq != std::string::npos && it->second != f.substr(eq + 1)) return false;
  }
  return true;
}

namespace {
constexpr std::string_view kStatusMarker = " (HTTP ";
}  // namespace

Error ApiError(std::string_view operation, long status, std::string_view message) {
  std::string m = "docker: " + std::string(operation) + ": " + std::string(message) + std::string(kStatusMarker) +
                  std::to_string(status) + ")";
  return status >= 500 ? Error::Transient(std::move(m)) : Error::Terminal(std::move(m));
}

long HttpStatusOf(const Error& error) {
  const std::string& m = error.message;
  if (m.rfind("docker: ", 0) != 0 || m.empty() || m.back() != ')') return 0;
  const auto pos = m.rfind(kStatusMarker);
  if (pos == std::string::npos) return 0;
  const std::string digits = m.substr(pos + kStatusMarker.size(), m.size() - 1 - pos - kStatusMarker.size());
  if (digits.size() != 3) return 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return 0;
  }
  return std::strtol(digits.c_str(), nullptr, 10);
}

}  // namespace ironward::docker
