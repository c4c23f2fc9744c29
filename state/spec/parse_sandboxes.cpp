// spec.sandboxes[].
#include <set>

#include "state/spec/parse.h"
#include "state/spec/units.h"
#include "state/spec/validators.h"

namespace ironward::spec::detail {
namespace {

constexpr std::int64_t kMinMemory = 6LL * 1024 * 1024;  // Docker's minimum

/// The host path is the Docker socket or one of its parent directories (lexically).
bool ExposesDockerSocket(std::string host) {
  while (host.size() > 1 && host.back() == '/') host.pop_back();
  for (const std::string sock : {"/var/run/docker.sock", "/run/docker.sock"}) {
    if (host == sock || host == "/" || sock.rfind(host + "/", 0) == 0) return true;
  }
  return false;
}

void ParseEnv(Diag& diag, const Field& field, std::map<std::string, std::string>* out) {
  ParseVarMap(diag, field, "a mapping of variable names to values", [&](const std::string& name, const Field& value) {
    auto text = ReadScalarText(diag, value);
    if (!text) return;
    if (text->find('\0') != std::string::npos) {
      diag.ErrorAt(value.pos, value.path, "contains a NUL character");
      return;
    }
    (*out)[name] = *text;
  });
}

void ParseMounts(Diag& diag, const Field& field, const std::string& ca, std::vector<std::string>* out) {
  auto list = ReadSeq(diag, field);
  if (!list) return;
  std::map<std::string, std::string> targets;  // container path -> item path
  for (const auto& item : *list) {
    auto s = ReadString(diag, item);
    if (!s) continue;
    std::string container;
    const std::string err = CheckMount(*s, &container);
    if (!err.empty()) {
      diag.ErrorAt(item.pos, item.path, err);
      continue;
    }
    while (container.size() > 1 && container.back() == '/') container.pop_back();
    if (container == "/" || container == ca || ca.rfind(container + "/", 0) == 0) {
      diag.ErrorAt(item.pos, item.path,
                   "mounting over " + container + " would hide the egress CA that ironward mounts at " +
                       ca);
      continue;
    }
    if (auto [it, inserted] = targets.emplace(container, item.path); !inserted) {
      diag.ErrorAt(item.pos, item.path,
                   "container path " + container + " is already mounted by " + it->second);
      continue;
    }
    if (ExposesDockerSocket(s->substr(0, s->find(':')))) {
      // The reconciler also refuses $HOME, ~/.ssh, ~/.aws, ~/.config and the state directory:
      // those are only known on the host that reconciles (docs/sandboxes.md).
      diag.ErrorAt(item.pos, item.path,
                   "mounting the Docker socket (or a directory holding it) is forbidden: the sandbox "
                   "could start containers that bypass the egress proxy");
      continue;
    }
    out->push_back(*s);
  }
}

void ParseResources(Diag& diag, const Field& field, Resources* out) {
  Map m(diag, field, "spec.sandboxes[].resources");
  if (!m.valid()) return;
  if (auto f = m.Get("memory")) {
    const Kind k = Classify(f->node);
    std::optional<std::int64_t> bytes;
    if (k == Kind::kInt) {
      bytes = ReadInt(diag, *f);
    } else if (k == Kind::kString) {
      std::string why;
      bytes = ParseMemorySize(f->node.Scalar(), &why);
      if (!bytes) diag.ErrorAt(f->pos, f->path, why);
    } else {
      TypeError(diag, *f, "a size like 512m or 2g, or a number of bytes");
    }
    if (bytes) {
      if (*bytes < kMinMemory) {
        diag.ErrorAt(f->pos, f->path,
                     "must be at least 6m (6291456 bytes), got " + std::to_string(*bytes) + " bytes");
      } else {
        out->memory_bytes = *bytes;
      }
    }
  }
  if (auto f = m.Get("cpus")) {
    if (auto v = ReadNumber(diag, *f)) {
      if (*v <= 0 || *v > 1024) {
        diag.ErrorAt(f->pos, f->path, "must be greater than 0 (and at most 1024), got " + f->node.Scalar());
      } else {
        out->cpus = *v;
      }
    }
  }
  if (auto f = m.Get("pids")) {
    if (auto v = ReadInt(diag, *f)) {
      if (*v <= 0) {
        diag.ErrorAt(f->pos, f->path, "must be greater than 0, got " + std::to_string(*v));
      } else {
        out->pids = *v;
      }
    }
  }
}

void ParseSandbox(Diag& diag, const Field& field, const WiringSpec& wiring, Sandbox* out) {
  Map m(diag, field, "spec.sandboxes[]");
  if (!m.valid()) return;
  if (auto f = m.Require("name")) {
    if (auto s = ReadString(diag, *f)) {
      if (!IsDockerName(*s)) {
        diag.ErrorAt(f->pos, f->path,
                     "'" + *s + "' is not a valid sandbox name ([a-zA-Z0-9][a-zA-Z0-9_.-]*, at most "
                     "63 characters)");
      } else {
        out->name = *s;
      }
    }
  }
  if (auto f = m.Require("image")) {
    if (auto s = ReadNonEmpty(diag, *f)) {
      if (s->find_first_of(" \t\r\n") != std::string::npos) {
        diag.ErrorAt(f->pos, f->path, "'" + *s + "' is not an image reference (contains whitespace)");
      } else {
        out->image = *s;
      }
    }
  }
  if (auto f = m.Get("command")) {
    if (auto list = ReadStringList(diag, *f)) out->command = *list;
  }
  if (auto f = m.Get("env")) ParseEnv(diag, *f, &out->env);
  if (auto f = m.Get("mounts")) ParseMounts(diag, *f, wiring.ca_path, &out->mounts);
  if (auto f = m.Get("resources")) ParseResources(diag, *f, &out->resources);
  if (auto f = m.Get("ports")) ParsePorts(diag, *f, &out->ports);
  if (auto f = m.Get("user")) ParseUser(diag, *f, &out->user);
  if (auto f = m.Get("capAdd")) ParseCapAdd(diag, *f, &out->cap_add);
  if (auto f = m.Get("restart")) {
    if (auto s = ReadChoice(diag, *f, {"always", "on-failure", "no"})) {
      out->restart = *s == "always" ? RestartPolicy::kAlways
                     : *s == "on-failure" ? RestartPolicy::kOnFailure
                                          : RestartPolicy::kNo;
    }
  }
  if (auto f = m.Get("oneshot")) {
    if (auto b = ReadBool(diag, *f)) out->oneshot = *b;
  }
  if (out->oneshot && (out->restart == RestartPolicy::kAlways || out->restart == RestartPolicy::kOnFailure)) {
    diag.Error(Child(m.path(), "restart"),
               "a oneshot sandbox runs once and is re-run only when its spec changes; restart: " +
                   ToString(out->restart) + " would run it again");
  }
  if (auto f = m.Get("healthcheck")) ParseHealthcheck(diag, *f, &out->healthcheck);
  if (auto f = m.Get("noProxy")) ParseNoProxy(diag, *f, &out->no_proxy);
  if (auto f = m.Get("requireDigest")) {
    if (auto b = ReadBool(diag, *f)) out->require_digest = *b;
  }
  if (auto f = m.Get("secretEnv")) ParseSecretEnv(diag, *f, &out->secret_env);
}

}  // namespace

void ParseSandboxes(Diag& diag, const Field& field, const WiringSpec& wiring, std::vector<Sandbox>* out) {
  auto items = ReadSeq(diag, field);
  if (!items) return;
  for (const auto& item : *items) {
    Sandbox s;
    ParseSandbox(diag, item, wiring, &s);
    out->push_back(std::move(s));  // keep indices aligned with the YAML for cross checks
  }
}

}  // namespace ironward::spec::detail
