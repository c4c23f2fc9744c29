// Fakes for the harden survey: an in-memory filesystem and the proxy probe. Commands are
// scripted with the process seam's fake (tests/fakes/fake_processes.h, by program name).
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "controller/harden/file_reader.h"
#include "controller/harden/proxy_probe.h"
#include "tests/fakes/fake_processes.h"

namespace ironward::harden::testing {

/// Files by absolute path; "denied" paths answer EACCES; symlinks are recorded separately. A
/// directory exists when made with Dir() or when it holds a file.
class FakeFiles final : public FileReader {
 public:
  void Put(const std::string& path, std::string content) { files_[path] = std::move(content); }
  void Remove(const std::string& path) { files_.erase(path); }
  void Dir(const std::string& path) { dirs_[path] = true; }
  void Deny(const std::string& path) { denied_[path] = true; }
  void Symlink(const std::string& path) { symlinks_[path] = true; }

  FileRead Read(const std::string& path, bool follow_symlinks) override {
    if (denied_.count(path) != 0) return FileRead::Fail(FileRead::Outcome::kDenied, path + ": Permission denied");
    if (symlinks_.count(path) != 0 && !follow_symlinks) {
      return FileRead::Fail(FileRead::Outcome::kNotRegular, path + ": is a symlink");
    }
    auto it = files_.find(path);
    if (it == files_.end()) return FileRead::Fail(FileRead::Outcome::kMissing, path + ": No such file or directory");
    return FileRead::Ok(it->second);
  }
  FileInfo Stat(const std::string& path) override {
    FileInfo info;
    if (denied_.count(path) != 0) {
      info.kind = FileInfo::Kind::kDenied;
      info.error = path + ": Permission denied";
    } else if (symlinks_.count(path) != 0) {
      info.kind = FileInfo::Kind::kSymlink;
    } else if (files_.count(path) != 0) {
      info.kind = FileInfo::Kind::kRegular;
    } else if (dirs_.count(path) != 0 || !List(path).empty()) {
      info.kind = FileInfo::Kind::kDirectory;
    } else {
      info.kind = FileInfo::Kind::kMissing;
    }
    return info;
  }
  std::vector<std::string> List(const std::string& dir) override {
    std::vector<std::string> names;  // std::map keeps them sorted
    const std::string prefix = dir + "/";
    for (const auto& [path, content] : files_) {
      if (path.rfind(prefix, 0) == 0 && path.find('/', prefix.size()) == std::string::npos) {
        names.push_back(path.substr(prefix.size()));
      }
    }
    return names;
  }

 private:
  std::map<std::string, std::string> files_;
  std::map<std::string, bool> denied_;
  std::map<std::string, bool> symlinks_;
  std::map<std::string, bool> dirs_;
};

/// Scripted liveness and listener answers; records what it was asked. Thread-safe.
class FakeProxyProbe final : public ProxyProbe {
 public:
  void SetLiveness(Liveness liveness) {
    std::lock_guard<std::mutex> lock(mu_);
    liveness_ = liveness;
  }
  void SetAccepts(bool accepts) {
    std::lock_guard<std::mutex> lock(mu_);
    accepts_ = accepts;
  }
  Liveness Identity(const ProcessIdentity& id) override {
    std::lock_guard<std::mutex> lock(mu_);
    identities_.push_back(id);
    return liveness_;
  }
  bool Accepts(const daemon::Endpoint& ep, std::chrono::milliseconds) override {
    std::lock_guard<std::mutex> lock(mu_);
    endpoints_.push_back(ep.ToString());
    return accepts_;
  }
  std::vector<ProcessIdentity> identities() {
    std::lock_guard<std::mutex> lock(mu_);
    return identities_;
  }
  std::vector<std::string> endpoints() {
    std::lock_guard<std::mutex> lock(mu_);
    return endpoints_;
  }

 private:
  std::mutex mu_;
  Liveness liveness_ = Liveness::kAlive;
  bool accepts_ = true;
  std::vector<ProcessIdentity> identities_;
  std::vector<std::string> endpoints_;
};

}  // namespace ironward::harden::testing
