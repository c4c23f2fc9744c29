// slog-style JSON logger on stderr: one object per line, keys time, level, msg, then attributes.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace irondouble {

using Json = nlohmann::ordered_json;

enum class Level { kDebug = -4, kInfo = 0, kWarn = 4, kError = 8 };

// Parses a log.level value the way iron-proxy does; false for unknown names.
bool ParseLevel(std::string_view name, Level* out);

void SetLogLevel(Level level);
bool LevelEnabled(Level level);

// Writes {"time":…,"level":…,"msg":…, <attrs…>} to stderr when the level is enabled.
// attrs must be an object (or null for none).
void Log(Level level, std::string_view msg, const Json& attrs = Json());

// Writes a plain line (with newline appended) to stderr, like fmt.Fprintln(os.Stderr, …).
void PlainStderr(std::string_view line);

// RFC 3339 with nanoseconds (trailing zeros trimmed) in the local zone, like Go's RFC3339Nano.
std::string NowRfc3339Nano();

// Duration in microseconds rendered as Go's float64(us)/1000 would be by slog.
Json DurationMs(long long micros);

}  // namespace irondouble
