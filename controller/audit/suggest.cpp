#include "controller/audit/suggest.h"

#include <algorithm>

#include "state/spec/validators.h"
#include "state/encoding.h"

namespace ironward::audit {
namespace {

/// Column the evidence comments start at (entries are short host names).
constexpr std::size_t kCommentColumn = 36;

std::string Entry(const std::string& pattern, const std::string& comment) {
  std::string line = "    - \"" + pattern + "\"";
  if (comment.empty()) return line + "\n";
  if (line.size() < kCommentColumn) line += std::string(kCommentColumn - line.size(), ' ');
  return line + "  # " + comment + "\n";
}

/// What in the desired state admits `host` already ("" when nothing does).
std::string AdmittedBy(const spec::Spec& spec, const std::string& host) {
  for (const auto& p : spec.providers) {
    for (const auto& h : p.hosts) {
      if (spec::HostPatternMatches(h, host)) return "provider " + p.name + " (" + h + ")";
    }
  }
  for (const auto& a : spec.allowlist) {
    if (spec::HostPatternMatches(a, host)) return "spec.allowlist (" + a + ")";
  }
  return "";
}

std::string Evidence(const HostStats& h, const SandboxNames& names) {
  std::vector<std::string> from;
  for (const auto& src : h.sources) from.push_back(SandboxOf(src, names));
  std::sort(from.begin(), from.end());
  from.erase(std::unique(from.begin(), from.end()), from.end());
  std::string who;
  for (std::size_t i = 0; i < from.size() && i < 3; ++i) who += (i == 0 ? "" : ", ") + from[i];
  if (from.size() > 3) who += ", +" + std::to_string(from.size() - 3) + " more";
  std::string out = std::to_string(h.rejected) + " rejected";
  if (h.last_seen) out += ", last " + FormatMillis(*h.last_seen);
  if (!who.empty()) out += ", from " + who;
  return out;
}

}  // namespace

std::string SuggestYaml(const SuggestInput& in) {
  std::vector<std::string> entries;  // new ones, with evidence
  std::vector<std::string> skipped;  // "host: why"
  std::uint64_t rejected = 0;
  for (const auto& h : *in.hosts) {
    if (h.rejected == 0) continue;
    rejected += h.rejected;
    const std::string shown = h.host.empty() ? "(no host)" : h.host;
    const bool by_allowlist = h.rejected_by.empty() || h.rejected_by.count("allowlist") != 0;
    if (!by_allowlist) {
      skipped.push_back(shown + ": rejected by " + Join(h.rejected_by) + ", not by the allowlist; allowlisting would not admit it");
    } else if (const std::string why = spec::CheckHostPattern(h.host); h.host.empty() || !why.empty()) {
      skipped.push_back(shown + ": not usable as a host pattern" + (why.empty() ? "" : " (" + why + ")"));
    } else if (const std::string by = in.spec != nullptr ? AdmittedBy(*in.spec, h.host) : ""; !by.empty()) {
      skipped.push_back(shown + ": already admitted by " + by + " in " + in.file +
                        "; the running proxy predates it? apply it (ironward reconcile)");
    } else {
      entries.push_back(Entry(h.host, Evidence(h, *in.names)));
    }
  }
  std::string out = "# ironward audit --suggest: allowlist entries that would admit the hosts iron-proxy rejected\n";
  out += "# (" + std::to_string(rejected) + " rejected request(s)" + (in.since.empty() ? "" : " since " + in.since) +
         "). Review each one; nothing has been changed.\n";
  if (entries.empty()) {
    out += "# No new entries to suggest.\n";
  } else {
    out += in.spec != nullptr ? "# spec.allowlist of " + in.file + " with the new entries appended:\n" : "";
    out += "spec:\n  allowlist:\n";
    if (in.spec != nullptr) {
      for (const auto& a : in.spec->allowlist) out += Entry(a, "");
    }
    for (const auto& e : entries) out += e;
  }
  if (!skipped.empty()) {
    out += "# Not suggested:\n";
    for (const auto& s : skipped) out += "#   " + s + "\n";
  }
  return out;
}

}  // namespace ironward::audit
