// ForEachBounded: runs the same job over N items on at most `limit` threads at once (the Docker
// reads and creates of a pass, each a blocking call over its own unix-socket connection).
#pragma once

#include <cstddef>
#include <functional>

namespace ironward {

/// Calls `job(i)` once for every i in [0, count), on up to `limit` threads at a time (the calling
/// thread is one of them), and returns when all calls have returned. Items are handed out in
/// order, so with limit 1 it is a plain loop. `job` must be safe to call concurrently; a job that
/// throws does not stop the others, and the first exception is rethrown here after all finished.
void ForEachBounded(std::size_t count, std::size_t limit, const std::function<void(std::size_t)>& job);

}  // namespace ironward
