// Filters, per-host numbers, the three renderings, sandbox names and --suggest.
#include <gtest/gtest.h>

#include "controller/audit/audit_output.h"
#include "controller/audit/sandbox_names.h"
#include "controller/audit/suggest.h"
#include "controller/audit/summary.h"
#include "state/spec/validators.h"
#include "tests/support/audit_lines.h"
#include "tests/support/desired_state.h"
#include "tests/support/gateway_yaml.h"

namespace ironward::audit {
namespace {

using testing::AuditLine;
using testing::AuditLineSpec;

constexpr const char* kPathToken = "ironward-openrouter-00112233445566778899aabbccddeeff";

Record Rec(const AuditLineSpec& spec) {
  ParsedLine p = ParseLine(AuditLine(spec));
  EXPECT_EQ(p.kind, LineKind::kRecord);
  return p.record;
}

/// The records of the tests below: two sandboxes, four hosts, every action.
std::vector<Record> Sample() {
  return {
      Rec({.time = "2026-05-01T10:00:00Z", .host = "api.github.com:443", .method = "CONNECT", .path = "",
           .remote = "172.18.0.5:40000", .action = "allow"}),
      Rec({.time = "2026-05-01T10:00:01Z", .host = "api.github.com", .path = "/repos", .remote = "172.18.0.5:40000",
           .action = "allow", .tunnel_target = "api.github.com:443"}),
      Rec({.time = "2026-05-01T10:05:00Z", .host = "pypi.org:443", .method = "CONNECT", .path = "",
           .remote = "172.18.0.6:40001", .action = "reject", .status = 403, .rejected_by = "allowlist"}),
      Rec({.time = "2026-05-01T10:01:00Z", .host = "pypi.org:443", .method = "CONNECT", .path = "",
           .remote = "172.18.0.5:40002", .action = "reject", .status = 403, .rejected_by = "allowlist"}),
      Rec({.time = "2026-05-01T10:02:00Z", .host = "openrouter.ai", .path = std::string("/bot") + kPathToken,
           .remote = "172.18.0.6:40003", .action = "error", .status = 502, .error = "dial tcp: i/o timeout"}),
      Rec({.time = "2026-05-01T10:03:00Z", .host = "openrouter.ai", .remote = "172.18.0.6:40003",
           .action = "client_cancel", .status = 0}),
      Rec({.time = "2026-05-01T10:04:00Z", .host = "files.pythonhosted.org:443", .method = "CONNECT", .path = "",
           .remote = "172.18.0.6:40004", .action = "reject", .status = 403, .rejected_by = "allowlist"}),
  };
}

Summary Summarise(const Filter& f) {
  Summary s;
  for (const auto& r : Sample()) {
    if (f.Matches(r)) s.Add(r);
  }
  return s;
}

TEST(AuditSummary, CountsPerHostWithFirstAndLastSeenAndSources) {
  const auto hosts = Summarise({}).Hosts();
  ASSERT_EQ(hosts.size(), 4U);
  // Most rejected first, then most records, then by name.
  EXPECT_EQ(hosts[0].host, "pypi.org");
  EXPECT_EQ(hosts[0].rejected, 2U);
  EXPECT_EQ(hosts[0].allowed, 0U);
  EXPECT_EQ(FormatMillis(*hosts[0].first_seen), "2026-05-01T10:01:00.000Z");  // not in file order
  EXPECT_EQ(FormatMillis(*hosts[0].last_seen), "2026-05-01T10:05:00.000Z");
  EXPECT_EQ(hosts[0].sources, (std::set<std::string>{"172.18.0.5", "172.18.0.6"}));
  EXPECT_EQ(hosts[0].rejected_by, (std::set<std::string>{"allowlist"}));
  EXPECT_EQ(hosts[1].host, "files.pythonhosted.org");
  EXPECT_EQ(hosts[2].host, "api.github.com");
  EXPECT_EQ(hosts[2].allowed, 2U) << "the CONNECT and the request inside the tunnel";
  EXPECT_EQ(hosts[3].host, "openrouter.ai");
  EXPECT_EQ(hosts[3].errors, 1U);
  EXPECT_EQ(hosts[3].other, 1U);
  EXPECT_EQ(hosts[3].total(), 2U);
}

TEST(AuditSummary, FiltersBySinceHostGlobAndDenied) {
  Filter f;
  f.denied_only = true;
  auto hosts = Summarise(f).Hosts();
  ASSERT_EQ(hosts.size(), 2U);
  EXPECT_EQ(hosts[0].host, "pypi.org");
  EXPECT_EQ(hosts[1].host, "files.pythonhosted.org");

  f = {};
  f.host_glob = "*.ORG";  // case-insensitive
  hosts = Summarise(f).Hosts();
  ASSERT_EQ(hosts.size(), 2U);

  f = {};
  f.since = ParseTime("2026-05-01T10:02:00Z");
  const Summary since = Summarise(f);
  EXPECT_EQ(since.records(), 4U);  // 10:02, 10:03, 10:04, 10:05
  hosts = since.Hosts();
  ASSERT_EQ(hosts.size(), 3U);
  EXPECT_EQ(hosts[0].host, "files.pythonhosted.org");  // one rejection each: by name
  EXPECT_EQ(hosts[1].host, "pypi.org");
  EXPECT_EQ(hosts[1].rejected, 1U) << "the 10:01 one is before --since";

  Record timeless = Sample()[0];
  timeless.time.reset();
  EXPECT_FALSE(f.Matches(timeless)) << "a record without a time cannot be shown to be recent";
  EXPECT_TRUE(Filter{}.Matches(timeless));
}

TEST(AuditSummary, SinceTakesADurationOrAnRfc3339Time) {
  const SystemTime now = *ParseTime("2026-05-01T12:00:00Z");
  std::string why;
  EXPECT_EQ(FormatMillis(*ParseSince("90m", now, &why)), "2026-05-01T10:30:00.000Z");
  EXPECT_EQ(FormatMillis(*ParseSince("2d", now, &why)), "2026-04-29T12:00:00.000Z");
  EXPECT_EQ(FormatMillis(*ParseSince("2026-05-01T09:00:00+02:00", now, &why)), "2026-05-01T07:00:00.000Z");
  EXPECT_FALSE(ParseSince("yesterday", now, &why).has_value());
  EXPECT_NE(why.find("neither a duration"), std::string::npos) << why;
  EXPECT_FALSE(ParseSince("2026-05-01 10:00", now, &why).has_value());
  EXPECT_NE(why.find("RFC 3339"), std::string::npos) << why;
  EXPECT_FALSE(ParseSince("-1h", now, &why).has_value());
}

TEST(AuditOutput, CsvFieldsAreQuotedPerRfc4180AndDefusedForSpreadsheets) {
  EXPECT_EQ(CsvField("plain.example.com"), "plain.example.com");
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvField("two\nlines"), "\"two\nlines\"");
  EXPECT_EQ(CsvField("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
  EXPECT_EQ(CsvField("@sum"), "'@sum");
  EXPECT_EQ(CsvField(""), "");
}

TEST(AuditOutput, SummaryCsvIsExact) {
  const SandboxNames names = {{"172.18.0.5", "agent-1"}};
  EXPECT_EQ(SummaryCsv(Summarise({}).Hosts(), names),
            "host,allowed,rejected,errors,other,total,first_seen,last_seen,sandboxes,rejected_by\r\n"
            "pypi.org,0,2,0,0,2,2026-05-01T10:01:00.000Z,2026-05-01T10:05:00.000Z,172.18.0.6 agent-1,allowlist\r\n"
            "files.pythonhosted.org,0,1,0,0,1,2026-05-01T10:04:00.000Z,2026-05-01T10:04:00.000Z,172.18.0.6,allowlist\r\n"
            "api.github.com,2,0,0,0,2,2026-05-01T10:00:00.000Z,2026-05-01T10:00:01.000Z,agent-1,\r\n"
            "openrouter.ai,0,0,1,1,2,2026-05-01T10:02:00.000Z,2026-05-01T10:03:00.000Z,172.18.0.6,\r\n");
}

TEST(AuditOutput, SummaryTextAndJsonCarryTheNumbersAndNoPath) {
  const SandboxNames names = {{"172.18.0.6", "agent-2"}};
  Filter f;
  ReadStats stats;
  stats.records = 7;
  stats.other_lines = 2;
  stats.garbage = 1;
  stats.files = {"iron-proxy.log.1", "iron-proxy.log"};
  const auto hosts = Summarise(f).Hosts();
  const SummaryContext ctx{&f, &stats, 7};
  const std::string text = SummaryText(hosts, names, ctx);
  EXPECT_NE(text.find("HOST                    ALLOWED  REJECTED  ERRORS  OTHER  FIRST SEEN"), std::string::npos) << text;
  EXPECT_NE(text.find("pypi.org                0        2         0       0      2026-05-01T10:01:00.000Z  "
                      "2026-05-01T10:05:00.000Z  172.18.0.5, agent-2\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("7 record(s), 4 host(s) (read iron-proxy.log.1, iron-proxy.log).\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("/bot"), std::string::npos) << "summaries never show paths";

  const nlohmann::json j = SummaryJson(hosts, names, ctx);
  EXPECT_EQ(j["records_read"], 7);
  EXPECT_EQ(j["records_matched"], 7);
  EXPECT_EQ(j["lines_skipped"], 3);
  EXPECT_EQ(j["files"], nlohmann::json({"iron-proxy.log.1", "iron-proxy.log"}));
  EXPECT_TRUE(j["since"].is_null());
  ASSERT_EQ(j["hosts"].size(), 4U);
  EXPECT_EQ(j["hosts"][0], nlohmann::json::parse(R"({"host":"pypi.org","allowed":0,"rejected":2,"errors":0,"other":0,
      "total":2,"first_seen":"2026-05-01T10:01:00.000Z","last_seen":"2026-05-01T10:05:00.000Z",
      "sandboxes":["172.18.0.5","agent-2"],"sources":["172.18.0.5","172.18.0.6"],"rejected_by":["allowlist"]})"));
  EXPECT_EQ(j.dump().find("0011223344"), std::string::npos);
}

TEST(AuditOutput, RecordLinesShowThePathWithTheTokenRedacted) {
  const Record r = Sample()[4];
  const SandboxNames names = {{"172.18.0.6", "agent-2"}};
  const std::string text = RecordText(r, names);
  EXPECT_EQ(text,
            "2026-05-01T10:02:00.000Z  error   GET openrouter.ai/botironward-openrouter-REDACTED  502  142.5ms  agent-2"
            "  error=\"dial tcp: i/o timeout\"\n");
  const nlohmann::json j = RecordJson(r, names);
  EXPECT_EQ(j["path"], "/botironward-openrouter-REDACTED");
  EXPECT_EQ(j["sandbox"], "agent-2");
  EXPECT_EQ(j["source"], "172.18.0.6");
  EXPECT_EQ(j["action"], "error");
  EXPECT_EQ(RecordCsvHeader(), "time,action,host,target,method,path,status_code,duration_ms,sandbox,source,rejected_by,error\r\n");
  EXPECT_EQ(RecordCsv(r, names),
            "2026-05-01T10:02:00.000Z,error,openrouter.ai,openrouter.ai,GET,/botironward-openrouter-REDACTED,502,142.500,"
            "agent-2,172.18.0.6,,dial tcp: i/o timeout\r\n");
  for (const std::string& out : {text, j.dump(), RecordCsv(r, names)}) {
    EXPECT_EQ(out.find("00112233445566778899aabbccddeeff"), std::string::npos) << out;
  }
}

TEST(AuditSandboxNames, EveryEndpointAddressNamesItsContainer) {
  docker::ContainerSummary a;
  a.id = "aaaaaaaaaaaaaaaa";
  a.name = "agent-1";
  a.networks["ironward-sandboxes"].ip_address = "172.30.0.2";
  a.networks["bridge"].ip_address = "172.17.0.3";
  docker::ContainerSummary b;
  b.id = "bbbbbbbbbbbbbbbbbbbb";
  b.networks["bridge"].ip_address = "172.17.0.4/16";
  docker::ContainerSummary host_net;  // network_mode host: no address of its own
  host_net.name = "on-host";
  host_net.networks["host"].ip_address = "";
  const SandboxNames names = NamesFromContainers({a, b, host_net});
  EXPECT_EQ(names, (SandboxNames{{"172.30.0.2", "agent-1"}, {"172.17.0.3", "agent-1"}, {"172.17.0.4", "bbbbbbbbbbbb"}}));
  EXPECT_EQ(SandboxOf("172.30.0.2", names), "agent-1");
  EXPECT_EQ(SandboxOf("127.0.0.1", names), "127.0.0.1") << "unknown addresses are shown as themselves";
}

TEST(AuditSuggest, HostPatternsMatchLikeIronProxy) {
  EXPECT_TRUE(spec::HostPatternMatches("*.openrouter.ai", "openrouter.ai"));
  EXPECT_TRUE(spec::HostPatternMatches("*.openrouter.ai", "a.b.openrouter.ai"));
  EXPECT_FALSE(spec::HostPatternMatches("*.openrouter.ai", "evilopenrouter.ai"));
  EXPECT_TRUE(spec::HostPatternMatches("api.github.com", "api.github.com"));
  EXPECT_FALSE(spec::HostPatternMatches("api.github.com", "github.com"));
  EXPECT_FALSE(spec::HostPatternMatches("api.github.com", "API.github.com")) << "case-sensitive, as iron-proxy";
  EXPECT_TRUE(spec::HostPatternMatches("*", "anything.example"));
}

TEST(AuditSuggest, SuggestsTheRejectedHostsTheDesiredStateDoesNotAdmit) {
  std::vector<Record> records = Sample();
  records.push_back(Rec({.host = "openrouter.ai:443", .method = "CONNECT", .path = "", .action = "reject",
                         .status = 403, .rejected_by = "allowlist"}));  // admitted since: the proxy is behind
  records.push_back(Rec({.host = "[2001:db8::1]:443", .method = "CONNECT", .path = "", .action = "reject",
                         .status = 403, .rejected_by = "allowlist"}));
  records.push_back(Rec({.host = "api.github.com", .action = "reject", .status = 403, .rejected_by = "secrets"}));
  Summary s;
  for (const auto& r : records) s.Add(r);
  const auto hosts = s.Hosts();
  const SandboxNames names = {{"172.18.0.6", "agent-2"}};
  const spec::DesiredState desired = testing::Desired(testing::kBaseYaml);  // allowlist api.github.com
  const std::string yaml = SuggestYaml({&hosts, &names, &desired.spec, "gateway.yaml", ""});
  EXPECT_EQ(yaml,
            "# ironward audit --suggest: allowlist entries that would admit the hosts iron-proxy rejected\n"
            "# (6 rejected request(s)). Review each one; nothing has been changed.\n"
            "# spec.allowlist of gateway.yaml with the new entries appended:\n"
            "spec:\n"
            "  allowlist:\n"
            "    - \"api.github.com\"\n"
            "    - \"pypi.org\"                      # 2 rejected, last 2026-05-01T10:05:00.000Z, from 172.18.0.5, agent-2\n"
            "    - \"files.pythonhosted.org\"        # 1 rejected, last 2026-05-01T10:04:00.000Z, from agent-2\n"
            "# Not suggested:\n"
            "#   api.github.com: rejected by secrets, not by the allowlist; allowlisting would not admit it\n"
            "#   openrouter.ai: already admitted by provider openrouter (openrouter.ai) in gateway.yaml; the running "
            "proxy predates it? apply it (ironward reconcile)\n"
            "#   2001:db8::1: not usable as a host pattern (" + spec::CheckHostPattern("2001:db8::1") + ")\n");
  const std::string bare = SuggestYaml({&hosts, &names, nullptr, "", "2026-05-01T10:00:00.000Z"});
  EXPECT_NE(bare.find("(6 rejected request(s) since 2026-05-01T10:00:00.000Z)"), std::string::npos) << bare;
  EXPECT_NE(bare.find("    - \"openrouter.ai\""), std::string::npos) << bare;
  EXPECT_EQ(bare.find("    - \"api.github.com\""), std::string::npos) << bare;
}

TEST(AuditSuggest, NothingRejectedMeansNothingToSuggest) {
  Summary s;
  s.Add(Sample()[0]);
  const auto hosts = s.Hosts();
  const SandboxNames names;
  const std::string yaml = SuggestYaml({&hosts, &names, nullptr, "", ""});
  EXPECT_NE(yaml.find("# No new entries to suggest.\n"), std::string::npos) << yaml;
  EXPECT_EQ(yaml.find("spec:"), std::string::npos) << yaml;
}

}  // namespace
}  // namespace ironward::audit
