// `ironward audit --suggest`: spec.allowlist entries that would admit the hosts iron-proxy
// rejected, as desired-state YAML to review and paste. Never applied.
#pragma once

#include <string>
#include <vector>

#include "controller/audit/summary.h"
#include "state/spec/spec.h"

namespace ironward::audit {

struct SuggestInput {
  const std::vector<HostStats>* hosts = nullptr;  ///< the summary (only rejected hosts are used)
  const SandboxNames* names = nullptr;
  const spec::Spec* spec = nullptr;  ///< with -f: its allowlist is printed too, hosts it admits skipped
  std::string file;                  ///< the -f path, for comments
  std::string since;                 ///< "" or the --since time, for the heading
};

/// YAML: a heading comment, `spec: allowlist:` with one quoted entry per line (a comment with
/// the evidence per new entry), then comments for rejected hosts that allowlisting would not
/// admit (rejected by another transform, not a valid host pattern, already admitted).
std::string SuggestYaml(const SuggestInput& in);

}  // namespace ironward::audit
