#include "controller/harden/survey.h"

#include <unistd.h>

#include <array>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "controller/harden/signals.h"

namespace ironward::harden {
namespace {

using Probe = SignalResult (*)(const ProbeEnv&);

constexpr std::array<Probe, kSignalNames.size()> kProbes = {
    ProbeTailscale,       ProbeUfw,          ProbeFirewalld,        ProbeNftables,         ProbeFail2ban,
    ProbeSshPasswordAuth, ProbeSshRootLogin, ProbeIronProxyEnabled, ProbeIronProxyRunning, ProbeDockerSeccomp};

// Shared between RunSurvey and the probe threads; the last owner frees it.
struct Board {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::optional<SignalResult>> results = std::vector<std::optional<SignalResult>>(kSignalNames.size());
  std::size_t done = 0;
};

}  // namespace

bool RunningAsRoot() { return ::geteuid() == 0; }

HardenReport RunSurvey(const SurveyDeps& deps) {
  const auto start = std::chrono::steady_clock::now();
  const auto processes = std::make_shared<RealProcesses>();
  std::shared_ptr<CommandRunner> runner = deps.runner ? deps.runner : processes;
  std::shared_ptr<FileReader> files = deps.files ? deps.files : std::make_shared<RealFileReader>();
  std::shared_ptr<ProxyProbe> proxy = deps.proxy ? deps.proxy : std::make_shared<RealProxyProbe>(processes);
  auto board = std::make_shared<Board>();

  for (std::size_t i = 0; i < kProbes.size(); ++i) {
    auto task = [board, runner, files, proxy, deps, i] {
      SignalResult result;
      try {
        ProbeEnv env{*runner,      *files,          *proxy,         deps.probe_timeout,
                     deps.is_root, deps.linux_host, deps.state_dir, deps.sshd_config};
        result = kProbes[i](env);
      } catch (const std::exception& e) {
        result = Make(kSignalNames[i], SignalStatus::kWarn, std::string("probe failed: ") + e.what(), "");
      } catch (...) {
        result = Make(kSignalNames[i], SignalStatus::kWarn, "probe failed", "");
      }
      std::lock_guard<std::mutex> lock(board->mu);
      board->results[i] = std::move(result);
      ++board->done;
      board->cv.notify_all();
    };
    try {
      std::thread(task).detach();
    } catch (const std::system_error&) {
      task();  // cannot start a thread: run it here (each command is still bounded)
    }
  }

  HardenReport report;
  {
    std::unique_lock<std::mutex> lock(board->mu);
    board->cv.wait_until(lock, start + deps.overall_timeout, [&] { return board->done == kProbes.size(); });
    for (std::size_t i = 0; i < kProbes.size(); ++i) {
      if (board->results[i]) {
        report.signals.push_back(*board->results[i]);
      } else {
        report.signals.push_back(
            Make(kSignalNames[i], SignalStatus::kWarn,
                 "probe did not finish within " + std::to_string(deps.overall_timeout.count()) + " ms", ""));
      }
    }
  }
  report.verdict = EvaluateBaseline(deps.baseline, report.signals);
  report.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  return report;
}

}  // namespace ironward::harden
