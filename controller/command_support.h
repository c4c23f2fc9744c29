// Pieces every command shares: state-dir resolution, logging, loading the desired state,
// the real outside-world dependencies, and git revision lookup for history.
#pragma once

#include <nlohmann/json.hpp>

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "controller/cli.h"
#include "reconcilers/io/process.h"

namespace CLI {
class Option;
}
#include "state/spec/spec.h"
#include "reconcilers/io/clock.h"
#include "reconcilers/io/file_reader.h"
#include "reconcilers/io/host_info.h"
#include "reconcilers/io/http_client.h"
#include "reconcilers/docker/docker_client.h"
#include "reconcilers/host_firewall/firewalld.h"
#include "reconcilers/host_firewall/ufw.h"
#include "reconcilers/network/nft_firewall.h"
#include "reconcilers/network/libnft_runner.h"
#include "reconcilers/reconciler.h"

namespace ironward {

inline constexpr const char* kDefaultStateDir = "/var/lib/ironward";

/// --state-dir, else $IRONWARD_STATE_DIR, else /var/lib/ironward.
std::string ResolveStateDir(const GlobalOptions& global);
/// "ironward", or "ironward --state-dir 'DIR'" when the state dir is not the default: every
/// command a message tells the user to run must act on the same state directory.
std::string IronwardCommand(const std::string& state_dir);
/// spdlog to stderr at --log-level; a bad level is reported and "info" used.
void SetupLogging(const GlobalOptions& global);

/// Adds `-f,--file FILE` to `cmd`, one file per `-f`, repeatable: the desired state, then
/// overlays merged onto it in order (docs/desired-state.md#overlays). `-f -` (stdin) may be
/// given once; twice is a usage error (exit 64).
/// `required` false: the command runs without one (audit's --suggest).
CLI::Option* AddDesiredFileOption(CLI::App* cmd, std::vector<std::string>* files, const std::string& help,
                                  bool required = true);

/// Loads (several files: merged in order; "-" is stdin) and validates; prints every diagnostic
/// as FILE:LINE:COL: message to `err`. source_path(s) are made absolute.
std::optional<spec::DesiredState> LoadDesiredState(const std::vector<std::string>& paths, std::ostream& err);

/// The files as the arguments of a command to paste: "-f 'a.yaml' -f 'hosts/web1.yaml'".
std::string FileArgs(const std::vector<std::string>& paths);
/// The files in a sentence: "a.yaml + hosts/web1.yaml".
std::string FilesLabel(const std::vector<std::string>& paths);

/// What `run` and `status` compare to tell whether the desired-state files changed: the
/// SHA-256 of the file's bytes ("missing" when it cannot be read); with several files the
/// SHA-256 of theirs, one per line, in order.
std::string DesiredFilesDigest(const std::vector<std::string>& paths);
/// The files of a desired_refused record in status.json: "paths", or the older "path" alone.
std::vector<std::string> RefusedPaths(const nlohmann::json& refusal);

/// Writes `text` to `path` (outside the state directory: a plan, a wiring file) atomically: a
/// 0600 temp file beside it, fsync, rename. Never follows a symlink at the temp path. `what`
/// names the file in errors ("plan").
Status WritePrivateFileAtomic(const std::string& path, std::string_view text, const std::string& what);

/// `s` padded with spaces to `n` columns (table cells of status and verify).
std::string PadRight(std::string s, std::size_t n);

/// j[key] when j is an object holding a string there, else "" (status.json sections).
std::string JsonString(const nlohmann::json& j, const char* key);

/// The real outside world.
struct Runtime {
  Runtime();

  RealClock clock;
  CurlHttpClient http;
  RealHostInfo host;
  RealFileReader files;
  /// From DOCKER_HOST (default unix:///var/run/docker.sock); null when DOCKER_HOST names a
  /// transport we do not speak (reconcilers that need the engine then report docker_error).
  /// Nothing connects until a reconciler makes its first call.
  std::unique_ptr<docker::DockerClient> docker;
  std::string docker_error;
  /// The host firewall (table inet ironward only, through libnftables in process).
  netfilter::LibNftRunner nft;
  netfilter::NftFirewall firewall{nft};
  /// Other processes: run, spawn, /proc identity, signals (reconcilers/io/process.h).
  RealProcesses processes;
  /// ufw and firewalld through their CLIs (reconcilers/host_firewall).
  hostfw::UfwFirewall ufw{processes, std::chrono::seconds(15), &files};
  hostfw::FirewalldFirewall firewalld{processes, std::chrono::seconds(20), &files, &processes};

  /// What planning gets (a dry run, and the re-plan before an apply): the read halves.
  ReadDeps Reads(const state::StateReader& state);
  /// What apply gets.
  WriteDeps Writes(state::StateWriter& state);
};

/// Full commit id HEAD points to in the git repository holding `file` (reads .git directly: loose
/// and packed refs, detached HEAD, linked worktrees), or "" outside a repository or before its
/// first commit. Uncommitted edits of `file` are not flagged.
std::string GitRevisionOf(const std::string& file);
/// The revision of a desired state made of several files: the distinct revisions of the
/// repositories holding them, in file order, joined by "+" (one id when they share a
/// repository; files outside a repository add nothing).
std::string GitRevisionOf(const std::vector<std::string>& files);

}  // namespace ironward
