// A thread-safe message list with an eventfd the loop sleeps on: helper threads (Docker events,
// the harden survey) post, the loop wakes, drains and handles messages on its own thread.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ironward::run {

struct Message {
  std::string kind;  ///< "docker" | "harden" | ...
  std::string text;  ///< short, non-sensitive description
  nlohmann::json data;
};

class Mailbox {
 public:
  Mailbox();
  ~Mailbox();
  Mailbox(const Mailbox&) = delete;
  Mailbox& operator=(const Mailbox&) = delete;

  /// Thread-safe; wakes the loop.
  void Post(Message m);
  /// Clears the eventfd and returns everything posted so far.
  std::vector<Message> Drain();
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  std::mutex mu_;
  std::vector<Message> messages_;
};

}  // namespace ironward::run
