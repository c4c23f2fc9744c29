// The ten probes. Each one turns command output / file contents into a SignalResult and never
// throws, hangs or crashes on odd input: missing tool → skip, hung tool or garbage → warn.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reconcilers/io/command_runner.h"
#include "controller/harden/file_reader.h"
#include "controller/harden/proxy_probe.h"
#include "controller/harden/signal.h"

namespace ironward::harden {

struct ProbeEnv {
  CommandRunner& runner;
  FileReader& files;
  ProxyProbe& proxy;
  std::chrono::milliseconds timeout{3000};  ///< per command
  bool is_root = false;
  bool linux_host = true;
  std::string state_dir;    ///< ironward's state directory
  std::string sshd_config;  ///< main sshd_config path
};

SignalResult ProbeTailscale(const ProbeEnv& env);
SignalResult ProbeUfw(const ProbeEnv& env);
SignalResult ProbeFirewalld(const ProbeEnv& env);
SignalResult ProbeNftables(const ProbeEnv& env);
SignalResult ProbeFail2ban(const ProbeEnv& env);
SignalResult ProbeSshPasswordAuth(const ProbeEnv& env);
SignalResult ProbeSshRootLogin(const ProbeEnv& env);
SignalResult ProbeIronProxyEnabled(const ProbeEnv& env);
SignalResult ProbeIronProxyRunning(const ProbeEnv& env);
SignalResult ProbeDockerSeccomp(const ProbeEnv& env);

// Shared by the probes (signals_common.cpp).
inline constexpr std::string_view kRunAsRoot = "run as root (sudo ironward harden)";
inline constexpr std::string_view kReconcileFix = "run `ironward reconcile -f FILE`";

SignalResult Make(std::string_view name, SignalStatus status, std::string detail, std::string fix = "");
/// Runs argv; when the command did not run to completion returns the signal to report
/// (missing binary → skip with `install_hint`, timeout / spawn failure / signal → warn).
std::optional<SignalResult> RunOrReport(const ProbeEnv& env, std::string_view name,
                                        const std::vector<std::string>& argv, std::string_view install_hint,
                                        CommandResult* out);
/// Skip for tools that only exist on Linux.
std::optional<SignalResult> LinuxOnly(const ProbeEnv& env, std::string_view name);
std::string Trim(std::string_view s);
std::string FirstLine(std::string_view s, std::size_t max_len = 160);
bool ContainsNoCase(std::string_view haystack, std::string_view needle);
/// stderr's first line, else stdout's: the most useful one-liner about a failed command.
std::string Complaint(const CommandResult& r);
bool LooksDenied(const CommandResult& r);

}  // namespace ironward::harden
