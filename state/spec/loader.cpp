// LoadFile / LoadString: read, parse (yaml-cpp), check structure, parse sections, cross-check.
// Nothing escapes as an exception; every problem becomes a Diagnostic.
#include "state/spec/loader.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>

#include "state/spec/parse.h"
#include "state/spec/validators.h"

namespace ironward::spec {
namespace {

using detail::Diag;
using detail::Field;
using detail::Map;
using detail::Pos;
using detail::PosOf;
using detail::PosOfNode;

constexpr std::size_t kMaxFileBytes = 1024 * 1024;

/// Only notes where each document starts.
class DocumentCounter : public YAML::EventHandler {
 public:
  YAML::Mark start = YAML::Mark::null_mark();

  void OnDocumentStart(const YAML::Mark& mark) override { start = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& /*mark*/, YAML::anchor_t /*anchor*/) override {}
  void OnAlias(const YAML::Mark& /*mark*/, YAML::anchor_t /*anchor*/) override {}
  void OnScalar(const YAML::Mark& /*mark*/, const std::string& /*tag*/, YAML::anchor_t /*anchor*/,
                const std::string& /*value*/) override {}
  void OnSequenceStart(const YAML::Mark& /*mark*/, const std::string& /*tag*/,
                       YAML::anchor_t /*anchor*/, YAML::EmitterStyle::value /*style*/) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& /*mark*/, const std::string& /*tag*/, YAML::anchor_t /*anchor*/,
                  YAML::EmitterStyle::value /*style*/) override {}
  void OnMapEnd() override {}
};

}  // namespace

namespace detail {

void ParseDocument(Diag& diag, const YAML::Node& root, DesiredState* out) {
  Map doc(diag, Field{"", root, PosOfNode(root, {1, 1})}, "");
  if (!doc.valid()) return;
  if (auto f = doc.Require("apiVersion")) {
    if (auto s = detail::ReadString(diag, *f); s && *s != kApiVersion) {
      diag.ErrorAt(f->pos, f->path,
                   "unsupported apiVersion '" + *s + "' (expected '" + kApiVersion + "')");
    }
  }
  if (auto f = doc.Require("kind")) {
    if (auto s = detail::ReadString(diag, *f); s && *s != kKind) {
      diag.ErrorAt(f->pos, f->path, "unsupported kind '" + *s + "' (expected '" + kKind + "')");
    }
  }
  if (auto f = doc.Require("metadata")) {
    Map meta(diag, *f, "metadata");
    if (auto n = meta.Require("name")) {
      if (auto s = detail::ReadString(diag, *n)) {
        if (!IsDnsLabel(*s)) {
          diag.ErrorAt(n->pos, n->path,
                       "'" + *s + "' is not a valid name (lowercase letters, digits and '-', "
                       "starting and ending with a letter or digit, at most 63 characters)");
        } else {
          out->name = *s;
        }
      }
    }
  }
  auto spec_field = doc.Require("spec");
  if (!spec_field) return;
  Map spec(diag, *spec_field, "spec");
  if (!spec.valid()) return;
  Spec& s = out->spec;
  if (auto f = spec.Require("proxy")) {
    detail::ParseProxy(diag, *f, &s.proxy);
  } else {
    s.proxy.upstream_deny_cidrs = DefaultUpstreamDenyCidrs();
  }
  if (auto f = spec.Get("ca")) detail::ParseCa(diag, *f, &s.ca);
  if (auto f = spec.Get("providers")) detail::ParseProviders(diag, *f, &s.providers);
  if (auto f = spec.Get("allowlist")) detail::ParseAllowlist(diag, *f, &s.allowlist);
  if (auto f = spec.Get("credentials")) detail::ParseCredentials(diag, *f, &s.credentials);
  if (auto f = spec.Get("tokens")) detail::ParseTokens(diag, *f, &s.tokens);
  if (auto f = spec.Get("enforcement")) detail::ParseEnforcement(diag, *f, &s.enforcement);
  if (auto f = spec.Get("wiring")) detail::ParseWiring(diag, *f, &s.wiring);
  if (auto f = spec.Get("sandboxes")) detail::ParseSandboxes(diag, *f, s.wiring, &s.sandboxes);
  if (auto f = spec.Get("reconcile")) detail::ParseReconcile(diag, *f, &s.reconcile);
  if (auto f = spec.Get("dns")) detail::ParseDns(diag, *f, &s.dns);
  detail::CheckRouting(diag, &s);
  detail::CrossCheck(diag, s);
}

std::optional<YAML::Node> ParseText(Diag& diag, const std::string& text, int line_offset, bool allow_empty) {
  const Pos first{line_offset + 1, 1};
  if (text.size() > kMaxFileBytes) {
    diag.ErrorAt(first, "", "the file exceeds the size limit of " + std::to_string(kMaxFileBytes) + " bytes");
    return std::nullopt;
  }
  if (text.find('\0') != std::string::npos) {
    diag.ErrorAt(first, "", "the file contains NUL bytes; expected UTF-8 YAML text");
    return std::nullopt;
  }
  // An overlay is parsed after one blank line per line of the files before it: its marks then
  // say which file each node came from (Diag maps them back). A byte-order mark would no longer
  // be at the start of the stream, so it goes.
  std::string padded;
  if (line_offset > 0) {
    padded.assign(static_cast<std::size_t>(line_offset), '\n');
    padded += text.rfind("\xEF\xBB\xBF", 0) == 0 ? text.substr(3) : text;
  }
  const std::string& input = line_offset > 0 ? padded : text;
  // yaml-cpp 0.7's LoadAll never terminates on a stray ',' at document level (the parser
  // keeps returning empty documents without consuming it), so count documents ourselves
  // with an event pass that notices when the parser stops advancing.
  DocumentCounter counter;
  std::istringstream events(input);
  YAML::Parser parser(events);
  int documents = 0;
  YAML::Mark second;
  std::size_t last_pos = std::string::npos;
  try {
    while (documents < 3) {
      counter.start = YAML::Mark::null_mark();
      if (!parser.HandleNextDocument(counter)) break;
      if (static_cast<std::size_t>(counter.start.pos) == last_pos) {
        const std::size_t at = static_cast<std::size_t>(counter.start.pos);
        const std::string what = at < input.size() ? std::string(1, input[at]) : "end of input";
        diag.ErrorAt(PosOf(counter.start), "", "YAML syntax error: unexpected '" + what + "'");
        return std::nullopt;
      }
      last_pos = static_cast<std::size_t>(counter.start.pos);
      if (++documents == 2) second = counter.start;
    }
  } catch (const YAML::DeepRecursion& e) {
    diag.ErrorAt(PosOf(e.mark), "", "YAML nesting is too deep");
    return std::nullopt;
  } catch (const YAML::Exception& e) {
    diag.ErrorAt(PosOf(e.mark), "", "YAML syntax error: " + e.msg);
    return std::nullopt;
  }
  if (documents == 0) {
    if (allow_empty) return YAML::Node();  // an overlay with nothing (yet) to change
    diag.ErrorAt(first, "", "the file has no YAML document; expected an EgressGateway");
    return std::nullopt;
  }
  if (documents > 1) {
    diag.ErrorAt(PosOf(second), "", "expected exactly one YAML document; a second one starts here");
    return std::nullopt;
  }
  YAML::Node root;
  try {
    root = YAML::Load(input);
  } catch (const YAML::Exception& e) {
    diag.ErrorAt(PosOf(e.mark), "", "YAML syntax error: " + e.msg);
    return std::nullopt;
  }
  if (!CheckStructure(diag, root)) return std::nullopt;
  return root;
}

void CatchingLoadErrors(Diag& diag, const std::function<void()>& load) {
  try {
    load();
  } catch (const YAML::Exception& e) {
    diag.ErrorAt(PosOf(e.mark), "", "YAML error: " + e.msg);
  } catch (const std::exception& e) {
    diag.ErrorAt({1, 1}, "", std::string("internal error while loading: ") + e.what());
  }
}

}  // namespace detail

std::string Diagnostic::ToString() const {
  if (line <= 0) return file + ": " + message;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

LoadResult LoadString(const std::string& text, const std::string& name) {
  LoadResult result;
  Diag diag(name);
  DesiredState state;
  detail::CatchingLoadErrors(diag, [&] {
    if (auto root = detail::ParseText(diag, text, 0, false)) detail::ParseDocument(diag, *root, &state);
  });
  result.errors = diag.TakeErrors();
  result.warnings = diag.TakeWarnings();
  if (result.errors.empty()) {
    try {
      state.source_path.clear();  // in-memory; LoadFile sets the path
      state.source_paths.clear();
      state.raw_text = text;
      state.digest = ComputeDigest(state);
      result.state = std::move(state);
    } catch (const std::exception& e) {
      result.errors.push_back({name, 0, 0, std::string("internal error: ") + e.what()});
    }
  }
  return result;
}

std::optional<std::string> ReadSourceFile(const std::string& path, std::vector<Diagnostic>* errors) {
  try {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
      errors->push_back({path, 0, 0, "cannot read file: it is a directory"});
      return std::nullopt;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      const int err = errno;
      errors->push_back(
          {path, 0, 0, std::string("cannot read file: ") + (err != 0 ? std::strerror(err) : "open failed")});
      return std::nullopt;
    }
    std::string text;
    char buf[65536];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
      text.append(buf, static_cast<std::size_t>(in.gcount()));
      if (text.size() > kMaxFileBytes) break;  // the loader reports the size
    }
    if (in.bad()) {
      errors->push_back({path, 0, 0, "cannot read file: I/O error"});
      return std::nullopt;
    }
    return text;
  } catch (const std::exception& e) {
    errors->push_back({path, 0, 0, std::string("cannot read file: ") + e.what()});
    return std::nullopt;
  }
}

LoadResult LoadFile(const std::string& path) {
  LoadResult result;
  const auto text = ReadSourceFile(path, &result.errors);
  if (!text) return result;
  result = LoadString(*text, path);
  if (result.state) {
    result.state->source_path = path;
    result.state->source_paths = {path};
  }
  return result;
}

}  // namespace ironward::spec
