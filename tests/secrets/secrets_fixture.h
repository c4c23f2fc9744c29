// Fixture: the Bitwarden server double, a steppable clock, a real state directory and one
// SecretsReconciler that lives across passes (as in `ironward run`). Every plan and outcome is
// kept as text; TearDown greps it, the state files and the logs for every known secret.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "reconcilers/secrets/secrets_reconciler.h"
#include "tests/bitwarden/client_fixture.h"
#include "tests/fakes/map_environment.h"
#include "tests/support/temp_dir.h"

namespace ironward::secrets::test {

using ironward::testing::MapEnvironment;
using ironward::testing::ModeOf;
using ironward::testing::ReadFile;
using ironward::testing::TempDir;
/// Plan/outcome as text (changes, warnings, details, error; message, details).
std::string Describe(const ResourcePlan& plan);
std::string Describe(const Outcome& outcome);

class BitwardenSecretsTest : public bwtest::BitwardenDoubleTest {
 protected:
  BitwardenSecretsTest();
  void TearDown() override;

  /// Providers openrouter (OPENROUTER_API_KEY) and anthropic (ANTHROPIC_API_KEY, x-api-key).
  void SetProxyVersion(const std::string& version) { desired_.spec.proxy.version = version; }
  std::unique_ptr<SecretsReconciler> NewReconciler();

  ResourcePlan Plan(bool dry_run = false);
  Outcome Apply(const ResourcePlan& plan);
  /// Plan, then Apply when there are changes (what the engine does); nullopt outcome = in sync.
  std::optional<Outcome> Pass(ResourcePlan* plan_out = nullptr);

  int Requests() { return double_.Count("identity") + double_.Count("project_secrets") + double_.Count("get_by_ids"); }
  std::filesystem::path StatePath(const std::string& name) const { return dir_.path() / name; }

  TempDir dir_;
  std::unique_ptr<state::StateWriter> state_;
  MapEnvironment env_;
  spec::DesiredState desired_;
  Facts facts_;
  std::unique_ptr<SecretsReconciler> rec_;
  std::string seen_;  ///< every plan/outcome text, grepped in TearDown
};

}  // namespace ironward::secrets::test
