#include "controller/run/proxy_watch.h"

#include <sys/syscall.h>
#include <unistd.h>

#include "reconcilers/daemon/pid_record.h"
#include "reconcilers/daemon/process_identity.h"

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
  // Open first, then check identity: the pidfd pins the process, so a recycled pid cannot
  // slip in between the check and the watch.
  const int fd = static_cast<int>(::syscall(SYS_pidfd_open, record->pid, 0));
  if (fd < 0) return;
  const daemon::ProcessIdentity id{record->pid, record->nonce, record->starttime};
  if (daemon::CheckIdentity(id) != daemon::Liveness::kAlive) {
    ::close(fd);
    return;
  }
  fd_ = fd;
  pid_ = record->pid;
}

}  // namespace ironward::run
