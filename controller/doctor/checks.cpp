#include "controller/doctor/checks.h"

#include <sstream>

#include "reconcilers/bitwarden/access_token.h"
#include "reconcilers/ca/openssl_ca.h"
#include "state/encoding.h"

namespace ironward::doctor {

Check DesiredStateCheck(bool loaded, const std::string& errors, const Hints& hints) {
  if (loaded) return {"desired-state", Result::kPass, hints.Label() + " loads and validates", ""};
  std::istringstream in(errors);
  std::string line;
  std::string first;
  int shown = 0;
  int total = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    ++total;
    if (shown < 3) {
      first += (first.empty() ? "" : "; ") + line;
      ++shown;
    }
  }
  if (total > shown) first += "; (" + std::to_string(total - shown) + " more)";
  return {"desired-state", Result::kFail, first.empty() ? hints.Label() + " does not load" : first,
          "ironward validate -f " + hints.file};
}

Check ProxyCheck(bool ready, const std::string& message, bool run_alive, const Hints& hints) {
  if (ready) return {"proxy", Result::kPass, message, ""};
  return {"proxy", Result::kFail, message,
          run_alive ? "systemctl restart ironward   (an `ironward run` manages this state directory)"
                    : hints.Reconcile()};
}

bool NeedsDocker(const spec::Spec& spec) {
  return !spec.sandboxes.empty() || spec.enforcement.network != spec::NetworkMode::kNone;
}

Check DockerCheck(const spec::Spec& spec, docker::DockerApi* docker, const std::string& client_error) {
  if (!NeedsDocker(spec)) return {"docker", Result::kSkip, "no sandboxes and enforcement.network is none", ""};
  const std::string fix =
      "start the engine (systemctl start docker) or point DOCKER_HOST at it (e.g. export "
      "DOCKER_HOST=unix:///var/run/docker.sock)";
  if (docker == nullptr) return {"docker", Result::kFail, "no Docker engine client: " + client_error, fix};
  auto ping = docker->Ping();
  if (!ping) return {"docker", Result::kFail, "the engine does not answer: " + ping.error().message, fix};
  return {"docker", Result::kPass, "the engine answers", ""};
}

Check CaCheck(const std::optional<std::string>& cert_pem, SystemTime now, const Hints& hints) {
  const std::string fix = hints.Reconcile() + "   (renews it: a staged rotation, or set spec.ca.renewBefore; docs/ca.md)";
  if (!cert_pem) return {"ca", Result::kFail, "ca.crt is missing", hints.Reconcile()};
  auto info = ca::ParseCertificate(*cert_pem);
  if (!info) return {"ca", Result::kFail, "ca.crt does not parse: " + info.error().message, hints.Reconcile()};
  const auto left = std::chrono::duration_cast<std::chrono::hours>(info->not_after - now);
  const std::string days = std::to_string(left.count() / 24);
  if (info->not_after <= now) return {"ca", Result::kFail, "ca.crt expired (" + info->subject + ")", fix};
  if (left < kCaWarnWindow) return {"ca", Result::kWarn, "ca.crt expires in " + days + " day(s)", fix};
  return {"ca", Result::kPass, "ca.crt valid for " + days + " more day(s)", ""};
}

Check BitwardenCheck(const spec::Spec& spec, const EnvLookup& env) {
  if (spec.credentials.source != spec::CredentialSource::kBitwarden) {
    return {"bitwarden", Result::kSkip, "credentials.source is not bitwarden", ""};
  }
  const std::string& var = spec.credentials.bitwarden.access_token_env;
  const std::string fix = "export " + var + "=<the machine account's access token> in ironward's environment";
  const auto value = env(var);
  if (!value || value->empty()) return {"bitwarden", Result::kFail, "$" + var + " is not set or empty", fix};
  auto parsed = bw::ParseAccessToken(*value);  // its errors never quote the token
  if (!parsed) return {"bitwarden", Result::kFail, "$" + var + ": " + parsed.error().message, fix};
  return {"bitwarden", Result::kPass, "$" + var + " is set and parses (not logged in: no network)", ""};
}

Check SurveyCheck(const harden::BaselineVerdict& verdict, const std::string& fixes) {
  if (verdict.satisfied) return {"survey", Result::kPass, "baseline minimal satisfied", ""};
  return {"survey", Result::kWarn, "baseline minimal not met; missing: " + Join(verdict.missing),
          (fixes.empty() ? "" : fixes + "; ") + "details: ironward harden --all"};
}

Check SkippedForDesiredState(const std::string& name) {
  return {name, Result::kSkip, "needs the desired state, which did not load", ""};
}

}  // namespace ironward::doctor
