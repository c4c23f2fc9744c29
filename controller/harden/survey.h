// RunSurvey: all ten probes, concurrently, each command bounded by probe_timeout and the whole
// survey by overall_timeout (a probe still running then is reported as a warn and abandoned;
// its thread owns everything it touches, so nothing dangles).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "controller/harden/baseline.h"
#include "reconcilers/io/command_runner.h"
#include "controller/harden/file_reader.h"
#include "controller/harden/proxy_probe.h"
#include "controller/harden/report.h"

namespace ironward::harden {

bool RunningAsRoot();

struct SurveyDeps {
  std::shared_ptr<CommandRunner> runner;  ///< null → RealProcesses
  std::shared_ptr<FileReader> files;      ///< null → RealFileReader
  std::shared_ptr<ProxyProbe> proxy;      ///< null → RealProxyProbe
  std::string state_dir = "/var/lib/ironward";
  std::string sshd_config = "/etc/ssh/sshd_config";
  Baseline baseline = Baseline::kMinimal;
  bool is_root = RunningAsRoot();
#ifdef __linux__
  bool linux_host = true;
#else
  bool linux_host = false;
#endif
  std::chrono::milliseconds probe_timeout{3000};
  std::chrono::milliseconds overall_timeout{10000};
};

/// Never throws; always returns all ten signals in kSignalNames order.
HardenReport RunSurvey(const SurveyDeps& deps);

}  // namespace ironward::harden
