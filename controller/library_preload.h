// LibraryPreload: opens libcurl and libnftables on a second thread while the command reads and
// checks the desired state and observes the resources that need neither (binary, CA, tokens,
// secrets from files).
//
// Both are opened on first use (reconcilers/io/lazy_library.h), which keeps them out of every
// `--version`, `validate` or `status`; but a pass needs them soon: the network resource lists
// containers and reads the nftables table before the daemon resource runs, so a one-shot heal
// waited for about 35 libraries to load before it could start the proxy. Opening them in parallel
// takes that wait off the pass's critical path. The first real call waits for the load if it is
// still under way (LazyLibrary::Open is once-only and thread-safe).
#pragma once

#include <thread>

namespace ironward {

class LibraryPreload {
 public:
  LibraryPreload();
  /// Waits for the loads to finish (nothing is left running when the command returns).
  ~LibraryPreload() = default;
  LibraryPreload(const LibraryPreload&) = delete;
  LibraryPreload& operator=(const LibraryPreload&) = delete;

 private:
  std::jthread thread_;
};

}  // namespace ironward
