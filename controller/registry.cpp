#include "controller/engine.h"
#include "reconcilers/binary/binary_reconciler.h"
#include "reconcilers/ca/ca_reconciler.h"
#include "reconcilers/daemon/daemon_reconciler.h"
#include "reconcilers/mappings_reconciler.h"
#include "reconcilers/proxy_config_reconciler.h"
#include "reconcilers/secrets/secrets_reconciler.h"

namespace ironward {

std::vector<std::unique_ptr<Reconciler>> MakeReconcilers() {
  std::vector<std::unique_ptr<Reconciler>> out;
  out.push_back(std::make_unique<binary::BinaryReconciler>());
  out.push_back(std::make_unique<ca::CaReconciler>());
  out.push_back(std::make_unique<MappingsReconciler>());
  out.push_back(std::make_unique<secrets::SecretsReconciler>());
  out.push_back(std::make_unique<ProxyConfigReconciler>());
  out.push_back(std::make_unique<daemon::DaemonReconciler>());
  return out;
}

}  // namespace ironward
