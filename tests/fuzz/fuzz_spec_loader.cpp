// Fuzzes the desired-state loader (state/spec/loader.h) with arbitrary text.
// Properties: no crash, no hang, no exception escapes; a result is either a state or errors, never
// both; the digest is deterministic; and the canonical form round-trips: loading the canonical
// JSON of an accepted spec (JSON is YAML) is accepted again and gives the same digest.
// Overlays: an input with "#@overlay" lines is also loaded as a base and overlays (the parts
// between them, merged in order); every diagnostic then names one of those files at a line it
// has (never none: that is an internal failure), and an accepted merge's YAML loads back alone to
// the same digest.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "state/spec/loader.h"
#include "fuzz_check.h"

namespace {

void CheckOverlays(const std::string& text) {
  const std::string marker = "\n#@overlay\n";
  std::vector<ironward::spec::Source> sources;
  for (std::size_t at = 0;;) {
    const std::size_t next = text.find(marker, at);
    sources.push_back({"f" + std::to_string(sources.size()) + ".yaml", text.substr(at, next - at)});
    if (next == std::string::npos) break;
    at = next + marker.size();
  }
  if (sources.size() < 2) return;
  const auto merged = ironward::spec::LoadSources(sources);
  FUZZ_CHECK(merged.ok() == merged.errors.empty(), "a merge has a state exactly when it has no errors");
  for (const auto* list : {&merged.errors, &merged.warnings}) {
    for (const auto& d : *list) {
      const auto source = std::find_if(sources.begin(), sources.end(), [&](const auto& s) { return s.name == d.file; });
      FUZZ_CHECK(source != sources.end(), "every diagnostic names one of the files");
      const int lines = static_cast<int>(std::count(source->text.begin(), source->text.end(), '\n')) + 1;
      // Only the loader's internal failures (the merge not loading back) have no position; the
      // message text cannot tell, a key may say anything.
      FUZZ_CHECK(d.line >= 1 && d.line <= lines, "a diagnostic's line is a line of its own file");
    }
  }
  if (!merged.ok()) return;
  const auto alone = ironward::spec::LoadString(merged.state->raw_text, "merged.yaml");
  FUZZ_CHECK(alone.ok() && alone.state->digest == merged.state->digest,
             "the merged YAML loads back alone to the same digest");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  CheckOverlays(text);
  const auto first = ironward::spec::LoadString(text, "fuzz.yaml");
  FUZZ_CHECK(first.ok() == first.errors.empty(), "a load result has a state exactly when it has no errors");
  for (const auto& d : first.errors) {
    FUZZ_CHECK(!d.message.empty(), "every diagnostic says something");
    FUZZ_CHECK(d.line >= 0 && d.column >= 0, "diagnostic positions are never negative");
  }
  if (!first.ok()) return 0;

  const std::string digest = ironward::spec::ComputeDigest(*first.state);
  FUZZ_CHECK(digest == ironward::spec::ComputeDigest(*first.state), "the digest is deterministic");
  const auto again = ironward::spec::LoadString(text, "fuzz.yaml");
  FUZZ_CHECK(again.ok() && ironward::spec::ComputeDigest(*again.state) == digest,
             "loading the same text twice gives the same state");

  const std::string canonical = ironward::spec::ToJson(*first.state).dump(2);
  const auto reloaded = ironward::spec::LoadString(canonical, "canonical.json");
  if (!reloaded.ok()) {
    for (const auto& d : reloaded.errors) std::fprintf(stderr, "  %s\n", d.ToString().c_str());
  }
  FUZZ_CHECK(reloaded.ok(), "the canonical form of an accepted spec is accepted");
  FUZZ_CHECK(ironward::spec::ComputeDigest(*reloaded.state) == digest,
             "the canonical form loads back to the same digest");
  return 0;
}
