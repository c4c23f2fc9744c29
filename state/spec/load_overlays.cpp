// LoadSources / LoadFiles: a base file and its overlays (`-f base.yaml -f hosts/web1.yaml`),
// merged, then checked as one document. Each file is parsed with its lines numbered after the
// lines of the files before it (detail::Pos), so every diagnostic, from a syntax error to a
// cross-field check, names the file and line that set the value.
#include <algorithm>

#include "state/spec/loader.h"
#include "state/spec/overlay.h"
#include "state/spec/parse.h"

namespace ironward::spec {
namespace {

/// Offset of the first byte of `text` that is not part of well-formed UTF-8, or npos.
std::size_t InvalidUtf8At(const std::string& text) {
  for (std::size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    std::size_t more = 0;  // continuation bytes
    unsigned min = 0;      // the smallest code point that needs that many (no overlong forms)
    if ((lead & 0xE0) == 0xC0) {
      more = 1;
      min = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      more = 2;
      min = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
      more = 3;
      min = 0x10000;
    } else {
      return i;
    }
    unsigned cp = lead & (0x3Fu >> more);
    for (std::size_t k = 1; k <= more; ++k) {
      if (i + k >= text.size()) return i;
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (next & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += more + 1;
  }
  return std::string::npos;
}

}  // namespace

LoadResult LoadSources(const std::vector<Source>& sources) {
  if (sources.size() == 1) return LoadString(sources.front().text, sources.front().name);
  LoadResult result;
  if (sources.empty()) {
    result.errors.push_back({"", 0, 0, "no desired-state file given"});
    return result;
  }
  std::vector<detail::SourceSpan> spans;
  int lines = 0;
  for (const auto& s : sources) {
    spans.push_back({s.name, lines});
    lines += static_cast<int>(std::count(s.text.begin(), s.text.end(), '\n')) + 1;
  }
  detail::Diag diag(spans);
  DesiredState state;
  std::string merged_text;
  detail::CatchingLoadErrors(diag, [&] {
    std::vector<YAML::Node> documents;
    for (std::size_t i = 0; i < sources.size(); ++i) {
      // The merge is written back as YAML (validate -o yaml, saved plans), which is UTF-8: a
      // stray byte would come back as U+FFFD, another value than the one loaded.
      if (const std::size_t at = InvalidUtf8At(sources[i].text); at != std::string::npos) {
        const std::string before = sources[i].text.substr(0, at);
        const int line = static_cast<int>(std::count(before.begin(), before.end(), '\n'));
        const std::size_t line_start = before.rfind('\n') == std::string::npos ? 0 : before.rfind('\n') + 1;
        diag.ErrorAt({spans[i].line_offset + line + 1, static_cast<int>(at - line_start) + 1}, "",
                     "the file is not valid UTF-8 here; overlays are merged as UTF-8 YAML text");
        continue;
      }
      // The base must be a document; an overlay may be empty (a host with nothing to change).
      auto doc = detail::ParseText(diag, sources[i].text, spans[i].line_offset, i > 0);
      if (doc) documents.push_back(*doc);
    }
    if (!diag.HasErrors() && documents.size() == sources.size()) {
      const YAML::Node merged = detail::MergeOverlays(diag, documents);
      detail::ParseDocument(diag, merged, &state);
      if (!diag.HasErrors()) {
        auto text = detail::EmitYaml(merged);
        if (!text) {
          diag.ErrorAt({1, 1}, "", "the merged document cannot be written as YAML (is every file UTF-8?)");
        } else {
          merged_text = "# merged by ironward from:";
          for (const auto& s : sources) merged_text += " " + s.name;
          merged_text += "\n" + *text;
        }
      }
    }
  });
  result.errors = diag.TakeErrors();
  result.warnings = diag.TakeWarnings();
  if (!result.errors.empty()) return result;
  try {
    state.raw_text = merged_text;
    state.digest = ComputeDigest(state);
    // A saved plan carries raw_text and `apply` loads it on its own: it must give this state.
    const auto again = LoadString(merged_text, "merged");
    if (!again.ok() || again.state->digest != state.digest) {
      result.errors.push_back({sources.front().name, 0, 0,
                               "internal error: the merged document does not load back to the same desired state"});
      return result;
    }
    result.state = std::move(state);
  } catch (const std::exception& e) {
    result.errors.push_back({sources.front().name, 0, 0, std::string("internal error: ") + e.what()});
  }
  return result;
}

LoadResult LoadFiles(const std::vector<std::string>& paths) {
  LoadResult result;
  std::vector<Source> sources;
  for (const auto& path : paths) {
    if (auto text = ReadSourceFile(path, &result.errors)) sources.push_back({path, std::move(*text)});
  }
  if (!result.errors.empty()) return result;
  result = LoadSources(sources);
  if (result.state) {
    result.state->source_path = paths.front();
    result.state->source_paths = paths;
  }
  return result;
}

}  // namespace ironward::spec
