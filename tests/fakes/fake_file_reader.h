// A FileReader over a map of path -> content, for files outside the state directory
// (proxy.upstreamCaFile). Records every path it is asked for.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "reconcilers/io/file_reader.h"

namespace ironward {

class FakeFileReader final : public FileReader {
 public:
  Result<std::optional<std::string>> Read(const std::string& path) const override {
    reads_.push_back(path);
    if (auto it = errors_.find(path); it != errors_.end()) return Error::Transient(it->second);
    if (auto it = files_.find(path); it != files_.end()) return std::optional<std::string>(it->second);
    return std::optional<std::string>{};
  }

  void Set(const std::string& path, std::string content) { files_[path] = std::move(content); }
  void Remove(const std::string& path) { files_.erase(path); }
  /// Reading `path` fails with `message` (a permission error, say) until Clear.
  void Fail(const std::string& path, std::string message) { errors_[path] = std::move(message); }
  void Clear(const std::string& path) { errors_.erase(path); }
  const std::vector<std::string>& reads() const { return reads_; }

 private:
  std::map<std::string, std::string> files_;
  std::map<std::string, std::string> errors_;
  mutable std::vector<std::string> reads_;
};

}  // namespace ironward
