// Fuzzes the desired-state loader (controller/spec/loader.h) with arbitrary text.
// Properties: no crash, no hang, no exception escapes; a result is either a state or errors, never
// both; the digest is deterministic; and the canonical form round-trips: loading the canonical
// JSON of an accepted spec (JSON is YAML) is accepted again and gives the same digest.
#include <cstddef>
#include <cstdint>
#include <string>

#include "controller/spec/loader.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
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
