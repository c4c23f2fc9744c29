#include "reconcilers/sandboxes/mount_policy.h"

#include <filesystem>
#include <system_error>

namespace ironward::sandboxes {
namespace {

std::string Normal(const std::string& path) {
  std::string p = std::filesystem::path(path).lexically_normal().string();
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

/// Symlinks resolved as far as the path exists (weakly_canonical); "" when that fails.
std::string Resolved(const std::string& path) {
  std::error_code ec;
  auto r = std::filesystem::weakly_canonical(path, ec);
  if (ec) return "";
  return Normal(r.string());
}

std::vector<std::string> Forms(const std::string& path) {
  std::vector<std::string> out{Normal(path)};
  if (std::string r = Resolved(path); !r.empty() && r != out.front()) out.push_back(r);
  return out;
}

/// `parent` equals `child` or is one of its ancestors.
bool Covers(const std::string& parent, const std::string& child) {
  if (parent == child || parent == "/") return true;
  return child.size() > parent.size() && child.compare(0, parent.size(), parent) == 0 && child[parent.size()] == '/';
}

}  // namespace

MountPolicy::MountPolicy(const MountPolicyInputs& in) {
  Add("/var/run/docker.sock", "the Docker socket", false);
  Add("/run/docker.sock", "the Docker socket", false);
  for (const auto& s : in.docker_sockets) {
    if (!s.empty()) Add(s, "the Docker socket", false);
  }
  if (!in.home.empty() && in.home[0] == '/') {
    Add(in.home, "$HOME (" + in.home + ")", false);
    for (const char* dir : {".ssh", ".aws", ".config"}) {
      Add(in.home + "/" + dir, std::string("~/") + dir, true);
    }
  }
  if (!in.state_dir.empty()) Add(in.state_dir, "ironward's state directory", true);
}

void MountPolicy::Add(const std::string& path, std::string what, bool subtree) {
  rules_.push_back(Rule{Forms(path), std::move(what), subtree});
}

std::string MountPolicy::Check(const std::string& host_path) const {
  if (host_path.empty() || host_path[0] != '/') return "";  // named volumes are not host paths
  const std::vector<std::string> mount = Forms(host_path);
  for (const Rule& r : rules_) {
    for (const auto& m : mount) {
      for (const auto& f : r.forms) {
        if (Covers(m, f)) {
          return m == f ? "it is " + r.what : "it contains " + r.what + " (" + f + ")";
        }
        if (r.subtree && Covers(f, m)) return "it lies inside " + r.what + " (" + f + ")";
      }
    }
  }
  return "";
}

std::string MountPolicy::HostPathOf(const std::string& bind) { return bind.substr(0, bind.find(':')); }

}  // namespace ironward::sandboxes
