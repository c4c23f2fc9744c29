#include "controller/audit/audit_output.h"

#include <algorithm>
#include <cstdio>

namespace ironward::audit {
namespace {

/// Sandboxes shown in a text cell; the rest as "+N more" (JSON and CSV list them all).
constexpr std::size_t kSandboxesShown = 3;

std::string Time(const std::optional<SystemTime>& t) { return t ? FormatMillis(*t) : "-"; }

nlohmann::json TimeJson(const std::optional<SystemTime>& t) {
  return t ? nlohmann::json(FormatMillis(*t)) : nlohmann::json(nullptr);
}

/// Client names, sorted and without duplicates (two addresses of one container).
std::vector<std::string> Sandboxes(const HostStats& h, const SandboxNames& names) {
  std::vector<std::string> out;
  for (const auto& src : h.sources) out.push_back(SandboxOf(src, names));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::string Joined(const std::vector<std::string>& items, const char* sep, std::size_t max = SIZE_MAX) {
  std::string out;
  for (std::size_t i = 0; i < items.size() && i < max; ++i) out += (i == 0 ? "" : sep) + items[i];
  if (items.size() > max) out += std::string(sep) + "+" + std::to_string(items.size() - max) + " more";
  return out;
}

std::string Duration(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, ms < 1 ? "%.3fms" : "%.1fms", ms);  // sub-millisecond decisions are common
  return buf;
}

std::string ShownHost(const std::string& host) { return host.empty() ? "(none)" : host; }

}  // namespace

std::string CsvField(const std::string& value) {
  std::string v = value;
  if (!v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@')) v.insert(0, "'");
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string SummaryText(const std::vector<HostStats>& hosts, const SandboxNames& names, const SummaryContext& ctx) {
  std::string out;
  if (hosts.empty()) {
    out = "No request records";
  } else {
    std::vector<std::vector<std::string>> rows = {
        {"HOST", "ALLOWED", "REJECTED", "ERRORS", "OTHER", "FIRST SEEN", "LAST SEEN", "SANDBOXES"}};
    for (const auto& h : hosts) {
      rows.push_back({ShownHost(h.host), std::to_string(h.allowed), std::to_string(h.rejected), std::to_string(h.errors),
                      std::to_string(h.other), Time(h.first_seen), Time(h.last_seen),
                      Joined(Sandboxes(h, names), ", ", kSandboxesShown)});
    }
    std::vector<std::size_t> width(rows.front().size(), 0);
    for (const auto& row : rows) {
      for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
    }
    for (const auto& row : rows) {
      std::string line;
      for (std::size_t i = 0; i < row.size(); ++i) {
        line += row[i];
        if (i + 1 < row.size()) line += std::string(width[i] - row[i].size() + 2, ' ');
      }
      out += line + "\n";
    }
    out += "\n" + std::to_string(ctx.matched) + " record(s), " + std::to_string(hosts.size()) + " host(s)";
  }
  const Filter* f = ctx.filter;
  if (f != nullptr && f->since) out += " since " + FormatMillis(*f->since);
  if (f != nullptr && !f->host_glob.empty()) out += " for hosts matching '" + f->host_glob + "'";
  if (f != nullptr && f->denied_only) out += ", rejected only";
  if (const ReadStats* s = ctx.stats; s != nullptr) {
    out += s->files.empty() ? " (no log lines read)" : " (read " + Joined(s->files, ", ") + ")";
    if (s->lost > 0) out += "; " + std::to_string(s->lost) + " rotated log(s) were gone before they could be read";
  }
  return out + ".\n";
}

nlohmann::json SummaryJson(const std::vector<HostStats>& hosts, const SandboxNames& names, const SummaryContext& ctx) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& h : hosts) {
    list.push_back({{"host", h.host},
                    {"allowed", h.allowed},
                    {"rejected", h.rejected},
                    {"errors", h.errors},
                    {"other", h.other},
                    {"total", h.total()},
                    {"first_seen", TimeJson(h.first_seen)},
                    {"last_seen", TimeJson(h.last_seen)},
                    {"sandboxes", Sandboxes(h, names)},
                    {"sources", std::vector<std::string>(h.sources.begin(), h.sources.end())},
                    {"rejected_by", std::vector<std::string>(h.rejected_by.begin(), h.rejected_by.end())}});
  }
  const Filter* f = ctx.filter;
  const ReadStats* s = ctx.stats;
  return {{"since", f != nullptr ? TimeJson(f->since) : nlohmann::json(nullptr)},
          {"host_pattern", f != nullptr && !f->host_glob.empty() ? nlohmann::json(f->host_glob) : nlohmann::json(nullptr)},
          {"denied_only", f != nullptr && f->denied_only},
          {"files", s != nullptr ? s->files : std::vector<std::string>{}},
          {"records_read", s != nullptr ? s->records : 0},
          {"records_matched", ctx.matched},
          {"lines_skipped", s != nullptr ? s->other_lines + s->garbage : 0},
          {"rotations_lost", s != nullptr ? s->lost : 0},
          {"hosts", list}};
}

std::string SummaryCsv(const std::vector<HostStats>& hosts, const SandboxNames& names) {
  std::string out = "host,allowed,rejected,errors,other,total,first_seen,last_seen,sandboxes,rejected_by\r\n";
  for (const auto& h : hosts) {
    const std::vector<std::string> rejected_by(h.rejected_by.begin(), h.rejected_by.end());
    out += CsvField(h.host) + "," + std::to_string(h.allowed) + "," + std::to_string(h.rejected) + "," +
           std::to_string(h.errors) + "," + std::to_string(h.other) + "," + std::to_string(h.total()) + "," +
           (h.first_seen ? FormatMillis(*h.first_seen) : "") + "," + (h.last_seen ? FormatMillis(*h.last_seen) : "") +
           "," + CsvField(Joined(Sandboxes(h, names), " ")) + "," + CsvField(Joined(rejected_by, " ")) + "\r\n";
  }
  return out;
}

std::string RecordText(const Record& r, const SandboxNames& names) {
  std::string action = r.action;
  if (action.size() < 6) action.resize(6, ' ');  // "allow " and "reject" line up
  std::string line = Time(r.time) + "  " + action + "  " + (r.method.empty() ? "-" : r.method) + " " +
                     (r.host.empty() ? "(none)" : r.host) + r.path + "  " + std::to_string(r.status_code) + "  " +
                     Duration(r.duration_ms) + "  " + SandboxOf(SourceAddress(r.remote_addr), names);
  if (!r.rejected_by.empty()) line += "  rejected_by=" + r.rejected_by;
  if (!r.error.empty()) line += "  error=" + nlohmann::json(r.error).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return line + "\n";
}

nlohmann::json RecordJson(const Record& r, const SandboxNames& names) {
  const std::string source = SourceAddress(r.remote_addr);
  return {{"time", TimeJson(r.time)},     {"action", r.action},          {"host", HostName(r)},
          {"target", r.host},             {"method", r.method},          {"path", r.path},
          {"status_code", r.status_code}, {"duration_ms", r.duration_ms}, {"sandbox", SandboxOf(source, names)},
          {"source", source},             {"sni", r.sni},                {"mode", r.mode},
          {"rejected_by", r.rejected_by}, {"error", r.error}};
}

std::string RecordCsvHeader() {
  return "time,action,host,target,method,path,status_code,duration_ms,sandbox,source,rejected_by,error\r\n";
}

std::string RecordCsv(const Record& r, const SandboxNames& names) {
  const std::string source = SourceAddress(r.remote_addr);
  char duration[32];
  std::snprintf(duration, sizeof duration, "%.3f", r.duration_ms);
  return (r.time ? FormatMillis(*r.time) : "") + "," + CsvField(r.action) + "," + CsvField(HostName(r)) + "," +
         CsvField(r.host) + "," + CsvField(r.method) + "," + CsvField(r.path) + "," + std::to_string(r.status_code) +
         "," + duration + "," + CsvField(SandboxOf(source, names)) + "," + CsvField(source) + "," +
         CsvField(r.rejected_by) + "," + CsvField(r.error) + "\r\n";
}

}  // namespace ironward::audit
