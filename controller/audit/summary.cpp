#include "controller/audit/summary.h"

#include <fnmatch.h>

#include <algorithm>
#include <cctype>

#include "state/spec/units.h"

namespace ironward::audit {

bool Filter::Matches(const Record& r) const {
  if (denied_only && r.action != "reject") return false;
  if (since && (!r.time || *r.time < *since)) return false;
  if (!host_glob.empty() && ::fnmatch(host_glob.c_str(), HostName(r).c_str(), FNM_CASEFOLD) != 0) return false;
  return true;
}

std::optional<SystemTime> ParseSince(const std::string& text, SystemTime now, std::string* error) {
  // A time has a date: "YYYY-MM-DD..."; anything starting with digits and a unit is a duration.
  if (text.size() >= 10 && text[4] == '-' && text[7] == '-') {
    if (auto t = ParseTime(text)) return t;
    *error = "'" + text + "' is not an RFC 3339 time (e.g. 2026-05-01T10:00:00Z or 2026-05-01T12:00:00+02:00)";
    return std::nullopt;
  }
  std::string why;
  if (auto d = spec::ParseDuration(text, &why)) return now - *d;
  *error = "'" + text + "' is neither a duration (30m, 1h, 2d) nor an RFC 3339 time" + (why.empty() ? "" : ": " + why);
  return std::nullopt;
}

void Summary::Add(const Record& r) {
  ++records_;
  const std::string host = HostName(r);
  HostStats& h = hosts_[host];
  h.host = host;
  const std::string column = ActionColumn(r.action);
  if (column == "allowed") ++h.allowed;
  else if (column == "rejected") ++h.rejected;
  else if (column == "errors") ++h.errors;
  else ++h.other;
  if (r.time) {
    if (!h.first_seen || *r.time < *h.first_seen) h.first_seen = r.time;
    if (!h.last_seen || *r.time > *h.last_seen) h.last_seen = r.time;
  }
  if (const std::string src = SourceAddress(r.remote_addr); !src.empty()) h.sources.insert(src);
  // iron-proxy also names the rejecting transform on a reject that then failed (action error).
  if (r.action == "reject" && !r.rejected_by.empty()) h.rejected_by.insert(r.rejected_by);
}

std::vector<HostStats> Summary::Hosts() const {
  std::vector<HostStats> out;
  out.reserve(hosts_.size());
  for (const auto& [name, h] : hosts_) out.push_back(h);
  std::stable_sort(out.begin(), out.end(), [](const HostStats& a, const HostStats& b) {
    if (a.rejected != b.rejected) return a.rejected > b.rejected;
    if (a.total() != b.total()) return a.total() > b.total();
    return a.host < b.host;
  });
  return out;
}

void ReadLine(std::string_view line, ReadStats* stats, const std::function<void(const Record&)>& on_record) {
  ParsedLine parsed = ParseLine(line);
  switch (parsed.kind) {
    case LineKind::kRecord:
      ++stats->records;
      on_record(parsed.record);
      return;
    case LineKind::kOther:
      ++stats->other_lines;
      return;
    case LineKind::kGarbage:
      if (!line.empty()) ++stats->garbage;
      return;
  }
}

std::string SandboxOf(const std::string& source, const SandboxNames& names) {
  auto it = names.find(source);
  return it == names.end() ? source : it->second;
}

}  // namespace ironward::audit
