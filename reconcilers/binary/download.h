// Downloading release artifacts: GET with a timeout, retries with exponential back-off for
// transient failures, an optional progress line, and the checksums.txt lookup.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "reconcilers/io/http_client.h"
#include "reconcilers/io/progress.h"
#include "state/result.h"

namespace ironward::binary {

/// Waits between attempts (injected so tests never sleep).
using Sleeper = std::function<void(std::chrono::milliseconds)>;
using ironward::ProgressSink;  // reconcilers/io/progress.h
using ironward::TerminalProgressSink;

struct FetchOptions {
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};  ///< whole transfer
  int retries = 3;                                             ///< after the first attempt
  std::chrono::milliseconds backoff{1000};                     ///< doubles per retry: 1s, 2s, 4s
  std::size_t max_bytes = 1024U * 1024U;
  Sleeper sleep;           ///< required when retries > 0
  ProgressSink progress;   ///< null = silent
  std::string label;       ///< shown in the progress line (the archive name)
};

struct Fetched {
  bool found = false;  ///< false: HTTP 404/410, or a file:// path that cannot be read
  long status = 0;
  std::string body;
  int attempts = 0;    ///< requests made
};

/// GET `url`. Transport errors, 408, 425, 429 and 5xx are retried; when every attempt failed the
/// error is transient. Any other non-2xx status (401, 403, ...) is terminal. The response body of
/// a failure is never quoted.
Result<Fetched> FetchWithRetry(HttpClient& http, const std::string& url, const FetchOptions& options);

/// "iron-proxy_0.39.0_linux_amd64.tar.gz  3.2 MiB / 20.0 MiB  16%".
std::string FormatProgress(std::string_view label, std::uint64_t done, std::uint64_t total);

/// The lowercase sha256 that a goreleaser checksums.txt ("<64 hex>  <name>" lines, an optional
/// '*' before the name) lists for `archive_name`; nullopt when there is no such line.
std::optional<std::string> ChecksumFor(std::string_view checksums_txt, std::string_view archive_name);

}  // namespace ironward::binary
