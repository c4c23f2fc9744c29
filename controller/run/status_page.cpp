#include "controller/run/status_page.h"

#include <algorithm>
#include <set>
#include <sstream>

#include "controller/audit/audit_record.h"
#include "controller/command_support.h"
#include "state/encoding.h"

namespace ironward::run {
namespace {

using std::chrono::seconds;

/// Longer detail values are cut: the page is an overview, `ironward status -o json` has it all.
constexpr std::size_t kMaxDetailChars = 400;
/// CA expiry shown as a warning below this (the shipped alert fires at 14 days too).
constexpr auto kCaWarning = std::chrono::hours(24 * 14);

constexpr const char* kStyle = R"(
body{font:14px/1.4 system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:0 16px 32px;color:#1d1d1f;background:#fafafa}
h1{font-size:22px;margin:16px 0 4px}h2{font-size:17px;margin:24px 0 8px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%;background:#fff}th,td{text-align:left;padding:4px 8px;border:1px solid #e2e2e2;vertical-align:top}
th{background:#f0f0f0}td.num{text-align:right;font-variant-numeric:tabular-nums}.muted{color:#666}
.ok{color:#0a6b20}.bad{color:#b00020;font-weight:600}.warn{color:#8a5a00;font-weight:600}
.badge{display:inline-block;padding:2px 10px;border-radius:10px;color:#fff;font-weight:600}
.badge.ok{background:#0a6b20}.badge.bad{background:#b00020}
.banner{border:2px solid #b00020;background:#fff0f0;padding:8px 12px;margin:12px 0}
dl{margin:0}dt{display:inline;color:#555}dd{display:inline;margin:0 0 0 4px}dd::after{content:"";display:block}
code{font-size:12px;word-break:break-all}summary{cursor:pointer;color:#555}
)";

std::string E(std::string_view s) { return HtmlEscape(s); }

std::string Str(const nlohmann::json& j, const char* key) {
  if (!j.is_object() || !j.contains(key)) return "";
  const auto& v = j[key];
  return v.is_string() ? v.get<std::string>() : v.dump();
}

std::optional<SystemTime> TimeOf(const nlohmann::json& j, const char* key) {
  SystemTime t;
  if (!j.is_object() || !j.contains(key) || !j[key].is_string() || !ParseRfc3339(j[key].get<std::string>(), &t)) {
    return std::nullopt;
  }
  return t;
}

const nlohmann::json* PageDetails(const state::StatusDoc& doc, const char* resource) {
  auto it = doc.resources.find(resource);
  return it == doc.resources.end() ? nullptr : &it->second.details;
}

std::string StateClass(const std::string& state) {
  return state == "True" ? "ok" : state == "Unknown" ? "warn" : "bad";
}

std::string Ago(SystemTime now, const std::optional<SystemTime>& t) {
  if (!t) return "";
  return FormatAge(std::chrono::duration_cast<seconds>(now - *t)) + " ago";
}

/// What `ironward status` exits 0 for: not down, every resource Ready, the live checks pass.
bool PageReady(const StatusPageModel& m) {
  return !m.doc.extra.contains("down") && m.doc.AllReady() && m.live.Ready();
}

void Header(std::ostringstream& o, const StatusPageModel& m) {
  const auto& doc = m.doc;
  const bool ready = PageReady(m);
  o << "<header><h1>ironward: " << (doc.desired_name.empty() ? "no gateway recorded yet" : E(doc.desired_name))
    << " <span class=\"badge " << (ready ? "ok\">READY" : "bad\">NOT READY") << "</span></h1>\n<p class=\"muted\">";
  if (!doc.desired_paths.empty()) {
    o << "Desired state " << E(FilesLabel(doc.desired_paths)) << " (sha256:" << E(ShortDigest(doc.desired_digest))
      << "), status updated " << E(doc.updated) << ". ";
  }
  o << "Rendered " << E(FormatRfc3339(m.now));
  if (m.refresh_seconds > 0) o << ", refreshes every " << m.refresh_seconds << " s";
  o << ". Read-only.</p></header>\n";
  if (!m.status_problem.empty()) o << "<p class=\"banner\">status.json: " << E(m.status_problem) << "</p>\n";
  if (auto it = doc.extra.find("down"); it != doc.extra.end() && it->is_object()) {
    o << "<p class=\"banner\">GATEWAY DOWN since " << E(Str(*it, "time"))
      << " (<code>ironward down</code>). The rows below are from before.</p>\n";
  }
  if (auto it = doc.extra.find("desired_refused"); m.live.refusal_holds && it != doc.extra.end() && it->is_object()) {
    o << "<div class=\"banner\"><strong>Desired state refused</strong> (" << E(Str(*it, "time"))
      << "); the last good one keeps running: " << E(Str(*it, "message"));
    if (it->contains("errors") && (*it)["errors"].is_array()) {
      o << "<ul>";
      for (const auto& e : (*it)["errors"]) o << "<li>" << E(e.is_string() ? e.get<std::string>() : e.dump()) << "</li>";
      o << "</ul>";
    }
    o << "</div>\n";
  }
}

void Readiness(std::ostringstream& o, const StatusPageModel& m) {
  o << "<section id=\"readiness\"><h2>Daemon readiness</h2><table><tr><th>Check</th><th>Result</th><th>Detail</th></tr>\n";
  auto row = [&o](const std::string& name, bool ok, const std::string& detail) {
    o << "<tr><td>" << E(name) << "</td><td class=\"" << (ok ? "ok\">ok" : "bad\">failed") << "</td><td>" << E(detail)
      << "</td></tr>\n";
  };
  for (const auto& c : m.checks) row(c.name, c.ok, c.detail);
  if (m.live.daemon) row("proxy live now", m.live.daemon->ready, m.live.daemon->message);
  if (m.live.sandboxes) row("sandboxes live now", m.live.sandboxes->ready, m.live.sandboxes->message);
  o << "</table></section>\n";
}

void Details(std::ostringstream& o, const nlohmann::json& details) {
  if (!details.is_object() || details.empty()) return;
  // Collapsed (a native <details>, no script needed): the table stays one line per resource.
  o << "<details><summary>" << details.size() << " field(s)</summary><dl>";
  for (const auto& [k, v] : details.items()) {
    std::string text = v.is_string() ? v.get<std::string>() : v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (text.size() > kMaxDetailChars) text = text.substr(0, kMaxDetailChars) + "…";
    o << "<dt>" << E(k) << ":</dt><dd><code>" << E(text) << "</code></dd>";
  }
  o << "</dl></details>";
}

void Resources(std::ostringstream& o, const StatusPageModel& m) {
  o << "<section id=\"resources\"><h2>Resources</h2>\n";
  if (m.doc.resources.empty()) {
    o << "<p class=\"muted\">No pass recorded yet.</p></section>\n";
    return;
  }
  o << "<table><tr><th>Resource</th><th>Ready</th><th>Reason</th><th>Message</th><th>Last reconcile</th>"
       "<th>Details</th></tr>\n";
  for (const auto& [name, r] : m.doc.resources) {
    const auto* ready = r.Find("Ready");
    const std::string state = r.DisplayState();
    o << "<tr id=\"resource-" << E(name) << "\"><td>" << E(name) << "</td><td class=\"" << StateClass(state) << "\">"
      << E(state) << "</td><td>" << E(ready ? ready->reason : "") << "</td><td>" << E(ready ? ready->message : "")
      << "</td><td>" << E(r.last_reconcile_time) << "</td><td>";
    Details(o, r.details);
    o << "</td></tr>\n";
  }
  o << "</table></section>\n";
}

void Passes(std::ostringstream& o, const StatusPageModel& m) {
  o << "<section id=\"passes\"><h2>Last passes</h2>\n";
  if (m.doc.history.empty()) {
    o << "<p class=\"muted\">None recorded yet.</p></section>\n";
    return;
  }
  o << "<table><tr><th>Time</th><th>Result</th><th>Changed</th><th>Failed</th><th>Duration</th><th>Desired</th>"
       "<th>Revision</th></tr>\n";
  for (auto it = m.doc.history.rbegin(); it != m.doc.history.rend(); ++it) {  // newest first
    std::ostringstream duration;
    duration.precision(3);
    duration << it->duration_seconds << " s";
    o << "<tr><td>" << E(it->time) << "</td><td class=\"" << (it->result == "failed" ? "bad" : "ok") << "\">"
      << E(it->result) << "</td><td class=\"num\">" << it->changed << "</td><td class=\"num\">" << it->failed
      << "</td><td class=\"num\">" << E(duration.str()) << "</td><td><code>" << E(ShortDigest(it->desired_digest))
      << "</code></td><td><code>" << E(it->revision) << "</code></td></tr>\n";
  }
  o << "</table></section>\n";
}

void Sandboxes(std::ostringstream& o, const StatusPageModel& m) {
  o << "<section id=\"sandboxes\"><h2>Sandboxes</h2>\n";
  const auto* s = PageDetails(m.doc, "sandboxes");
  const auto* e = PageDetails(m.doc, "enforcement");
  if (s == nullptr && e == nullptr) {
    o << "<p class=\"muted\">No sandboxes or enforcement recorded.</p></section>\n";
    return;
  }
  if (s != nullptr) {
    o << "<p>Managed: <strong>" << E(Str(*s, "managed")) << "</strong>, running: <strong>" << E(Str(*s, "running"))
      << "</strong>.</p>\n";
    for (const char* key : {"health", "exited"}) {
      if (!s->contains(key) || !(*s)[key].is_object()) continue;
      o << "<table><tr><th>Sandbox</th><th>" << (std::string(key) == "health" ? "Health" : "Exited") << "</th></tr>\n";
      for (const auto& [name, v] : (*s)[key].items()) {
        o << "<tr><td>" << E(name) << "</td><td>" << E(v.is_string() ? v.get<std::string>() : v.dump()) << "</td></tr>\n";
      }
      o << "</table>\n";
    }
  }
  if (e != nullptr) {
    const std::string bad = Str(*e, "non_compliant");
    o << "<p>Egress compliance (enforcement mode <code>" << E(Str(*e, "mode")) << "</code>): compliant <strong>"
      << E(Str(*e, "compliant")) << "</strong>, non-compliant <strong class=\""
      << (bad.empty() || bad == "0" ? "ok" : "bad") << "\">" << E(bad.empty() ? "0" : bad) << "</strong>.</p>\n";
    if (e->contains("violations") && (*e)["violations"].is_array() && !(*e)["violations"].empty()) {
      o << "<table><tr><th>Container</th><th>Problems</th></tr>\n";
      for (const auto& v : (*e)["violations"]) {
        std::string problems;
        if (v.contains("problems") && v["problems"].is_array()) {
          for (const auto& p : v["problems"]) problems += (problems.empty() ? "" : "; ") + (p.is_string() ? p.get<std::string>() : p.dump());
        }
        o << "<tr><td>" << E(Str(v, "container")) << "</td><td class=\"bad\">" << E(problems) << "</td></tr>\n";
      }
      o << "</table>\n";
    }
  }
  o << "</section>\n";
}

void Rejected(std::ostringstream& o, const StatusPageModel& m) {
  const auto& r = m.rejected;
  o << "<section id=\"rejected\"><h2>Rejected hosts, last " << E(FormatAge(m.rejected_window)) << "</h2>\n";
  if (r.hosts.empty()) {
    o << "<p class=\"muted\">No request rejected by iron-proxy in this window.</p></section>\n";
    return;
  }
  o << "<p>" << r.records << " rejected request(s) to " << r.host_count << " host(s)";
  if (r.hosts.size() < r.host_count) o << "; the " << r.hosts.size() << " most rejected";
  if (r.complete_since) o << "; counted since " << E(FormatRfc3339(*r.complete_since)) << " (memory limit)";
  o << ". All records: <code>ironward audit --denied</code>.</p>\n"
       "<table><tr><th>Host</th><th>Rejected</th><th>Rejected by</th><th>From</th><th>Last seen</th></tr>\n";
  auto join = [](const std::set<std::string>& s) {
    std::string out;
    for (const auto& x : s) out += (out.empty() ? "" : ", ") + x;
    return out;
  };
  for (const auto& h : r.hosts) {
    o << "<tr><td><code>" << E(h.host.empty() ? "(no host logged)" : h.host) << "</code></td><td class=\"num\">"
      << h.rejected << "</td><td>" << E(join(h.rejected_by)) << "</td><td>" << E(join(h.sources)) << "</td><td>"
      << E(h.last_seen ? audit::FormatMillis(*h.last_seen) : "") << "</td></tr>\n";
  }
  o << "</table></section>\n";
}

void CaAndSecrets(std::ostringstream& o, const StatusPageModel& m) {
  o << "<section id=\"ca-secrets\"><h2>CA and secrets</h2>\n<p>";
  const auto* ca = PageDetails(m.doc, "ca");
  if (auto t = ca ? TimeOf(*ca, "not_after") : std::nullopt) {
    const auto left = std::chrono::duration_cast<seconds>(*t - m.now);
    const char* cls = left.count() <= 0 ? "bad" : left < kCaWarning ? "warn" : "ok";
    o << "CA certificate expires <span class=\"" << cls << "\">" << E(FormatRfc3339(*t)) << " ("
      << (left.count() <= 0 ? "expired " + FormatAge(-left) + " ago" : "in " + FormatAge(left)) << ")</span>.";
  } else {
    o << "<span class=\"muted\">No CA expiry recorded.</span>";
  }
  o << "</p>\n<p>";
  const auto* sec = PageDetails(m.doc, "secrets");
  if (auto t = sec ? TimeOf(*sec, "fetched_at") : std::nullopt) {
    o << "Secrets last fetched " << E(FormatRfc3339(*t)) << " (" << E(Ago(m.now, t)) << ").";
  } else if (sec != nullptr) {
    o << "<span class=\"muted\">No secret fetch time recorded (secrets from the environment or an env file are read "
         "at each apply).</span>";
  } else {
    o << "<span class=\"muted\">No secrets resource recorded.</span>";
  }
  if (sec != nullptr && sec->contains("degraded")) o << " <span class=\"bad\">Degraded: " << E(Str(*sec, "degraded")) << "</span>";
  o << " Values are never shown.</p></section>\n";
}

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        if ((static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
          out += "\xEF\xBF\xBD";  // U+FFFD
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string FormatAge(seconds age) {
  if (age.count() < 0) return "-" + FormatAge(-age);
  const long s = static_cast<long>(age.count());
  auto two = [](long a, const char* ua, long b, const char* ub) {
    return std::to_string(a) + ua + (b > 0 ? " " + std::to_string(b) + ub : "");
  };
  if (s < 60) return std::to_string(s) + "s";
  if (s < 3600) return two(s / 60, "m", s % 60, "s");
  if (s < 86400) return two(s / 3600, "h", (s % 3600) / 60, "m");
  return two(s / 86400, "d", (s % 86400) / 3600, "h");
}

std::string RenderStatusPage(const StatusPageModel& m) {
  std::ostringstream o;
  const bool ready = PageReady(m);
  o << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
  if (m.refresh_seconds > 0) o << "<meta http-equiv=\"refresh\" content=\"" << m.refresh_seconds << "\">\n";
  o << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>"
    << (ready ? "Ready" : "NOT READY") << " · ironward " << E(m.doc.desired_name) << "</title>\n<style>" << kStyle
    << "</style></head>\n<body>\n";
  Header(o, m);
  Resources(o, m);
  Rejected(o, m);
  CaAndSecrets(o, m);
  Sandboxes(o, m);
  Passes(o, m);
  Readiness(o, m);
  o << "<footer class=\"muted\"><p>Served by <code>ironward run</code> (GET only). Text: <code>ironward status</code>; "
       "metrics: <a href=\"/metrics\">/metrics</a>; readiness: <a href=\"/readyz?verbose\">/readyz?verbose</a>."
       "</p></footer>\n</body></html>\n";
  return o.str();
}

}  // namespace ironward::run
