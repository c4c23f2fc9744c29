// The pinned iron-proxy binary: state bin/iron-proxy (0755), recorded in bin/iron-proxy.json (0600).
//
// Observe reads files only (never the network): the binary's sha256 and mode, and the install
// record. The binary is hashed only when its file identity (state::FileIdentity) differs from the
// one recorded with the digest, and on every full check (`run`'s drift checks). Diff plans a create when it is missing, a replace when it was tampered with, has no or
// an unreadable record, or the desired version / pinned archive digest changed, and an update
// when only modes drifted. Apply downloads and verifies the release (release_fetch.h), stages
// bin/iron-proxy.new, runs `version` on it, renames it into place and writes the record.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "reconcilers/binary/download.h"
#include "reconcilers/binary/install_record.h"
#include "reconcilers/binary/release_url.h"
#include "reconcilers/binary/version_probe.h"
#include "reconcilers/reconciler.h"

namespace ironward::binary {

inline constexpr const char* kBinaryFile = "bin/iron-proxy";
inline constexpr const char* kStagingFile = "bin/iron-proxy.new";
inline constexpr const char* kRecordFile = "bin/iron-proxy.json";
inline constexpr mode_t kBinaryMode = 0755;
inline constexpr mode_t kRecordMode = 0600;

struct ObservedBinary {
  std::string path;  ///< absolute path of bin/iron-proxy
  bool exists = false;
  mode_t mode = 0;
  std::string sha256;  ///< of the installed file
  bool record_exists = false;
  mode_t record_mode = 0;
  std::optional<InstallRecord> record;  ///< nullopt when missing or unreadable
  std::string record_error;
  ReleaseUrls urls;  ///< the desired release for this host
  Platform platform;
  std::string fingerprint;
};

struct BinaryOptions {
  std::optional<Platform> platform;  ///< default: this host (uname)
  std::shared_ptr<Processes> processes;  ///< runs the version probe; default: RealProcesses
  Sleeper sleep;                     ///< default: std::this_thread::sleep_for
  ProgressSink progress;             ///< default: TerminalProgressSink() (stderr, only on a TTY)
  std::chrono::milliseconds download_timeout{std::chrono::minutes(10)};
  int retries = 3;                          ///< after the first attempt
  std::chrono::milliseconds backoff{1000};  ///< 1s, 2s, 4s
};

class BinaryReconciler final : public ResourceReconciler<ObservedBinary> {
 public:
  BinaryReconciler();
  explicit BinaryReconciler(BinaryOptions options);

  std::string_view Name() const override { return "binary"; }

 protected:
  Outcome DoApply(ReconcileContext& ctx, const ResourcePlan& plan, WriteDeps& deps) override;
  Result<ObservedBinary> Observe(const ReconcileContext& ctx, const ReadDeps& deps) const override;
  ResourcePlan Diff(ReconcileContext& ctx, const ObservedBinary& observed, const Clock& clock) const override;

 private:
  Outcome Install(ReconcileContext& ctx, const ObservedBinary& observed, WriteDeps& deps);
  Outcome FixModes(ReconcileContext& ctx, const ObservedBinary& observed, WriteDeps& deps);
  /// The installed binary's digest: taken from the install record while the file's identity is
  /// the one recorded with it (not in a full check), else hashed.
  Status ObserveBinaryDigest(const ReconcileContext& ctx, const ReadDeps& deps, ObservedBinary* o) const;
  /// Writes `record` with the binary's current identity (after an install or a chmod).
  static Status RecordIdentity(InstallRecord record, WriteDeps& deps);

  BinaryOptions options_;
};

}  // namespace ironward::binary
