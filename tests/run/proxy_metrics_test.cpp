// ProxyRequestMetrics over a real state directory: history primes without counting, the
// host label cap, first-seen hosts, and ironward's real rotation between scrapes.
#include <fstream>
#include <regex>
#include <string>

#include <gtest/gtest.h>

#include "controller/run/proxy_metrics.h"
#include "reconcilers/daemon/log_file.h"
#include "tests/support/audit_lines.h"
#include "tests/support/temp_dir.h"

namespace ironward::run {
namespace {

using testing::AuditLine;

class ProxyMetricsTest : public ::testing::Test {
 protected:
  void Write(const std::string& host, const std::string& action, int times = 1) {
    std::ofstream out(tmp_.path() / "iron-proxy.log", std::ios::app);
    for (int i = 0; i < times; ++i) {
      out << AuditLine({.host = host + ":443", .method = "CONNECT", .path = "", .action = action,
                        .status = action == "reject" ? 403 : 200, .rejected_by = action == "reject" ? "allowlist" : ""});
    }
  }
  /// The value of one series, -1 when absent.
  static long Value(const std::string& text, const std::string& series) {
    const auto at = ("\n" + text).find("\n" + series + " ");  // a sample line, not the HELP text
    if (at == std::string::npos) return -1;
    return std::stol(text.substr(at + series.size() + 1));
  }
  static std::string Requests(const std::string& host, const std::string& action) {
    return "ironward_proxy_requests_total{host=\"" + host + "\",action=\"" + action + "\"}";
  }

  testing::TempDir tmp_;
};

TEST_F(ProxyMetricsTest, HistoryPrimesWithoutCountingThenNewRecordsCount) {
  Write("busy.example.com", "allow", 3);
  Write("quiet.example.com", "allow", 1);
  ProxyRequestMetrics m(tmp_.path().string(), 2);
  std::string text = m.Render();
  EXPECT_EQ(Value(text, "ironward_proxy_hosts_seen_total"), 0);
  EXPECT_EQ(Value(text, Requests("busy.example.com", "allow")), -1) << "history is not counted";
  EXPECT_EQ(Value(text, Requests("other", "allow")), 0) << "the base series exist from the first scrape";
  EXPECT_EQ(Value(text, Requests("other", "reject")), 0);
  EXPECT_EQ(Value(text, Requests("other", "error")), 0);
  EXPECT_NE(text.find("# TYPE ironward_proxy_requests_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE ironward_proxy_hosts_seen_total counter\n"), std::string::npos);

  Write("busy.example.com", "allow");
  Write("new.example.com", "reject", 2);  // the second label value (limit 2: busy, quiet taken)
  Write("quiet.example.com", "error");
  text = m.Render();
  EXPECT_EQ(Value(text, Requests("busy.example.com", "allow")), 1);
  EXPECT_EQ(Value(text, Requests("quiet.example.com", "error")), 1);
  EXPECT_EQ(Value(text, Requests("new.example.com", "reject")), -1) << "over the limit: counted as other";
  EXPECT_EQ(Value(text, Requests("other", "reject")), 2);
  EXPECT_EQ(Value(text, "ironward_proxy_hosts_seen_total"), 1) << "new.example.com only";
  EXPECT_EQ(m.Render(), text) << "nothing new, nothing counted twice";
}

TEST_F(ProxyMetricsTest, LabelValuesGoToTheBusiestHistoricHostsThenToNewHostsAndStay) {
  Write("a.example.com", "allow", 1);
  Write("b.example.com", "allow", 5);
  ProxyRequestMetrics m(tmp_.path().string(), 2);
  m.Poll();
  Write("a.example.com", "allow");
  Write("c.example.com", "reject");
  Write("d.example.com", "reject");
  m.Poll();
  const std::string text = m.Render();
  EXPECT_EQ(Value(text, Requests("a.example.com", "allow")), 1) << "b and a took the two label values";
  EXPECT_EQ(Value(text, Requests("c.example.com", "reject")), -1);
  EXPECT_EQ(Value(text, Requests("other", "reject")), 2);
  EXPECT_EQ(Value(text, "ironward_proxy_hosts_seen_total"), 2);
  // Every series line is well formed (name{labels} integer).
  const std::regex series(R"(^ironward_proxy_(requests_total\{host="[^"]*",action="[a-z_]+"\}|hosts_seen_total) \d+$)");
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto nl = text.find('\n', pos);
    const std::string line = text.substr(pos, nl - pos);
    if (line.rfind("#", 0) != 0) {
      EXPECT_TRUE(std::regex_match(line, series)) << line;
    }
    pos = nl + 1;
  }
}

TEST_F(ProxyMetricsTest, RecordsWrittenAroundARotationAreCountedOnce) {
  ProxyRequestMetrics m(tmp_.path().string(), 10);
  m.Poll();  // no log yet: primed with nothing
  Write("a.example.com", "allow", 2);
  EXPECT_EQ(Value(m.Render(), Requests("a.example.com", "allow")), 2);
  Write("a.example.com", "allow", 3);  // not scraped before the rotation
  state::StateWriter writer(tmp_.path());
  ASSERT_TRUE(daemon::RotateIfNeeded(writer, 0).ok());
  Write("a.example.com", "reject", 1);
  const std::string text = m.Render();
  EXPECT_EQ(Value(text, Requests("a.example.com", "allow")), 5);
  EXPECT_EQ(Value(text, Requests("a.example.com", "reject")), 1);
  EXPECT_EQ(Value(text, "ironward_proxy_hosts_seen_total"), 1);
}

TEST_F(ProxyMetricsTest, UnknownActionsAndHostlessRecordsStayBounded) {
  ProxyRequestMetrics m(tmp_.path().string(), 0);  // every host under "other"
  m.Poll();
  {
    std::ofstream out(tmp_.path() / "iron-proxy.log", std::ios::app);
    out << AuditLine({.host = "x.example.com", .action = "client_cancel", .status = 0});
    out << AuditLine({.host = "", .method = "", .path = "", .action = "reject", .status = 400});
    out << AuditLine({.host = "y.example.com", .action = "weird\"value", .status = 0});
    out << "not json\n";
  }
  const std::string text = m.Render();
  EXPECT_EQ(Value(text, Requests("other", "client_cancel")), 1);
  EXPECT_EQ(Value(text, Requests("other", "reject")), 1);
  EXPECT_EQ(Value(text, Requests("other", "unknown")), 1);
  EXPECT_EQ(Value(text, "ironward_proxy_hosts_seen_total"), 2) << "x and y; a record without a host is no host";
}

}  // namespace
}  // namespace ironward::run
