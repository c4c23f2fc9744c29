// Durations and sizes as written in the desired state (Go-style durations, docker-style sizes).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ironward::spec {

/// Parses a Go-style duration ("87600h", "1h30m", "10m", "30s", "1.5h", "500ms") plus "d"
/// (24h). Units: ns, us, µs, ms, s, m, h, d. The total must be a whole number of seconds
/// and not negative. On failure returns nullopt and sets `error` (e.g. "negative duration").
std::optional<std::chrono::seconds> ParseDuration(std::string_view text, std::string* error);

/// Canonical short form: "87600h", "1h30m", "10m", "30s", "0s". Never uses "d".
std::string FormatDuration(std::chrono::seconds d);

/// Parses a memory size: an integer number of bytes, or an integer followed by a binary
/// unit b, k, m, g, t (case-insensitive, optionally followed by "b" or "ib": "2g", "512MiB").
std::optional<std::int64_t> ParseMemorySize(std::string_view text, std::string* error);

}  // namespace ironward::spec
