// The request-record parser against lines as iron-proxy 0.39 writes them
// (internal/transform/audit.go and its audit_test.go cases), and against everything else the
// proxy log holds.
#include <gtest/gtest.h>

#include "controller/audit/audit_record.h"
#include "tests/support/audit_lines.h"

namespace ironward::audit {
namespace {

using testing::AuditLine;
using testing::AuditLineSpec;

constexpr const char* kToken = "ironward-telegram-0123456789abcdef0123456789abcdef";
constexpr const char* kRealKey = "123456:REAL-TELEGRAM-KEY-never-printed";

TEST(AuditRecord, ParsesAnAllowedRequestAsIronProxyWritesIt) {
  // audit_test.go TestAudit_AllowedRequest, as slog's JSONHandler prints it.
  const std::string line =
      R"({"time":"2026-05-01T12:00:00.123456789+02:00","level":"INFO","msg":"request","audit":{"host":"api.openai.com",)"
      R"("method":"POST","path":"/v1/chat/completions","remote_addr":"10.16.0.5:43210","sni":"api.openai.com",)"
      R"("mode":"mitm","action":"allow","status_code":200,"duration_ms":142.5},"request_transforms":[{"name":)"
      R"("allowlist","action":"allow","duration_ms":0.02},{"name":"secrets","action":"allow","duration_ms":0.08,)"
      R"("annotations":{"swapped":"OPENAI_API_KEY"}}]})";
  const ParsedLine p = ParseLine(line);
  ASSERT_EQ(p.kind, LineKind::kRecord);
  const Record& r = p.record;
  EXPECT_EQ(r.host, "api.openai.com");
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/v1/chat/completions");
  EXPECT_EQ(r.remote_addr, "10.16.0.5:43210");
  EXPECT_EQ(r.sni, "api.openai.com");
  EXPECT_EQ(r.mode, "mitm");
  EXPECT_EQ(r.action, "allow");
  EXPECT_EQ(r.status_code, 200);
  EXPECT_DOUBLE_EQ(r.duration_ms, 142.5);
  ASSERT_TRUE(r.time.has_value());
  EXPECT_EQ(FormatMillis(*r.time), "2026-05-01T10:00:00.123Z");
  EXPECT_EQ(r.rejected_by, "");
  EXPECT_STREQ(ActionColumn(r.action), "allowed");
}

TEST(AuditRecord, RejectedConnectCarriesTheTransformThatRejectedIt) {
  const ParsedLine p = ParseLine(AuditLine({.host = "evil.com:443", .method = "CONNECT", .path = "",
                                            .action = "reject", .status = 403, .rejected_by = "allowlist"}));
  ASSERT_EQ(p.kind, LineKind::kRecord);
  EXPECT_EQ(p.record.action, "reject");
  EXPECT_EQ(p.record.rejected_by, "allowlist");
  EXPECT_EQ(p.record.status_code, 403);
  EXPECT_EQ(HostName(p.record), "evil.com");
  EXPECT_STREQ(ActionColumn(p.record.action), "rejected");
}

TEST(AuditRecord, ErrorTextLosesTheUrlPathAndQueryWhereTheRealKeyWouldBe) {
  // Go's url.Error quotes the upstream URL, after the token was swapped for the key.
  const std::string err = std::string("Get \"https://user:pw@api.telegram.org/bot") + kRealKey +
                          "/getMe?key=" + kRealKey + "\": dial tcp 149.154.167.220:443: i/o timeout";
  const ParsedLine p = ParseLine(AuditLine({.host = "api.telegram.org", .action = "error", .status = 502, .error = err}));
  ASSERT_EQ(p.kind, LineKind::kRecord);
  EXPECT_EQ(p.record.error, "Get \"https://api.telegram.org/REDACTED\": dial tcp 149.154.167.220:443: i/o timeout");
  EXPECT_EQ(p.record.error.find(kRealKey), std::string::npos);
  EXPECT_STREQ(ActionColumn("error"), "errors");
}

TEST(AuditRecord, ProxyTokensAreRedactedInThePathAndEveryOtherField) {
  const std::string path = std::string("/bot") + kToken + "/sendMessage";
  const ParsedLine p = ParseLine(AuditLine({.host = std::string(kToken) + ".exfil.example", .path = path}));
  ASSERT_EQ(p.kind, LineKind::kRecord);
  EXPECT_EQ(p.record.path, "/botironward-telegram-REDACTED/sendMessage");
  EXPECT_EQ(p.record.host, "ironward-telegram-REDACTED.exfil.example");
  EXPECT_EQ(p.record.sni.find("0123456789abcdef"), std::string::npos);
  // Not a token: too short, no provider name, or more hex than a token has.
  EXPECT_EQ(RedactTokens("/ironward-docs/x"), "/ironward-docs/x");
  EXPECT_EQ(RedactTokens("ironward--0123456789abcdef0123456789abcdef"), "ironward--0123456789abcdef0123456789abcdef");
  EXPECT_EQ(RedactTokens("ironward-a-0123456789abcdef0123456789abcdef0"), "ironward-a-0123456789abcdef0123456789abcdef0");
  EXPECT_EQ(RedactTokens("a=ironward-my-app-0123456789ABCDEF0123456789abcdef&b=ironward-x-ffffffffffffffffffffffffffffffff"),
            "a=ironward-my-app-REDACTED&b=ironward-x-REDACTED");
}

TEST(AuditRecord, ClientCancelAndStubCountAsOther) {
  EXPECT_STREQ(ActionColumn("client_cancel"), "other");
  EXPECT_STREQ(ActionColumn("stub"), "other");
  EXPECT_STREQ(ActionColumn("unknown"), "other");
  EXPECT_EQ(ParseLine(AuditLine({.action = "client_cancel", .status = 0})).record.action, "client_cancel");
}

TEST(AuditRecord, LinesThatAreNotRequestRecords) {
  EXPECT_EQ(ParseLine(R"({"time":"2026-05-01T12:00:00Z","level":"INFO","msg":"starting proxy","addr":":8080"})").kind,
            LineKind::kOther);
  EXPECT_EQ(ParseLine(R"({"msg":"request","audit":"not a group"})").kind, LineKind::kOther);
  EXPECT_EQ(ParseLine(R"({"msg":"request","audit":{"host":"x"}})").kind, LineKind::kOther);  // no action
  EXPECT_EQ(ParseLine("2026/05/01 12:00:04 http: TLS handshake error from 172.18.0.5:1234: EOF").kind,
            LineKind::kGarbage);
  EXPECT_EQ(ParseLine(R"({"time":"2026-05-01T12:00:05+02:00","level":"INFO","msg":"requ)").kind, LineKind::kGarbage);
  EXPECT_EQ(ParseLine("[1,2]").kind, LineKind::kGarbage);
  EXPECT_EQ(ParseLine("").kind, LineKind::kGarbage);
  EXPECT_EQ(ParseLine(std::string("{\"a\":\"\xff\xfe\"}\x01")).kind, LineKind::kGarbage);
  // A CRLF line (a log copied through Windows) still parses.
  EXPECT_EQ(ParseLine(AuditLine({}) + "\r").kind, LineKind::kRecord);
}

TEST(AuditRecord, MissingOrBadTimeLeavesTheRecordWithoutOne) {
  const ParsedLine p = ParseLine(AuditLine({.time = "yesterday"}));
  ASSERT_EQ(p.kind, LineKind::kRecord);
  EXPECT_FALSE(p.record.time.has_value());
}

TEST(AuditRecord, TimesKeepTheirFractionAndOffset) {
  EXPECT_EQ(FormatMillis(*ParseTime("2026-05-01T12:00:00.987654321+02:00")), "2026-05-01T10:00:00.987Z");
  EXPECT_EQ(FormatMillis(*ParseTime("2026-05-01T10:00:00Z")), "2026-05-01T10:00:00.000Z");
  EXPECT_EQ(FormatMillis(*ParseTime("2026-05-01T10:00:00.5-01:30")), "2026-05-01T11:30:00.500Z");
  EXPECT_LT(*ParseTime("2026-05-01T10:00:00.1Z"), *ParseTime("2026-05-01T10:00:00.2Z"));
  EXPECT_FALSE(ParseTime("2026-05-01 10:00:00").has_value());
}

TEST(AuditRecord, HostNameAndSourceAddress) {
  Record r;
  r.host = "API.GitHub.com:443";
  EXPECT_EQ(HostName(r), "api.github.com");
  r.host = "[2001:db8::1]:443";
  EXPECT_EQ(HostName(r), "2001:db8::1");
  r.host = "example.com.";
  EXPECT_EQ(HostName(r), "example.com");
  r.host = "";
  EXPECT_EQ(HostName(r), "");
  EXPECT_EQ(SourceAddress("172.18.0.5:41234"), "172.18.0.5");
  EXPECT_EQ(SourceAddress("[fd00::5]:41234"), "fd00::5");
  EXPECT_EQ(SourceAddress("@"), "@");
}

TEST(AuditRecord, ControlCharactersCannotReachATerminal) {
  const ParsedLine p = ParseLine(AuditLine({.host = "evil\u001b[2J.com", .path = "/a\nb"}));
  ASSERT_EQ(p.kind, LineKind::kRecord);
  EXPECT_EQ(p.record.host, "evil?[2J.com");
  EXPECT_EQ(p.record.path, "/a?b");
}

}  // namespace
}  // namespace ironward::audit
