// Fixture: a survey over fakes, preloaded with a healthy host; tests spoil one thing at a time.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>

#include "controller/harden/survey.h"
#include "reconcilers/daemon/pid_record.h"
#include "tests/harden/fakes.h"

namespace ironward::harden::testing {

inline constexpr const char* kSshd = "/etc/ssh/sshd_config";
inline constexpr const char* kState = "/state";
inline constexpr pid_t kProxyPid = 4242;

/// iron-proxy.pid as the daemon reconciler writes it.
inline std::string PidFileText(pid_t pid) {
  daemon::PidRecord record;
  record.pid = pid;
  record.nonce = "n0nce";
  record.starttime = 777;
  record.state = daemon::RecordState::kRunning;
  return daemon::SerializePidRecord(record);
}

class SurveyFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    runner_->Set("tailscale", CommandResult::Exited(0, R"({"Version":"1.70.0","BackendState":"Running","Self":{}})"));
    runner_->Set("ufw", CommandResult::Exited(0,
                                              "Status: active\nLogging: on (low)\n"
                                              "Default: deny (incoming), allow (outgoing), disabled (routed)\n"
                                              "New profiles: skip\n"));
    runner_->Set("firewall-cmd", CommandResult::Exited(0, "running\n"));
    runner_->Set("nft",
                 CommandResult::Exited(0,
                                       "table inet filter {\n\tchain input {\n\t\ttype filter hook input priority "
                                       "filter; policy drop;\n\t}\n}\n"));
    runner_->Set("fail2ban-client", CommandResult::Exited(0, "Status\n|- Number of jail:\t1\n`- Jail list:\tsshd\n"));
    runner_->Set("docker",
                 CommandResult::Exited(0, R"(["name=apparmor","name=seccomp,profile=builtin","name=cgroupns"])"
                                          "\n"));
    files_->Put(kSshd,
                "Include /etc/ssh/sshd_config.d/*.conf\n"
                "PermitRootLogin prohibit-password\n"
                "PasswordAuthentication no\n"
                "KbdInteractiveAuthentication no\n"
                "UsePAM yes\n");
    files_->Put(std::string(kState) + "/proxy.yaml", "proxy:\n  tunnel_listen: 127.0.0.1:9090\n");
    files_->Put(std::string(kState) + "/iron-proxy.pid", PidFileText(kProxyPid));
    files_->Put(std::string(kState) + "/status.json",
                R"({"resources":{"daemon":{"conditions":[{"type":"Ready","status":"True","reason":"Running"}]}}})");
  }

  SurveyDeps Deps() const {
    SurveyDeps d;
    d.runner = runner_;
    d.files = files_;
    d.proxy = proxy_;
    d.state_dir = kState;
    d.sshd_config = kSshd;
    d.is_root = true;
    d.linux_host = true;
    d.probe_timeout = std::chrono::milliseconds(3000);
    return d;
  }

  HardenReport Survey() const { return RunSurvey(deps_override_ ? *deps_override_ : Deps()); }

  SignalResult Signal(std::string_view name) const {
    HardenReport report = Survey();
    for (const auto& s : report.signals) {
      if (s.name == name) return s;
    }
    ADD_FAILURE() << "no signal " << name;
    return {};
  }

  void SetSshd(const std::string& text) { files_->Put(kSshd, text); }

  using FakeProcesses = ::ironward::testing::FakeProcesses;
  std::shared_ptr<FakeProcesses> runner_ = std::make_shared<FakeProcesses>();
  std::shared_ptr<FakeFiles> files_ = std::make_shared<FakeFiles>();
  std::shared_ptr<FakeProxyProbe> proxy_ = std::make_shared<FakeProxyProbe>();
  std::shared_ptr<SurveyDeps> deps_override_;
};

}  // namespace ironward::harden::testing
