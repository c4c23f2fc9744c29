// Renderings of `ironward audit` (docs/audit.md lists every field; scripts rely on them):
//   summary  text table | JSON document | CSV (one row per host)
//   records  one line per record, for --follow: text | JSON lines | CSV rows
// Summaries never show paths. Record lines show the path with proxy tokens redacted (done when the
// line was parsed, see audit_record.h); no rendering ever shows a header value (records have none).
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "controller/audit/summary.h"

namespace ironward::audit {

/// What the summary was made of, for its footer / JSON envelope.
struct SummaryContext {
  const Filter* filter = nullptr;
  const ReadStats* stats = nullptr;
  std::uint64_t matched = 0;  ///< records that passed the filter
};

std::string SummaryText(const std::vector<HostStats>& hosts, const SandboxNames& names, const SummaryContext& ctx);
nlohmann::json SummaryJson(const std::vector<HostStats>& hosts, const SandboxNames& names, const SummaryContext& ctx);
std::string SummaryCsv(const std::vector<HostStats>& hosts, const SandboxNames& names);

/// One record: text line, JSON object (one line), CSV row; each ends with '\n'.
std::string RecordText(const Record& r, const SandboxNames& names);
nlohmann::json RecordJson(const Record& r, const SandboxNames& names);
std::string RecordCsv(const Record& r, const SandboxNames& names);
/// Header row of RecordCsv.
std::string RecordCsvHeader();

/// A CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF (quotes doubled); a
/// field starting with = + - @ gets a leading ' so a spreadsheet does not run it as a formula.
std::string CsvField(const std::string& value);

}  // namespace ironward::audit
