#include "controller/run/mailbox.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

namespace ironward::run {

Mailbox::Mailbox() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

Mailbox::~Mailbox() {
  if (fd_ >= 0) ::close(fd_);
}

void Mailbox::Post(Message m) {
  {
    std::lock_guard lock(mu_);
    messages_.push_back(std::move(m));
  }
  const std::uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(fd_, &one, sizeof(one));
}

std::vector<Message> Mailbox::Drain() {
  std::uint64_t count = 0;
  [[maybe_unused]] const ssize_t n = ::read(fd_, &count, sizeof(count));
  std::lock_guard lock(mu_);
  std::vector<Message> out;
  out.swap(messages_);
  return out;
}

}  // namespace ironward::run
