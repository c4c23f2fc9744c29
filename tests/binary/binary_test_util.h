// Helpers for the binary reconciler tests: temp dirs, a tar/gzip writer, release packaging with
// scripts/package-iron-proxy-release.sh, and a loopback HTTP server for packaged releases.
#pragma once

#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>

#include "state/encoding.h"
#include "tests/support/eventually.h"
#include "tests/support/shell.h"
#include "tests/support/temp_dir.h"

namespace ironward::binary::testing {

// TempDir, ReadFile and ModeOf are the shared test helpers of tests/support/temp_dir.h.
using ironward::testing::ModeOf;
using ironward::testing::ReadFile;
using ironward::testing::TempDir;

inline void WriteFile(const std::filesystem::path& p, const std::string& content, mode_t mode = 0644) {
  std::filesystem::create_directories(p.parent_path());
  { std::ofstream out(p, std::ios::binary | std::ios::trunc); out << content; }
  ::chmod(p.c_str(), mode);
}

/// Writes ustar archives byte by byte (so tests can craft hostile ones).
class TarBuilder {
 public:
  TarBuilder& Add(const std::string& name, const std::string& content, char type = '0',
                  const std::string& link = "") {
    out_ += Header(name, type == '0' || type == 'x' || type == 'L' ? content.size() : 0, type, link);
    if (type == '0' || type == 'x' || type == 'L') {
      out_ += content;
      out_.append((512 - content.size() % 512) % 512, '\0');
    }
    return *this;
  }
  /// The archive, with the two zero blocks that end it unless told otherwise.
  std::string Finish(bool end_marker = true) const { return end_marker ? out_ + std::string(1024, '\0') : out_; }

  static std::string Header(const std::string& name, std::size_t size, char type, const std::string& link) {
    std::string h(512, '\0');
    std::memcpy(h.data(), name.data(), std::min<std::size_t>(name.size(), 100));
    std::snprintf(h.data() + 100, 8, "%07o", 0755U);
    std::snprintf(h.data() + 108, 8, "%07o", 0U);
    std::snprintf(h.data() + 116, 8, "%07o", 0U);
    std::snprintf(h.data() + 124, 12, "%011lo", static_cast<unsigned long>(size));
    std::snprintf(h.data() + 136, 12, "%011o", 0U);
    h[156] = type;
    std::memcpy(h.data() + 157, link.data(), std::min<std::size_t>(link.size(), 100));
    std::memcpy(h.data() + 257, "ustar\0" "00", 8);
    std::memset(h.data() + 148, ' ', 8);
    unsigned sum = 0;
    for (char c : h) sum += static_cast<unsigned char>(c);
    std::snprintf(h.data() + 148, 8, "%06o", sum);
    return h;
  }

 private:
  std::string out_;
};

inline std::string Gzip(const std::string& data) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&zs, static_cast<uLong>(data.size())) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

/// Runs a shell command, returning its stdout; fails the test on a non-zero exit.
inline std::string Run(const std::string& command) {
  const auto r = ironward::testing::Sh(command, /*with_stderr=*/false);
  EXPECT_EQ(r.code, 0) << command;
  return r.out;
}

struct PackagedRelease {
  std::string version;
  std::filesystem::path dir;  ///< OUTROOT/v<version>
  std::string archive_name;
  std::string sha256;         ///< of the archive (what a spec pins)
  std::string binary_sha256;  ///< of the iron-proxy inside
  bool from_double = false;
};

/// The iron-proxy double reporting `version` when it is built, else nullptr.
inline const char* DoublePath(const std::string& version) {
#ifdef IRONWARD_DOUBLE_0_39_0
  if (version == "0.39.0") return IRONWARD_DOUBLE_0_39_0;
#endif
#ifdef IRONWARD_DOUBLE_0_45_0
  if (version == "0.45.0") return IRONWARD_DOUBLE_0_45_0;
#endif
  (void)version;
  return nullptr;
}

/// Packages, as release `release_version`, an iron-proxy whose `version` prints `binary_version`
/// (the double when built, else `#!/bin/sh\necho <version>`), with the project's release script.
inline PackagedRelease Package(const std::filesystem::path& outroot, const std::string& release_version,
                               const std::string& binary_version = "") {
  const std::string reports = binary_version.empty() ? release_version : binary_version;
  PackagedRelease r;
  r.version = release_version;
  std::filesystem::path binary;
  if (const char* d = DoublePath(reports); d != nullptr && std::filesystem::exists(d)) {
    binary = d;
    r.from_double = true;
  } else {
    binary = outroot / ("src-" + reports) / "iron-proxy";
    WriteFile(binary, "#!/bin/sh\necho " + reports + "\n", 0755);
  }
  r.binary_sha256 = Sha256Hex(ReadFile(binary));
  std::string out = Run(std::string("bash ") + IRONWARD_PACKAGE_SCRIPT + " '" + binary.string() + "' " +
                        release_version + " '" + outroot.string() + "'");
  while (!out.empty() && out.back() == '\n') out.pop_back();
  r.sha256 = out;
  r.dir = outroot / ("v" + release_version);
  r.archive_name = "iron-proxy_" + release_version + "_linux_amd64.tar.gz";
  EXPECT_EQ(r.sha256, Sha256Hex(ReadFile(r.dir / r.archive_name)));
  return r;
}

/// Serves the files under `root` on 127.0.0.1:<ephemeral>; paths can be overridden, hidden or
/// made to fail, and requests are counted per path.
class ReleaseServer {
 public:
  explicit ReleaseServer(std::filesystem::path root) : root_(std::move(root)) {
    server_.Get(R"(/(.*))", [this](const httplib::Request& req, httplib::Response& res) { Handle(req, res); });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() before the accept loop started would be lost and join() would hang.
    (void)ironward::testing::Eventually([this] { return server_.is_running(); }, std::chrono::seconds(10),
                                        std::chrono::milliseconds(1));
  }
  ~ReleaseServer() {
    server_.stop();
    thread_.join();
  }
  ReleaseServer(const ReleaseServer&) = delete;
  ReleaseServer& operator=(const ReleaseServer&) = delete;

  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int Hits(const std::string& path) {
    std::lock_guard<std::mutex> lock(mu_);
    return hits_[path];
  }
  void Override(const std::string& path, std::string body) {
    std::lock_guard<std::mutex> lock(mu_);
    overrides_[path] = std::move(body);
  }
  void Hide(const std::string& path) {
    std::lock_guard<std::mutex> lock(mu_);
    hidden_[path] = true;
  }
  void FailNext(const std::string& path, int count, int status = 500) {
    std::lock_guard<std::mutex> lock(mu_);
    failures_[path] = {count, status};
  }

 private:
  void Handle(const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu_);
    const std::string path = req.path;
    ++hits_[path];
    if (auto f = failures_.find(path); f != failures_.end() && f->second.first > 0) {
      --f->second.first;
      res.status = f->second.second;
      res.set_content("server error", "text/plain");
      return;
    }
    if (hidden_.count(path) != 0) {
      res.status = 404;
      return;
    }
    if (auto o = overrides_.find(path); o != overrides_.end()) {
      res.set_content(o->second, "application/octet-stream");
      return;
    }
    const auto file = root_ / path.substr(1);
    if (path.find("..") != std::string::npos || !std::filesystem::is_regular_file(file)) {
      res.status = 404;
      return;
    }
    res.set_content(ReadFile(file), "application/octet-stream");
  }

  std::filesystem::path root_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::map<std::string, int> hits_;
  std::map<std::string, std::string> overrides_;
  std::map<std::string, bool> hidden_;
  std::map<std::string, std::pair<int, int>> failures_;
};

}  // namespace ironward::binary::testing
