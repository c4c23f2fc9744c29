// The status page renderer (model → HTML) and the rejected-hosts window it is fed from.
#include "controller/run/status_page.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/audit_lines.h"
#include "tests/support/temp_dir.h"

namespace ironward::run {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr const char* kXssHost = "<script>alert(1)</script>.evil.example";

SystemTime T(const std::string& text) {
  SystemTime t;
  EXPECT_TRUE(ParseRfc3339(text, &t)) << text;
  return t;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

/// The text between `<section id="ID"` and the next `</section>` ("" when absent).
std::string Section(const std::string& html, const std::string& id) {
  const auto at = html.find("<section id=\"" + id + "\"");
  if (at == std::string::npos) return "";
  return html.substr(at, html.find("</section>", at) - at);
}

state::ResourceStatus Resource(const std::string& ready, const std::string& reason, const std::string& message,
                               nlohmann::json details = nlohmann::json::object()) {
  state::ResourceStatus r;
  r.SetCondition("Ready", ready, reason, message, "2026-05-01T11:00:00Z");
  r.last_reconcile_time = "2026-05-01T11:59:00Z";
  r.details = std::move(details);
  return r;
}

StatusPageModel Model() {
  StatusPageModel m;
  m.now = T("2026-05-01T12:00:00Z");
  m.doc.desired_name = "dev-gateway";
  m.doc.desired_paths = {"/etc/ironward/gateway.yaml"};
  m.doc.desired_digest = "0123456789abcdef0123";
  m.doc.updated = "2026-05-01T11:59:30Z";
  m.doc.resources["ca"] = Resource("True", "Valid", "CA valid", {{"not_after", "2026-05-11T12:00:00Z"}});
  m.doc.resources["secrets"] = Resource("True", "Fetched", "2 secrets", {{"fetched_at", "2026-05-01T09:00:00Z"}});
  m.doc.resources["daemon"] = Resource("True", "Running", "pid 4242 serving", {{"running", true}});
  m.doc.resources["sandboxes"] =
      Resource("True", "Running", "2 running", {{"managed", 2}, {"running", 2}, {"health", {{"agent-1", "healthy"}}}});
  m.doc.resources["enforcement"] = Resource(
      "True", "Audited", "1 non-compliant",
      {{"mode", "audit"},
       {"compliant", 1},
       {"non_compliant", 1},
       {"violations", {{{"container", "rogue<b>"}, {"problems", {"not on the egress network"}}}}}});
  m.doc.history.push_back({"2026-05-01T11:00:00Z", "0123456789abcdef", "", 1.25, "converged", 3, 0});
  m.doc.history.push_back({"2026-05-01T11:59:00Z", "0123456789abcdef", "abc123", 0.042, "failed", 0, 1});
  m.checks = {{"desired_state", true, ""}, {"proxy", true, ""}};
  audit::HostStats h;
  h.host = kXssHost;
  h.rejected = 7;
  h.sources = {"172.18.0.5"};
  h.rejected_by = {"allowlist"};
  h.last_seen = T("2026-05-01T11:58:00Z");
  m.rejected.hosts = {h};
  m.rejected.host_count = 3;
  m.rejected.records = 9;
  return m;
}

TEST(StatusPageTest, EscapesEveryMarkupCharacterAndControlCharacters) {
  EXPECT_EQ(HtmlEscape(R"(<a href="x">'&'</a>)"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  EXPECT_EQ(HtmlEscape(std::string("a\x01" "b\x7f" "c\td", 7)), "a\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c\td");
  EXPECT_EQ(HtmlEscape("api.example.com ü"), "api.example.com ü");
}

TEST(StatusPageTest, FormatsAges) {
  EXPECT_EQ(FormatAge(seconds(42)), "42s");
  EXPECT_EQ(FormatAge(seconds(303)), "5m 3s");
  EXPECT_EQ(FormatAge(seconds(3600)), "1h");
  EXPECT_EQ(FormatAge(seconds(3 * 3600 + 12 * 60 + 5)), "3h 12m");
  EXPECT_EQ(FormatAge(hours(24 * 12 + 4)), "12d 4h");
  EXPECT_EQ(FormatAge(seconds(-90)), "-1m 30s");
}

TEST(StatusPageTest, ShowsEverySectionFromTheModel) {
  const std::string html = RenderStatusPage(Model());
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0U);
  EXPECT_NE(html.find("<meta http-equiv=\"refresh\" content=\"10\">"), std::string::npos);
  EXPECT_NE(html.find("ironward: dev-gateway <span class=\"badge ok\">READY</span>"), std::string::npos) << html;
  EXPECT_NE(html.find("/etc/ironward/gateway.yaml (sha256:0123456789ab)"), std::string::npos);

  const std::string resources = Section(html, "resources");
  for (const char* name : {"ca", "secrets", "daemon", "sandboxes", "enforcement"}) {
    EXPECT_NE(resources.find("<tr id=\"resource-" + std::string(name) + "\"><td>" + name + "</td><td class=\"ok\">True</td>"),
              std::string::npos)
        << name << "\n" << resources;
  }
  EXPECT_NE(resources.find("pid 4242 serving"), std::string::npos);

  const std::string passes = Section(html, "passes");
  const auto newest = passes.find("2026-05-01T11:59:00Z");
  const auto oldest = passes.find("2026-05-01T11:00:00Z");
  ASSERT_NE(newest, std::string::npos) << passes;
  ASSERT_NE(oldest, std::string::npos);
  EXPECT_LT(newest, oldest) << "newest pass first";
  EXPECT_NE(passes.find("<td class=\"bad\">failed</td>"), std::string::npos);
  EXPECT_NE(passes.find("1.25 s"), std::string::npos);
  EXPECT_NE(passes.find("0.042 s"), std::string::npos);
  EXPECT_NE(passes.find("abc123"), std::string::npos);

  const std::string sandboxes = Section(html, "sandboxes");
  EXPECT_NE(sandboxes.find("Managed: <strong>2</strong>, running: <strong>2</strong>"), std::string::npos) << sandboxes;
  EXPECT_NE(sandboxes.find("<td>agent-1</td><td>healthy</td>"), std::string::npos);
  EXPECT_NE(sandboxes.find("non-compliant <strong class=\"bad\">1</strong>"), std::string::npos);
  EXPECT_NE(sandboxes.find("<td>rogue&lt;b&gt;</td><td class=\"bad\">not on the egress network</td>"), std::string::npos);

  const std::string rejected = Section(html, "rejected");
  EXPECT_NE(rejected.find("Rejected hosts, last 1h"), std::string::npos) << rejected;
  EXPECT_NE(rejected.find("9 rejected request(s) to 3 host(s); the 1 most rejected"), std::string::npos) << rejected;
  EXPECT_NE(rejected.find("&lt;script&gt;alert(1)&lt;/script&gt;.evil.example</code></td><td class=\"num\">7</td>"
                          "<td>allowlist</td><td>172.18.0.5</td><td>2026-05-01T11:58:00.000Z</td>"),
            std::string::npos)
      << rejected;

  const std::string ca = Section(html, "ca-secrets");
  EXPECT_NE(ca.find("<span class=\"warn\">2026-05-11T12:00:00Z (in 10d)</span>"), std::string::npos) << ca;
  EXPECT_NE(ca.find("Secrets last fetched 2026-05-01T09:00:00Z (3h ago)"), std::string::npos) << ca;

  EXPECT_EQ(Lower(html).find("<script"), std::string::npos) << "the page has no script at all";
  EXPECT_EQ(html.find(kXssHost), std::string::npos) << "a host name from traffic is never markup";
}

TEST(StatusPageTest, NotReadyStalledExpiredAndRefusedAreShown) {
  StatusPageModel m = Model();
  auto& daemon = m.doc.resources["daemon"];
  daemon.SetCondition("Ready", "False", "CrashLoop", "iron-proxy exited 5 times", "2026-05-01T11:50:00Z");
  daemon.SetCondition("Stalled", "True", "CrashLoop", "", "2026-05-01T11:50:00Z");
  m.doc.resources["ca"].details["not_after"] = "2026-04-30T12:00:00Z";
  m.doc.extra["desired_refused"] = {{"time", "2026-05-01T11:55:00Z"}, {"message", "invalid"}, {"errors", {"x.yaml:3:1: bad <key>"}}};
  m.live.daemon = LiveCheck{false, "pid 4242 is gone"};
  std::string html = RenderStatusPage(m);
  EXPECT_NE(html.find("<span class=\"badge bad\">NOT READY</span>"), std::string::npos);
  EXPECT_NE(html.find("<title>NOT READY"), std::string::npos);
  EXPECT_NE(html.find("<td>daemon</td><td class=\"bad\">Stalled</td><td>CrashLoop</td>"), std::string::npos) << html;
  EXPECT_NE(html.find("<td>proxy live now</td><td class=\"bad\">failed</td><td>pid 4242 is gone</td>"), std::string::npos);
  EXPECT_NE(html.find("<span class=\"bad\">2026-04-30T12:00:00Z (expired 1d ago)</span>"), std::string::npos);
  EXPECT_EQ(html.find("Desired state refused"), std::string::npos) << "a refusal that no longer holds is not shown";
  m.live.refusal_holds = true;
  html = RenderStatusPage(m);
  EXPECT_NE(html.find("<strong>Desired state refused</strong>"), std::string::npos);
  EXPECT_NE(html.find("<li>x.yaml:3:1: bad &lt;key&gt;</li>"), std::string::npos);
}

TEST(StatusPageTest, EmptyStateSaysSoAndNeverRefreshesWhenAskedNot) {
  StatusPageModel m;
  m.now = T("2026-05-01T12:00:00Z");
  m.refresh_seconds = 0;
  m.status_problem = "status.json was corrupt";
  const std::string html = RenderStatusPage(m);
  EXPECT_EQ(html.find("http-equiv"), std::string::npos);
  EXPECT_NE(html.find("no gateway recorded yet"), std::string::npos);
  EXPECT_NE(html.find("NOT READY"), std::string::npos);
  EXPECT_NE(html.find("status.json: status.json was corrupt"), std::string::npos);
  EXPECT_NE(html.find("No pass recorded yet."), std::string::npos);
  EXPECT_NE(html.find("No request rejected by iron-proxy in this window."), std::string::npos);
  EXPECT_NE(html.find("No CA expiry recorded."), std::string::npos);
}

// The window is audit's --denied --since: rejects only, in [now - window, now], most rejected first.
TEST(StatusPageTest, TopRejectedCountsTheRejectsOfTheWindowFromTheProxyLog) {
  testing::TempDir tmp;
  auto line = [](const std::string& time, const std::string& host, const std::string& action) {
    return testing::AuditLine({.time = time, .host = host + ":443", .method = "CONNECT", .path = "",
                               .action = action, .status = action == "reject" ? 403 : 200,
                               .rejected_by = action == "reject" ? "allowlist" : ""});
  };
  {
    std::ofstream out(tmp.path() / "iron-proxy.log");
    out << line("2026-05-01T10:30:00Z", "old.example.com", "reject")  // before the window
        << line("2026-05-01T11:10:00+00:00", "a.example.com", "reject")
        << line("2026-05-01T13:20:00+02:00", "b.example.com", "reject")  // 11:20Z, local offset
        << line("2026-05-01T11:30:00Z", "a.example.com", "reject")
        << line("2026-05-01T11:40:00Z", "a.example.com", "allow");
  }
  ProxyRequestMetrics m(tmp.path().string(), 10);
  const SystemTime now = T("2026-05-01T12:00:00Z");
  RejectedHosts r = m.TopRejected(now, hours(1), 10);
  ASSERT_EQ(r.hosts.size(), 2U);
  EXPECT_EQ(r.hosts[0].host, "a.example.com");
  EXPECT_EQ(r.hosts[0].rejected, 2U);
  EXPECT_EQ(r.hosts[0].allowed, 0U) << "only rejects are kept";
  EXPECT_EQ(r.hosts[1].host, "b.example.com");
  EXPECT_EQ(r.records, 3U);
  EXPECT_EQ(r.host_count, 2U);
  EXPECT_FALSE(r.complete_since);

  {
    std::ofstream out(tmp.path() / "iron-proxy.log", std::ios::app);
    out << line("2026-05-01T11:59:00Z", "b.example.com", "reject") << line("2026-05-01T11:59:30Z", "b.example.com", "reject");
  }
  r = m.TopRejected(now, hours(1), 1);
  ASSERT_EQ(r.hosts.size(), 1U) << "limit";
  EXPECT_EQ(r.hosts[0].host, "b.example.com");
  EXPECT_EQ(r.hosts[0].rejected, 3U) << "appended records are read incrementally";
  EXPECT_EQ(r.host_count, 2U);
  EXPECT_EQ(r.records, 5U);

  r = m.TopRejected(now + minutes(45), hours(1), 10);  // a.example.com's rejects have aged out
  ASSERT_EQ(r.hosts.size(), 1U);
  EXPECT_EQ(r.hosts[0].host, "b.example.com");
}

}  // namespace
}  // namespace ironward::run
