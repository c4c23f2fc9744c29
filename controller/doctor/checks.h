// The checks of `ironward doctor`, each a small function of what it observes. Nothing here
// reaches the outside world except through the seams it is given.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "controller/doctor/check.h"
#include "controller/harden/baseline.h"
#include "reconcilers/io/command_runner.h"
#include "state/spec/spec.h"
#include "reconcilers/docker/docker_api.h"
#include "reconcilers/io/clock.h"

namespace ironward::doctor {

/// The certificate warns this long before its notAfter.
inline constexpr std::chrono::hours kCaWarnWindow{24 * 30};

/// `errors`: what LoadDesiredState printed (FILE:LINE:COL lines); the first three are shown.
Check DesiredStateCheck(bool loaded, const std::string& errors, const Hints& hints);

/// The proxy's live check (controller/live_status CheckProxyLive); `run_alive`: an `ironward run`
/// manages the state dir, so the fix is restarting that service, not a one-off reconcile.
Check ProxyCheck(bool ready, const std::string& message, bool run_alive, const Hints& hints);

/// The desired state needs the engine: it declares sandboxes or enforcement.network internal.
bool NeedsDocker(const spec::Spec& spec);
/// `docker` null: no client for DOCKER_HOST (`client_error` says why).
Check DockerCheck(const spec::Spec& spec, docker::DockerApi* docker, const std::string& client_error);

/// `cert_pem`: the contents of <state>/ca.crt (nullopt: missing).
Check CaCheck(const std::optional<std::string>& cert_pem, SystemTime now, const Hints& hints);

/// Environment lookup seam (getenv in production).
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
/// With credentials.source bitwarden: the access-token variable is set and parses. No network.
Check BitwardenCheck(const spec::Spec& spec, const EnvLookup& env);

/// The harden survey's minimal baseline: warn listing what is missing.
Check SurveyCheck(const harden::BaselineVerdict& verdict, const std::string& fixes);

/// With enforcement.network internal: what on this host would drop sandbox -> proxy traffic: an
/// active ufw or firewalld without the accept (observed as the host_firewall reconciler does), an
/// nftables input chain with policy drop outside table inet ironward and ufw's own chains.
Check HostFirewallCheck(const spec::DesiredState& desired, CommandRunner& runner, const Hints& hints);

/// Name of a skipped check when the desired state did not load.
Check SkippedForDesiredState(const std::string& name);

/// routing.cpp: one DNS A query for a throwaway name to ip:port; the first A answer ("" for an
/// answer without one), nullopt when nothing answered in time.
std::optional<std::string> QueryA(const std::string& ip, std::uint16_t port,
                                  std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));
using DnsQueryFn = std::function<std::optional<std::string>(const std::string& ip, std::uint16_t port)>;
/// routing: the enforcement.routing mode; with dns/both, fail when the proxy's DNS does not answer
/// the gateway's address on gateway:dnsPort or the nat chain is missing.
Check RoutingCheck(const spec::Spec& spec, CommandRunner& runner, const DnsQueryFn& query, const Hints& hints);

}  // namespace ironward::doctor
