// Who a pid really is. A pid from a pidfile is trusted (or signalled) only when the process
// behind it is the one ironward started: same /proc starttime AND our per-start nonce in its
// environment. Anything else (no such pid, a zombie, a recycled pid) counts as gone.
//
// Signals go through a pidfd opened *before* the identity check, so the pid cannot be recycled
// between the check and the signal.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ironward::daemon {

/// Name of the per-start nonce variable in the proxy's environment.
inline constexpr const char* kNonceEnv = "IRONWARD_PROXY_NONCE";

struct ProcStat {
  char state = '?';            ///< field 3 ('R', 'S', 'Z', ...)
  std::uint64_t starttime = 0; ///< field 22, clock ticks since boot
  std::uint64_t flags = 0;     ///< field 9, the kernel's PF_* flags
  /// PF_EXITING: the process is dying. Between SIGKILL and the zombie state its memory (and so
  /// /proc/<pid>/environ) is already gone while the state letter still says running.
  bool Exiting() const { return (flags & 0x4U) != 0; }
  /// A zombie, dead, or on its way there: not a live process whatever its pid says.
  bool Dying() const { return state == 'Z' || state == 'X' || Exiting(); }
};

/// Parses /proc/<pid>/stat (after the last ')', so odd comm names are fine); nullopt when gone.
std::optional<ProcStat> ReadProcStat(pid_t pid);
/// Parses the text of a stat file; nullopt when malformed.
std::optional<ProcStat> ParseProcStat(std::string_view text);
/// NUL-separated entries of /proc/<pid>/environ (empty when unreadable, e.g. a zombie).
std::vector<std::string> ReadEnviron(pid_t pid);
/// Value of `name` in /proc/<pid>/environ, nullopt when absent or unreadable.
std::optional<std::string> EnvironValue(pid_t pid, std::string_view name);

struct ProcessIdentity {
  pid_t pid = 0;
  std::string nonce;
  std::uint64_t starttime = 0;
};

enum class Liveness {
  kAlive,     ///< the very process we started
  kGone,      ///< no such pid, or a zombie
  kRecycled,  ///< the pid now belongs to another process (never signal it)
};
std::string_view ToString(Liveness l);

Liveness CheckIdentity(const ProcessIdentity& id);

/// Sends `sig` only if `id` is still alive; true when sent. Never signals a recycled pid.
bool SignalIfSame(const ProcessIdentity& id, int sig);

/// Polls until `id` is no longer alive; true when it went away within `timeout`.
bool WaitGone(const ProcessIdentity& id, std::chrono::milliseconds timeout,
              std::chrono::milliseconds poll = std::chrono::milliseconds(20));

/// Processes (other than `except`) whose environment holds `IRONWARD_PROXY_NONCE` and
/// HOME=`home`: proxies of this state directory that no pidfile tracks. Read-only.
std::vector<ProcessIdentity> FindStrays(const std::string& home, pid_t except);

}  // namespace ironward::daemon
