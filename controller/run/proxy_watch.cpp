#include "controller/run/proxy_watch.h"

#include <unistd.h>

#include "reconcilers/daemon/pid_record.h"

namespace ironward::run {

void ProxyWatch::Disarm() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  pid_ = 0;
}

void ProxyWatch::Arm(const state::StateReader& state) {
  auto text = state.Read(daemon::kPidFile);
  if (!text.ok() || !text->has_value()) {
    Disarm();
    return;
  }
  auto record = daemon::ParsePidRecord(**text);
  if (!record.ok() || record->pid <= 0) {
    Disarm();
    return;
  }
  if (record->pid == pid_ && fd_ >= 0) return;
  Disarm();
  const int fd = processes_.OpenExitWatch(ProcessIdentity{record->pid, record->nonce, record->starttime});
  if (fd < 0) return;
  fd_ = fd;
  pid_ = record->pid;
}

}  // namespace ironward::run
