// Shared fixture for the CA reconciler tests: a real temp state directory, a fake clock and
// helpers to craft on-disk states by hand.
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "reconcilers/ca/ca_reconciler.h"
#include "reconcilers/ca/openssl_ca.h"
#include "state/encoding.h"
#include "tests/fakes/fake_clock.h"
#include "tests/support/temp_dir.h"

namespace ironward::ca::testing {

namespace fs = std::filesystem;

inline bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

using ::ironward::testing::TempDir;

struct FileSnap {
  unsigned mode = 0;
  std::string content;  ///< symlink target for links
  bool operator==(const FileSnap&) const = default;
};
/// Every entry under `root` (hidden files included): relative path -> mode + bytes.
inline std::map<std::string, FileSnap> Snapshot(const fs::path& root) {
  std::map<std::string, FileSnap> out;
  if (!fs::exists(fs::symlink_status(root))) return out;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    struct stat st {};
    ::lstat(e.path().c_str(), &st);
    FileSnap snap{static_cast<unsigned>(st.st_mode), ""};
    if (S_ISREG(st.st_mode)) {
      snap.content = ::ironward::testing::ReadFile(e.path());
    } else if (S_ISLNK(st.st_mode)) {
      snap.content = fs::read_symlink(e.path()).string();
    }
    out[fs::relative(e.path(), root).string()] = snap;
  }
  return out;
}

/// The file's bytes ("" when unreadable).
inline std::string ReadRaw(const fs::path& p) { return ::ironward::testing::ReadFile(p); }

inline void WriteRaw(const fs::path& p, const std::string& content, mode_t mode) {
  fs::create_directories(p.parent_path());
  {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << content;
  }
  ::chmod(p.c_str(), mode);
}

inline mode_t ModeOf(const fs::path& p) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

/// Fixture: state dir <tmp>/state, gateway "test-gw", ecdsa-p256 (fast) unless a test says so.
class CaFixture : public ::testing::Test {
 protected:
  CaFixture() : root_(tmp_.path() / "state"), writer_(root_) {
    desired_.name = "test-gw";
    desired_.spec.ca.algorithm = spec::CaAlgorithm::kEcdsaP256;
  }

  spec::CaSpec& Spec() { return desired_.spec.ca; }

  ResourcePlan Plan() {
    ReconcileContext ctx{desired_, facts_, true};
    state::StateReader reader(root_);
    ReadDeps deps{clock_, reader};
    return reconciler_.Plan(ctx, deps);
  }
  Outcome Apply(const ResourcePlan& plan) {
    ReconcileContext ctx{desired_, facts_, false};
    WriteDeps deps{clock_, writer_};
    return reconciler_.Apply(ctx, plan, deps);
  }
  /// Plans, expects no plan error, applies and expects success.
  Outcome Converge() {
    ResourcePlan plan = Plan();
    EXPECT_FALSE(plan.error.has_value()) << plan.error->message;
    Outcome out = Apply(plan);
    EXPECT_EQ(out.kind, Outcome::Kind::kDone) << out.reason << ": " << out.message;
    return out;
  }

  fs::path P(const std::string& name) const { return root_ / name; }
  std::string Read(const std::string& name) const { return ReadRaw(P(name)); }
  void Write(const std::string& name, const std::string& content, mode_t mode) { WriteRaw(P(name), content, mode); }
  bool Exists(const std::string& name) const { return fs::exists(fs::symlink_status(P(name))); }
  CaInfo InfoOf(const std::string& name) const {
    Result<CaInfo> info = ParseCertificate(Read(name));
    EXPECT_TRUE(info.ok()) << (info.ok() ? "" : info.error().message);
    return info.ok() ? *info : CaInfo{};
  }

  /// A CA minted directly (not through the reconciler), for hand-crafted states.
  GeneratedCa Mint(std::int64_t rotation, spec::CaAlgorithm alg = spec::CaAlgorithm::kEcdsaP256) {
    CaRequest req;
    req.algorithm = alg;
    req.subject = CaSubject::For(desired_.name, rotation);
    req.validity = Spec().validity;
    req.now = clock_.Now();
    Result<GeneratedCa> ca = GenerateCa(req);
    EXPECT_TRUE(ca.ok());
    return ca.ok() ? *ca : GeneratedCa{};
  }

  TempDir tmp_;
  fs::path root_;
  FakeClock clock_;
  spec::DesiredState desired_;
  Facts facts_;
  state::StateWriter writer_;
  CaReconciler reconciler_;
};

}  // namespace ironward::ca::testing
