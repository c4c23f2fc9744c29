#include "reconcilers/sandboxes/mount_policy.h"

#include <charconv>
#include <filesystem>
#include <sstream>
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

std::vector<std::pair<std::string, std::string>> PersonHomes(const std::string& passwd) {
  std::vector<std::pair<std::string, std::string>> out;
  std::istringstream in(passwd);
  for (std::string line; std::getline(in, line);) {
    // name:password:uid:gid:gecos:home:shell
    std::vector<std::string> f;
    for (std::size_t at = 0; f.size() < 7;) {
      const auto colon = line.find(':', at);
      f.push_back(line.substr(at, colon == std::string::npos ? std::string::npos : colon - at));
      if (colon == std::string::npos) break;
      at = colon + 1;
    }
    if (f.size() < 6 || f[0].empty() || f[0][0] == '#') continue;
    long uid = -1;
    const char* begin = f[2].data();
    auto [ptr, ec] = std::from_chars(begin, begin + f[2].size(), uid);
    if (ec != std::errc() || ptr != begin + f[2].size()) continue;
    const std::string home = Normal(f[5]);
    if (home.empty() || home[0] != '/' || home == "/") continue;
    const bool person = uid == 0 || (uid >= 1000 && uid < 60000) || home.rfind("/home/", 0) == 0;
    if (person) out.emplace_back(f[0], home);
  }
  return out;
}

MountPolicy::MountPolicy(const MountPolicyInputs& in) {
  Add("/var/run/docker.sock", "the Docker socket", false);
  Add("/run/docker.sock", "the Docker socket", false);
  for (const auto& s : in.docker_sockets) {
    if (!s.empty()) Add(s, "the Docker socket", false);
  }
  struct Home {
    std::string path, what, tilde;  // "/home/alice", "the home of alice (/home/alice)", "~alice"
  };
  std::vector<Home> homes;
  if (!in.home.empty() && in.home[0] == '/') homes.push_back({Normal(in.home), "$HOME (" + in.home + ")", "~"});
  for (const auto& [user, home] : in.account_homes) {
    bool seen = false;
    for (const auto& h : homes) seen = seen || h.path == home;
    if (!seen) homes.push_back({home, "the home of " + user + " (" + home + ")", "~" + user});
  }
  for (const auto& h : homes) {
    Add(h.path, h.what, false);
    for (const char* entry : {".ssh", ".aws", ".config", ".kube", ".docker", ".gnupg", ".netrc"}) {
      Add(h.path + "/" + entry, h.tilde + "/" + entry, true);
    }
  }
  Add("/etc", "/etc (the host's configuration)", false);
  Add("/etc/shadow", "/etc/shadow", true);
  Add("/etc/gshadow", "/etc/gshadow", true);
  Add("/etc/ssh", "/etc/ssh (the host's SSH keys)", true);
  if (!in.state_dir.empty()) Add(in.state_dir, "ironward's state directory", true);
  for (const auto& c : in.config_paths) {
    if (!c.empty() && c[0] == '/') Add(c, "ironward's configuration (" + c + ")", true);
  }
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
