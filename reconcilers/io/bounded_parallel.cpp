#include "reconcilers/io/bounded_parallel.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace ironward {

void ForEachBounded(std::size_t count, std::size_t limit, const std::function<void(std::size_t)>& job) {
  const std::size_t workers = std::min(count, std::max<std::size_t>(limit, 1));
  if (workers <= 1) {
    for (std::size_t i = 0; i < count; ++i) job(i);
    return;
  }
  std::atomic<std::size_t> next{0};
  std::mutex mu;
  std::exception_ptr first_error;
  auto work = [&] {
    for (std::size_t i = next.fetch_add(1); i < count; i = next.fetch_add(1)) {
      try {
        job(i);
      } catch (...) {
        std::lock_guard lock(mu);
        if (!first_error) first_error = std::current_exception();
      }
    }
  };
  {
    std::vector<std::jthread> helpers;
    helpers.reserve(workers - 1);
    for (std::size_t w = 1; w < workers; ++w) helpers.emplace_back(work);
    work();
  }  // joined here
  if (first_error) std::rethrow_exception(first_error);
}

}  // namespace ironward
