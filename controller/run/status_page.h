// The status page `ironward run` serves at / on its metrics address: one self-contained HTML
// document (inline CSS, no script, no external asset) rendered from the status model, i.e. what
// `ironward status` shows (status.json + the live proxy check), the daemon's readiness checks and
// the hosts iron-proxy rejected in the last hour.
//
// Pure: model in, HTML out. Every value is HTML-escaped (host names come from agents' traffic);
// status.json and the audit records never hold a secret value or a proxy token (the audit
// parser redacts tokens), so the page cannot show one either.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controller/live_status.h"
#include "controller/run/http_endpoint.h"
#include "controller/run/proxy_metrics.h"
#include "reconcilers/io/clock.h"
#include "state/status.h"

namespace ironward::run {

struct StatusPageModel {
  SystemTime now;
  state::StatusDoc doc;
  std::string status_problem;            ///< status.json could not be read, or was reset (warning)
  std::vector<ReadyCheck> checks;        ///< the daemon's /readyz checks
  LiveStatus live;                       ///< checked now (the page shows what is not ready)
  std::chrono::seconds rejected_window{std::chrono::hours(1)};
  RejectedHosts rejected;                ///< in [now - rejected_window, now]
  int refresh_seconds = 10;              ///< <meta http-equiv="refresh">; 0 = none
};

/// & < > " ' as entities; control characters (other than tab/newline) as U+FFFD.
std::string HtmlEscape(std::string_view text);

/// "42s", "5m 3s", "3h 12m", "12d 4h" (negative durations as "-" + the same).
std::string FormatAge(std::chrono::seconds age);

std::string RenderStatusPage(const StatusPageModel& model);

}  // namespace ironward::run
