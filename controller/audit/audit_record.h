// One iron-proxy request record, parsed from a line of iron-proxy.log.
//
// iron-proxy (v0.39, internal/transform/audit.go) logs every request it decides on as a slog
// JSON line: {"time": RFC 3339 (nanoseconds, local offset), "level", "msg": "request",
// "audit": {host, method, path, remote_addr, sni, mode, action, status_code, duration_ms},
// "rejected_by" | "stubbed_by" (the transform that short-circuited), "error", "tunnel": {target,
// ...}, "request_transforms", "response_transforms"}. action is allow | reject | error |
// client_cancel | stub (| unknown). A CONNECT is a record of its own (method CONNECT, host
// "name:port", path ""), and so is each request iron-proxy handles inside the tunnel.
//
// Every string taken from the log is made safe to print once, here: proxy tokens
// ("ironward-<provider>-<32 hex>") are redacted wherever they appear (a provider with `in: path`
// puts one in the path; an agent can put one in a host name), URLs inside error messages lose
// their path and query (after the swap they can hold the real key), and control characters
// become '?'. Nothing downstream sees the raw text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "reconcilers/io/clock.h"

namespace ironward::audit {

struct Record {
  std::optional<SystemTime> time;  ///< the line's "time" (absent or unparseable: nullopt)
  std::string host;                ///< as logged ("api.example.com", "name:443"), redacted
  std::string method;
  std::string path;                ///< URL path (v0.39 logs no query string), tokens redacted
  std::string remote_addr;         ///< "172.18.0.5:41234"
  std::string sni;
  std::string mode;                ///< mitm | sni-only
  std::string action;              ///< allow | reject | error | client_cancel | stub | unknown
  int status_code = 0;
  double duration_ms = 0;
  std::string rejected_by;         ///< the transform that rejected it (reject only)
  std::string error;               ///< sanitised error text (action error)
};

enum class LineKind {
  kRecord,   ///< a request record
  kOther,    ///< a JSON log line that is not a request record (start-up, reload, warnings)
  kGarbage,  ///< not a JSON object: plain stderr text, a partial or corrupt line
};

struct ParsedLine {
  LineKind kind = LineKind::kGarbage;
  Record record;  ///< set when kind == kRecord
};

/// Parses one line (without its newline). Never throws.
ParsedLine ParseLine(std::string_view line);

/// The host a record is about: lowercase, without port or IPv6 brackets ("api.example.com:443"
/// → "api.example.com", "[::1]:443" → "::1"); "" when the proxy logged none (sni-only, no SNI).
std::string HostName(const Record& r);
/// The client address without its port ("172.18.0.5:41234" → "172.18.0.5").
std::string SourceAddress(std::string_view remote_addr);
/// "allowed" | "rejected" | "errors" | "other": the summary column an action counts in.
const char* ActionColumn(std::string_view action);

/// Replaces each proxy token ("ironward-<provider>-<32 hex>") with "ironward-<provider>-REDACTED".
std::string RedactTokens(std::string_view text);
/// RedactTokens, then control characters replaced by '?': every string field of a Record.
std::string SanitizeField(std::string_view text);
/// SanitizeField, and every URL cut to scheme://host (path, query and user info dropped): the
/// error text, where Go quotes the upstream URL after the token was swapped for the real key.
std::string SanitizeError(std::string_view text);

/// UTC RFC 3339 with milliseconds: "2026-05-01T10:00:00.123Z".
std::string FormatMillis(SystemTime t);
/// RFC 3339 with optional fraction (kept to the microsecond) and Z or ±hh:mm; nullopt otherwise.
std::optional<SystemTime> ParseTime(const std::string& text);

}  // namespace ironward::audit
