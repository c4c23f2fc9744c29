// Fakes for the harden survey: scripted command results and an in-memory filesystem.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "reconcilers/io/command_runner.h"
#include "controller/harden/file_reader.h"
#include "controller/harden/proxy_probe.h"

namespace ironward::harden::testing {

/// Results keyed by argv[0]; anything not scripted is "not installed". Thread-safe.
class FakeRunner final : public CommandRunner {
 public:
  void Set(const std::string& program, CommandResult result) {
    std::lock_guard<std::mutex> lock(mu_);
    results_[program] = std::move(result);
  }
  CommandResult Run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) override {
    std::lock_guard<std::mutex> lock(mu_);
    calls_.push_back(argv);
    last_timeout_ = timeout;
    auto it = results_.find(argv.empty() ? "" : argv[0]);
    if (it == results_.end()) return CommandResult::NotFound(argv.empty() ? "" : argv[0] + " not found");
    return it->second;
  }
  std::chrono::milliseconds last_timeout() {
    std::lock_guard<std::mutex> lock(mu_);
    return last_timeout_;
  }
  std::vector<std::vector<std::string>> calls() {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }

 private:
  std::mutex mu_;
  std::map<std::string, CommandResult> results_;
  std::vector<std::vector<std::string>> calls_;
  std::chrono::milliseconds last_timeout_{0};
};

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
  void SetLiveness(daemon::Liveness liveness) {
    std::lock_guard<std::mutex> lock(mu_);
    liveness_ = liveness;
  }
  void SetAccepts(bool accepts) {
    std::lock_guard<std::mutex> lock(mu_);
    accepts_ = accepts;
  }
  daemon::Liveness Identity(const daemon::ProcessIdentity& id) override {
    std::lock_guard<std::mutex> lock(mu_);
    identities_.push_back(id);
    return liveness_;
  }
  bool Accepts(const daemon::Endpoint& ep, std::chrono::milliseconds) override {
    std::lock_guard<std::mutex> lock(mu_);
    endpoints_.push_back(ep.ToString());
    return accepts_;
  }
  std::vector<daemon::ProcessIdentity> identities() {
    std::lock_guard<std::mutex> lock(mu_);
    return identities_;
  }
  std::vector<std::string> endpoints() {
    std::lock_guard<std::mutex> lock(mu_);
    return endpoints_;
  }

 private:
  std::mutex mu_;
  daemon::Liveness liveness_ = daemon::Liveness::kAlive;
  bool accepts_ = true;
  std::vector<daemon::ProcessIdentity> identities_;
  std::vector<std::string> endpoints_;
};

}  // namespace ironward::harden::testing
