// The one shape every resource follows: observe -> diff -> plan -> apply.
//
//  * Observe reads only, in every run, and the types say so: it receives ReadDeps, which hold
//    the state directory as a StateReader and each outside client as its read half
//    (HttpReader, docker::DockerReader, netfilter::FirewallReader, hostfw::HostFirewallReader,
//    FileReader). None of them has a method that writes, so a write from Observe or Plan does
//    not compile. The one read interface that checks at run time is HttpReader: its request
//    still names a method, and anything but GET or HEAD is refused before it is sent.
//  * Diff is pure: desired + observed -> ResourcePlan (changes with reasons).
//  * Apply is the only writer. It receives WriteDeps (the full clients), re-checks
//    preconditions before acting, so running it twice is a no-op the second time.
//  * Facts flow along declared edges only: a reconciler reads the facts of the resources in its
//    DependsOn() / AlsoReads(), checked on every read (FactsView in facts.h).
//
// Processes go through reconcilers/io/process.h (a Processes the reconciler is given in its
// options): Observe reads /proc through it, and only Apply starts or signals one. The controller (controller/engine.h) runs reconcilers in dependency
// order, owns status and never lets a dry run construct WriteDeps.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "state/spec/spec.h"
#include "reconcilers/facts.h"
#include "reconcilers/io/clock.h"
#include "state/result.h"
#include "state/state_dir.h"

namespace ironward {

class HttpReader;
class HttpClient;
class HostInfo;
class FileReader;
namespace docker {
class DockerReader;
class DockerApi;
}
namespace netfilter {
class FirewallReader;
class Firewall;
}
namespace hostfw {
class HostFirewallReader;
class HostFirewall;
}

/// Terraform's action vocabulary; kReplace prints as "-/+" and is ["delete","create"] in JSON.
enum class Action { kNoop, kCreate, kUpdate, kDelete, kReplace };

std::string_view ActionSymbol(Action a);              ///< "+", "~", "-", "-/+", " "
std::vector<std::string> ActionJson(Action a);        ///< ["create"], ["delete","create"], ...

/// Placeholder for values that only exist once apply ran (e.g. a freshly minted token).
inline constexpr const char* kKnownAfterApply = "(known after apply)";

/// One field of a resource that changes, Terraform style ("+ allowlist: pypi.org",
/// "~ proxy.tunnel_listen: 127.0.0.1:19090 -> 127.0.0.1:19091"). Never a secret value or token:
/// those appear only as a digest or SensitiveLabel().
struct FieldChange {
  std::string field;       ///< "allowlist", "provider openai", "proxy.tunnel_listen", "log.level"
  Action action = Action::kUpdate;  ///< kCreate = added, kDelete = removed, kUpdate = changed
  nlohmann::json before;   ///< null when added
  nlohmann::json after;    ///< null when removed
  /// "+ allowlist: pypi.org" / "- provider openai: ..." / "~ log.level: info -> debug".
  std::string Words() const;
};

struct Change {
  Action action = Action::kNoop;
  std::string address;  ///< stable id, e.g. "ca.local", "mappings.token[\"openrouter\"]"
  std::string type;     ///< resource type, e.g. "ironward_ca"
  std::string reason;   ///< why, in words ("config digest 3fa1 != desired 9c2e")
  bool disruptive = false;  ///< restarts the proxy / recycles sandboxes / breaks trust
  /// Non-sensitive summaries. A secret or token appears only as SensitiveLabel().
  nlohmann::json before;
  nlohmann::json after;
  /// What changes field by field (plans print each under the change; JSON `field_changes`).
  std::vector<FieldChange> fields;
};

struct ResourcePlan {
  std::string resource;           ///< reconciler name ("ca", "mappings", ...)
  std::string desired_digest;     ///< digest of this resource's desired inputs
  /// Digest of everything Observe saw. `ironward apply PLAN` re-observes and refuses the
  /// plan when this moved (stale plan).
  std::string observed_fingerprint;
  std::vector<Change> changes;    ///< only real changes; empty = in sync
  std::vector<std::string> warnings;
  std::optional<Error> error;     ///< observe/diff failed; nothing can be applied
  /// CamelCase condition reason for `error` ("BitwardenRefused"); empty means "ObserveFailed".
  std::string error_reason;
  /// Non-sensitive summary of the observed resource for status (e.g. CA fingerprint).
  nlohmann::json details = nlohmann::json::object();

  bool InSync() const { return !error && changes.empty(); }
};

/// What one Apply did, in controller-runtime terms.
struct Outcome {
  enum class Kind { kDone, kRequeueAfter, kRetry, kTerminal };
  Kind kind = Kind::kDone;
  /// kRequeueAfter: retry after this long. kDone with after > 0: converged for this pass, but
  /// `ironward run` should reconcile again this soon (e.g. the next phase of a CA rotation);
  /// one-shot commands ignore it.
  std::chrono::seconds after{0};
  std::string reason;   ///< CamelCase condition reason ("Applied", "DownloadFailed")
  std::string message;  ///< never contains a secret value
  int changed = 0;      ///< number of changes actually made
  /// Non-sensitive summary after apply; replaces the plan's details in status when set.
  nlohmann::json details = nlohmann::json::object();
  /// kRetry / kRequeueAfter that is still a Stalled condition: something that keeps failing the
  /// same way and is retried at a long interval (a crash loop), as opposed to kTerminal, which
  /// waits for a change of the desired state.
  bool stalled = false;

  /// Converged: `changed` changes made; reason "Applied", or "InSync" when none.
  static Outcome Done(int changed, std::string message = "");
  /// Failed with `e`: kTerminal when it is terminal (waits for a change of the desired state),
  /// else kRetry on the run loop's back-off.
  static Outcome Failed(const Error& e, std::string reason);
  /// A failure retried after `after` when the resource knows when its next attempt is due (a
  /// crash back-off); 0 = on the run loop's back-off.
  static Outcome Retry(std::string reason, std::string message, std::chrono::seconds after = std::chrono::seconds(0));
  /// Not a failure: look again after `after` (one-shot commands wait out up to 10 s inline).
  static Outcome RequeueAfter(std::chrono::seconds after, std::string reason, std::string message);
  /// `o`, a Retry or RequeueAfter, also reported as a Stalled condition (see `stalled`).
  static Outcome Stalled(Outcome o);
};

/// Read-only dependencies: everything Observe/Diff may touch, each as its read half (see the
/// top of this file). Pointers may be null when the running command does not provide that edge
/// (the reconciler then reports it).
struct ReadDeps {
  const Clock& clock;
  const state::StateReader& state;
  HttpReader* http = nullptr;  ///< GET and HEAD only (e.g. health)
  const HostInfo* host = nullptr;  ///< interface addresses (bind resolution)
  docker::DockerReader* docker = nullptr;  ///< lists, inspects, logs, events
  netfilter::FirewallReader* firewall = nullptr;  ///< reads table inet ironward
  /// The host's firewall front ends (ufw, firewalld): what they admit.
  std::vector<hostfw::HostFirewallReader*> host_firewalls{};
  /// Files the desired state names outside the state directory (proxy.upstreamCaFile).
  const FileReader* files = nullptr;
};

/// Everything Apply may change. Only the controller's apply path constructs one.
struct WriteDeps {
  const Clock& clock;
  state::StateWriter& state;
  HttpClient* http = nullptr;
  const HostInfo* host = nullptr;
  docker::DockerApi* docker = nullptr;
  netfilter::Firewall* firewall = nullptr;
  std::vector<hostfw::HostFirewall*> host_firewalls{};
  const FileReader* files = nullptr;

  /// The read halves of the same dependencies (apply re-observes before acting).
  ReadDeps Read() const;
};

/// How far Observe goes to prove the actual state in sync (docs/sandboxes.md#drift-checks).
enum class DriftCheck {
  /// Every check, however costly: inspect every running sandbox and re-read files whose recorded
  /// identity says they are unchanged (re-hash the proxy binary): `ironward run`'s first pass,
  /// periodic drift check, SIGHUP and container events the container list cannot show.
  kFull,
  /// One-shot commands and dry runs: inspect every running sandbox; trust a file's recorded
  /// identity (the binary is hashed only when it changed: docs/daemon.md).
  kInspect,
  /// Trust what the cheap reads prove (a container's list entry carrying the desired digests,
  /// image and network; recorded file identities): the other passes of `ironward run`.
  kListed,
};

/// Shared per-run context: the desired state and the facts published by earlier reconcilers
/// (narrowed to what the running reconciler declared; see FactsView).
struct ReconcileContext {
  const spec::DesiredState& desired;
  FactsView facts;
  bool dry_run = false;
  DriftCheck drift_check = DriftCheck::kInspect;
};

class Reconciler {
 public:
  virtual ~Reconciler() = default;
  /// Short stable name used in status, addresses and logs ("binary", "ca", ...).
  virtual std::string_view Name() const = 0;
  /// Names of reconcilers that must be Ready before this one applies (the DAG's edges): among them
  /// every resource whose facts it reads, unless listed in AlsoReads().
  virtual std::vector<std::string_view> DependsOn() const { return {}; }
  /// Reconcilers whose facts this one reads without waiting for them to be Ready: they run earlier
  /// (checked like DependsOn), but this one plans and applies while they failed, so it must cope
  /// with their facts missing or stale. Say in a comment why it must not wait.
  virtual std::vector<std::string_view> AlsoReads() const { return {}; }

  /// Observe + Diff (DoPlan), with ctx.facts narrowed to the facts this reconciler may use.
  ResourcePlan Plan(ReconcileContext& ctx, const ReadDeps& deps);
  /// Carries out `plan` (DoApply), with ctx.facts narrowed the same way.
  Outcome Apply(ReconcileContext& ctx, const ResourcePlan& plan, WriteDeps& deps);

 protected:
  /// Must also publish this resource's projected facts into ctx.facts (values known after apply
  /// are marked pending), so downstream plans can be computed.
  virtual ResourcePlan DoPlan(ReconcileContext& ctx, const ReadDeps& deps) = 0;
  /// Publishes the applied facts into ctx.facts. The engine calls it only outside a dry run (a dry
  /// run has no WriteDeps), with a plan of the same pass that has no error and at least one change,
  /// once every DependsOn() is Ready and the resource is neither held nor suspended: a guard for
  /// any of these is dead code. What Apply does re-check is the world (it re-observes).
  virtual Outcome DoApply(ReconcileContext& ctx, const ResourcePlan& plan, WriteDeps& deps) = 0;

 private:
  /// `ctx` with its facts narrowed to this reconciler (FactsView).
  ReconcileContext Narrowed(const ReconcileContext& ctx) const;
};

/// Typed helper: splits Plan into Observe (reads) and Diff (pure) for one Observed type.
template <class Observed>
class ResourceReconciler : public Reconciler {
 protected:
  ResourcePlan DoPlan(ReconcileContext& ctx, const ReadDeps& deps) final {
    Result<Observed> observed = Observe(ctx, deps);
    if (!observed.ok()) {
      ResourcePlan failed;
      failed.resource = std::string(Name());
      failed.error = observed.error();
      return failed;
    }
    ResourcePlan plan = Diff(ctx, *observed, deps.clock);
    plan.resource = std::string(Name());
    return plan;
  }

  virtual Result<Observed> Observe(const ReconcileContext& ctx, const ReadDeps& deps) const = 0;
  /// Pure, apart from publishing projected facts into ctx.facts.
  virtual ResourcePlan Diff(ReconcileContext& ctx, const Observed& observed, const Clock& clock) const = 0;
};

}  // namespace ironward
