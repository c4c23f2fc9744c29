#include "controller/run/state_watch.h"

#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>

#include "controller/run/file_watch.h"

namespace ironward::run {
namespace {

constexpr std::uint32_t kMask = IN_CLOSE_WRITE | IN_ATTRIB | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |
                                IN_DELETE_SELF | IN_MOVE_SELF;
constexpr const char* kSubdirs[] = {"bin", "secrets"};

}  // namespace

StateWatch::StateWatch(std::filesystem::path root) : root_(std::move(root)) {
  fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd_ >= 0) Arm();
}

StateWatch::~StateWatch() {
  if (fd_ >= 0) ::close(fd_);
}

bool StateWatch::Relevant(const std::string& relative) {
  const std::string leaf = std::filesystem::path(relative).filename().string();
  if (leaf.empty() || leaf.front() == '.') return false;  // hidden temp files of atomic writes
  // Bookkeeping that changes on its own: every pass, the proxy's log, a fetch's login cache.
  static const std::set<std::string> kIgnored = {"status.json", "ironward.lock", "daemon.json",
                                                 "bitwarden-login.json"};
  if (relative == leaf && kIgnored.count(leaf) != 0) return false;
  if (leaf.rfind("iron-proxy.log", 0) == 0) return false;
  if (relative == "bin/iron-proxy.new") return false;  // a download being staged
  return true;
}

void StateWatch::Arm() {
  auto add = [&](const std::filesystem::path& dir, const std::string& name) {
    const int wd = ::inotify_add_watch(fd_, dir.c_str(), kMask | IN_ONLYDIR);
    if (wd >= 0) dirs_[wd] = name;  // the same directory again yields the same descriptor
  };
  add(root_, "");
  for (const char* sub : kSubdirs) add(root_ / sub, sub);
}

std::vector<std::string> StateWatch::Drain() {
  std::set<std::string> changed;
  DrainInotify(fd_, [&](const inotify_event& ev) {
    if ((ev.mask & IN_Q_OVERFLOW) != 0) {
      changed.insert("(events overflowed)");
      return;
    }
    auto it = dirs_.find(ev.wd);
    if (it == dirs_.end()) return;
    if ((ev.mask & IN_IGNORED) != 0) {
      dirs_.erase(it);  // the directory itself went away
      return;
    }
    if ((ev.mask & (IN_DELETE_SELF | IN_MOVE_SELF)) != 0) {
      changed.insert(it->second.empty() ? "(state directory)" : it->second + "/");
      return;
    }
    if (ev.len == 0) return;
    const std::string rel = it->second.empty() ? std::string(ev.name) : it->second + "/" + ev.name;
    if (Relevant(rel)) changed.insert(rel);
  });
  if (!changed.empty()) Arm();  // bin/ or secrets/ may have been (re)created
  return {changed.begin(), changed.end()};
}

std::vector<std::string> StateWatch::Unsettled(const std::vector<std::string>& names) const {
  std::vector<std::string> out;
  for (const auto& name : names) {
    struct stat st {};
    if (::lstat((root_ / name).c_str(), &st) != 0 || S_ISLNK(st.st_mode) ||
        (S_ISREG(st.st_mode) && (st.st_mode & 077) != 0)) {
      out.push_back(name);
    }
  }
  return out;
}

}  // namespace ironward::run
