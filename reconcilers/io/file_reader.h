// File seam for files outside the state directory that the desired state names by path
// (proxy.upstreamCaFile). Reads only, so Observe may hold it (ReadDeps::files); files inside the
// state directory go through state/state_dir.h instead. RealFileReader is the real one; tests use
// tests/fakes/fake_file_reader.h.
#pragma once

#include <optional>
#include <string>

#include "state/result.h"

namespace ironward {

class FileReader {
 public:
  virtual ~FileReader() = default;
  /// The whole file; nullopt when it does not exist. Errors: anything else that stops the read
  /// (permission, a directory): transient.
  virtual Result<std::optional<std::string>> Read(const std::string& path) const = 0;
};

/// Reads the path as given (a symlink is followed: /etc/ssl/certs is full of them).
class RealFileReader final : public FileReader {
 public:
  Result<std::optional<std::string>> Read(const std::string& path) const override;
};

}  // namespace ironward
