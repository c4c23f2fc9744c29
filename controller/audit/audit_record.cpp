#include "controller/audit/audit_record.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>

#include "state/encoding.h"

namespace ironward::audit {
namespace {

constexpr std::string_view kTokenPrefix = "ironward-";
constexpr std::size_t kTokenHex = 32;  // MintToken: RandomHex(16)

bool IsHex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }
bool IsTokenChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_' || c == '.'; }

std::string Str(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

double Num(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : 0.0;
}

std::string ReplaceControls(std::string s) {
  for (char& c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = '?';
  }
  return s;
}

/// Drops user info, path, query and fragment from every "scheme://..." in `text`.
std::string CutUrls(std::string_view text) {
  std::string out;
  std::size_t pos = 0;
  for (;;) {
    const std::size_t sep = text.find("://", pos);
    if (sep == std::string_view::npos) break;
    const std::size_t host_start = sep + 3;
    auto stops_url = [](char c) { return c == '"' || c == '\'' || c == '`' || std::isspace(static_cast<unsigned char>(c)) != 0; };
    std::size_t end = host_start;
    while (end < text.size() && !stops_url(text[end])) ++end;
    const std::string_view rest = text.substr(host_start, end - host_start);
    std::string_view authority = rest.substr(0, std::min(rest.find_first_of("/?#"), rest.size()));
    if (const auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
    out.append(text.substr(pos, host_start - pos));
    out.append(authority);
    if (authority.size() < rest.size()) out.append("/REDACTED");
    pos = end;
  }
  out.append(text.substr(pos));
  return out;
}

}  // namespace

std::string RedactTokens(std::string_view text) {
  std::string out;
  std::size_t pos = 0;
  for (;;) {
    const std::size_t start = text.find(kTokenPrefix, pos);
    if (start == std::string_view::npos) break;
    std::size_t run_end = start + kTokenPrefix.size();
    while (run_end < text.size() && IsTokenChar(text[run_end])) ++run_end;
    // The first "-<32 hex>" (not followed by another hex digit) after a non-empty provider name.
    std::size_t hex_at = std::string_view::npos;
    for (std::size_t q = start + kTokenPrefix.size() + 1; q + kTokenHex < run_end; ++q) {
      if (text[q] != '-') continue;
      const std::string_view hex = text.substr(q + 1, kTokenHex);
      if (!std::all_of(hex.begin(), hex.end(), IsHex)) continue;
      if (q + 1 + kTokenHex < text.size() && IsHex(text[q + 1 + kTokenHex])) continue;
      hex_at = q + 1;
      break;
    }
    if (hex_at == std::string_view::npos) {
      out.append(text.substr(pos, start + kTokenPrefix.size() - pos));
      pos = start + kTokenPrefix.size();
      continue;
    }
    out.append(text.substr(pos, hex_at - pos));
    out.append("REDACTED");
    pos = hex_at + kTokenHex;
  }
  out.append(text.substr(pos));
  return out;
}

std::string SanitizeField(std::string_view text) { return ReplaceControls(RedactTokens(text)); }

std::string SanitizeError(std::string_view text) { return SanitizeField(CutUrls(text)); }

std::string FormatMillis(SystemTime t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
  std::tm tm{};
  ::gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char frac[8];
  std::snprintf(frac, sizeof frac, ".%03dZ", static_cast<int>(ms - static_cast<long long>(secs) * 1000));
  return std::string(buf) + frac;
}

std::optional<SystemTime> ParseTime(const std::string& text) {
  SystemTime base;
  if (!ParseRfc3339(text, &base)) return std::nullopt;
  // ParseRfc3339 skips the fraction; keep it (to the microsecond) for ordering and display.
  long long micros = 0;
  if (text.size() > 19 && text[19] == '.') {
    int digits = 0;
    for (std::size_t i = 20; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) && digits < 6; ++i) {
      micros = micros * 10 + (text[i] - '0');
      ++digits;
    }
    for (; digits < 6; ++digits) micros *= 10;
  }
  return base + std::chrono::microseconds(micros);
}

ParsedLine ParseLine(std::string_view line) {
  ParsedLine out;
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.remove_suffix(1);
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front()))) line.remove_prefix(1);
  if (line.empty() || line.front() != '{') return out;
  const nlohmann::json j = nlohmann::json::parse(line.begin(), line.end(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return out;
  out.kind = LineKind::kOther;
  const auto audit = j.find("audit");
  if (audit == j.end() || !audit->is_object()) return out;
  const auto action = audit->find("action");
  if (action == audit->end() || !action->is_string()) return out;
  out.kind = LineKind::kRecord;
  Record& r = out.record;
  r.time = ParseTime(Str(j, "time"));
  r.host = SanitizeField(Str(*audit, "host"));
  r.method = SanitizeField(Str(*audit, "method"));
  r.path = SanitizeField(Str(*audit, "path"));
  r.remote_addr = SanitizeField(Str(*audit, "remote_addr"));
  r.sni = SanitizeField(Str(*audit, "sni"));
  r.mode = SanitizeField(Str(*audit, "mode"));
  r.action = SanitizeField(action->get<std::string>());
  r.status_code = static_cast<int>(Num(*audit, "status_code"));
  r.duration_ms = Num(*audit, "duration_ms");
  r.rejected_by = SanitizeField(Str(j, "rejected_by"));
  r.error = SanitizeError(Str(j, "error"));
  return out;
}

std::string HostName(const Record& r) {
  std::string h = AsciiLower(r.host);
  if (!h.empty() && h.front() == '[') {
    const auto close = h.find(']');
    h = close == std::string::npos ? h.substr(1) : h.substr(1, close - 1);
  } else if (std::count(h.begin(), h.end(), ':') == 1) {
    h.erase(h.find(':'));
  }
  if (!h.empty() && h.back() == '.') h.pop_back();
  return h;
}

std::string SourceAddress(std::string_view remote_addr) {
  if (!remote_addr.empty() && remote_addr.front() == '[') {
    const auto close = remote_addr.find(']');
    return std::string(close == std::string_view::npos ? remote_addr.substr(1) : remote_addr.substr(1, close - 1));
  }
  if (std::count(remote_addr.begin(), remote_addr.end(), ':') == 1) return std::string(remote_addr.substr(0, remote_addr.find(':')));
  return std::string(remote_addr);
}

const char* ActionColumn(std::string_view action) {
  if (action == "allow") return "allowed";
  if (action == "reject") return "rejected";
  if (action == "error") return "errors";
  return "other";
}

}  // namespace ironward::audit
