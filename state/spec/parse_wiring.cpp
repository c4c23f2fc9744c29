// spec.wiring: the names wired containers see. A profile sets all three; explicit keys override it.
#include "state/spec/parse.h"
#include "state/spec/validators.h"

namespace ironward::spec::detail {
namespace {

constexpr std::size_t kMaxNameLength = 64;

/// "" when `path` can be the target of a read-only file bind in every launcher (docker run -v,
/// compose short syntax, the Engine API's Binds): absolute, no "..", no ':' ',' or whitespace.
std::string CheckCaPath(const std::string& path) {
  if (!IsAbsolutePath(path)) return "must be an absolute path without '..' segments";
  if (path.find_first_of(":, \t\r\n") != std::string::npos) {
    return "may not contain ':', ',' or whitespace (it is the target of a bind mount)";
  }
  if (path.back() == '/') return "names the CA file, not a directory (no trailing '/')";
  return "";
}

/// An environment variable name (or prefix: `what`) of at most 64 characters into `out`.
void ReadEnvName(Diag& diag, const Field& f, const std::string& what, std::string* out) {
  auto s = ReadNonEmpty(diag, f);
  if (!s) return;
  if (!IsEnvVarName(*s) || s->size() > kMaxNameLength) {
    diag.ErrorAt(f.pos, f.path,
                 "'" + *s + "' is not a valid environment variable " + what +
                     " ([A-Za-z_][A-Za-z0-9_]*, at most 64 characters)");
    return;
  }
  *out = *s;
}

}  // namespace

void ParseWiring(Diag& diag, const Field& field, WiringSpec* out) {
  Map m(diag, field, "spec.wiring");
  if (!m.valid()) return;
  if (auto f = m.Get("profile")) {
    if (auto s = ReadChoice(diag, *f, {"ironward", "hermes"})) {
      *out = *WiringProfile(*s == "ironward" ? "" : *s);
    }
  }
  if (auto f = m.Get("tokenEnvPrefix")) ReadEnvName(diag, *f, "prefix", &out->token_env_prefix);
  if (auto f = m.Get("markerEnv")) ReadEnvName(diag, *f, "name", &out->marker_env);
  if (auto f = m.Get("caPath")) {
    if (auto s = ReadNonEmpty(diag, *f)) {
      if (std::string why = CheckCaPath(*s); !why.empty()) {
        diag.ErrorAt(f->pos, f->path, "'" + *s + "' " + why);
      } else {
        out->ca_path = *s;
      }
    }
  }
}

}  // namespace ironward::spec::detail
