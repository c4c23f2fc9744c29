#include "reconcilers/binary/binary_reconciler.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <thread>

#include <nlohmann/json.hpp>

#include "reconcilers/binary/release_fetch.h"
#include "state/encoding.h"
#include "state/fault.h"

namespace ironward::binary {
namespace {

constexpr const char* kAddress = "binary.iron-proxy";
constexpr const char* kType = "ironward_binary";


std::string DesiredDigest(const spec::ProxySpec& proxy) {
  const nlohmann::json j = {{"version", proxy.version},
                            {"sha256", AsciiLower(proxy.source.sha256)},
                            {"url", proxy.source.url},
                            {"checksums_url", proxy.source.checksums_url.value_or("")}};
  return Sha256Hex(j.dump());
}

nlohmann::json Details(const std::string& version, const std::string& sha256, const std::string& path,
                       const std::string& source) {
  return {{"version", version}, {"sha256", ShortDigest(sha256)}, {"path", path}, {"source", DisplayUrl(source)}};
}

/// Why the installed binary must be (re)installed; "" when its content is the desired release.
std::string ReplaceReason(const ObservedBinary& o, const spec::ProxySpec& proxy, Action* action) {
  *action = Action::kReplace;
  if (!o.exists) {
    *action = Action::kCreate;
    if (o.record) return "bin/iron-proxy is missing (recorded install: " + o.record->version + ")";
    return "iron-proxy " + proxy.version + " is not installed";
  }
  if (!o.record_exists) return "no install record (" + std::string(kRecordFile) + "); the binary's origin is unknown";
  if (!o.record) return "install record is unreadable (" + o.record_error + ")";
  if (o.record->version != proxy.version) return "version " + o.record->version + " -> " + proxy.version;
  const std::string pinned = AsciiLower(proxy.source.sha256);
  if (o.record->tarball_sha256 != pinned) {
    return "pinned archive sha256 " + ShortDigest(o.record->tarball_sha256) + " -> " + ShortDigest(pinned);
  }
  if (o.sha256 != o.record->binary_sha256) {
    return "installed binary sha256 " + o.sha256 + " != recorded " + o.record->binary_sha256;
  }
  return "";
}

}  // namespace

BinaryReconciler::BinaryReconciler() : BinaryReconciler(BinaryOptions{}) {}

BinaryReconciler::BinaryReconciler(BinaryOptions options) : options_(std::move(options)) {
  if (!options_.processes) options_.processes = std::make_shared<RealProcesses>();
  if (!options_.sleep) options_.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  if (!options_.progress) options_.progress = TerminalProgressSink();
}

Result<ObservedBinary> BinaryReconciler::Observe(const ReconcileContext& ctx, const ReadDeps& deps) const {
  ObservedBinary o;
  o.path = deps.state.PathOf(kBinaryFile).string();
  if (options_.platform) {
    o.platform = *options_.platform;
  } else {
    auto platform = HostPlatform();
    if (!platform) return platform.error();
    o.platform = *platform;
  }
  auto urls = ExpandReleaseUrls(ctx.desired.spec.proxy.source, ctx.desired.spec.proxy.version, o.platform);
  if (!urls) return urls.error();
  o.urls = *urls;

  auto record = deps.state.Read(kRecordFile);
  if (!record) return record.error();
  if (record->has_value()) {
    auto st = deps.state.Stat(kRecordFile);
    if (!st) return st.error();
    o.record_exists = true;
    o.record_mode = st->mode;
    auto parsed = ParseInstallRecord(**record);
    if (parsed) {
      o.record = std::move(*parsed);
    } else {
      o.record_error = parsed.error().message;
    }
  }
  if (Status s = ObserveBinaryDigest(ctx, deps, &o); !s) return s.error();
  const nlohmann::json fp = {{"exists", o.exists},
                             {"mode", o.mode},
                             {"sha256", o.sha256},
                             {"record", record->has_value() ? Sha256Hex(**record) : "absent"},
                             {"record_mode", o.record_mode}};
  o.fingerprint = Sha256Hex(fp.dump());
  return o;
}

Status BinaryReconciler::ObserveBinaryDigest(const ReconcileContext& ctx, const ReadDeps& deps,
                                             ObservedBinary* o) const {
  // Symlinks planted at bin/ or bin/iron-proxy are refused by the state reader: surfaced as-is.
  auto st = deps.state.Stat(kBinaryFile);
  if (!st) return st.error();
  if (!st->exists) return Status::Ok();
  const state::FileIdentity identity = state::IdentityOf(*st);
  if (ctx.drift_check != DriftCheck::kFull) {
    // Unchanged identity = unchanged content (state_dir.h): the digest proven for it stands.
    if (o->record && o->record->binary_identity == identity) {
      o->exists = true;
      o->mode = st->mode;
      o->sha256 = o->record->binary_sha256;
      return Status::Ok();
    }
  }
  // Streamed: the binary is tens of MB. Stat before reading: if the file changes while it is
  // read, the identity kept is the older one and the next pass hashes again.
  auto sha = deps.state.Sha256File(kBinaryFile);
  if (!sha) return sha.error();
  if (!sha->has_value()) return Status::Ok();  // removed between the stat and the read
  o->exists = true;
  o->mode = st->mode;
  o->sha256 = **sha;
  return Status::Ok();
}

Status BinaryReconciler::RecordIdentity(InstallRecord record, WriteDeps& deps) {
  auto st = deps.state.Stat(kBinaryFile);
  if (!st) return st.error();
  record.binary_identity = st->exists ? std::optional(state::IdentityOf(*st)) : std::nullopt;
  return deps.state.WriteAtomic(kRecordFile, SerializeInstallRecord(record), kRecordMode);
}

ResourcePlan BinaryReconciler::Diff(ReconcileContext& ctx, const ObservedBinary& observed, const Clock&) const {
  const auto& proxy = ctx.desired.spec.proxy;
  ResourcePlan plan;
  plan.desired_digest = DesiredDigest(proxy);
  plan.observed_fingerprint = observed.fingerprint;
  if (observed.exists) {
    const std::string version = observed.record ? observed.record->version : "unknown";
    const std::string source = observed.record ? observed.record->source_url : "";
    plan.details = Details(version, observed.sha256, observed.path, source);
  }

  Change c;
  c.address = kAddress;
  c.type = kType;
  Action action = Action::kNoop;
  const std::string reason = ReplaceReason(observed, proxy, &action);
  if (!reason.empty()) {
    c.action = action;
    c.reason = reason;
    c.disruptive = action == Action::kReplace;  // the running proxy restarts on the new binary
    if (observed.exists) {
      c.before = {{"version", observed.record ? observed.record->version : "unknown"},
                  {"sha256", ShortDigest(observed.sha256)}};
    }
    c.after = {{"version", proxy.version}, {"sha256", kKnownAfterApply}, {"source", DisplayUrl(observed.urls.tarball)}};
    plan.changes.push_back(std::move(c));
    ctx.facts.Publish(BinaryFacts{observed.path, "", proxy.version, true});
    return plan;
  }

  std::string drift;
  if (observed.mode != kBinaryMode) drift = "mode " + OctalMode(observed.mode) + " is not " + OctalMode(kBinaryMode);
  if (observed.record_mode != kRecordMode) {
    drift += (drift.empty() ? "" : "; ") + std::string(kRecordFile) + " mode " + OctalMode(observed.record_mode) +
             " is not " + OctalMode(kRecordMode);
  }
  if (!drift.empty()) {
    c.action = Action::kUpdate;
    c.reason = drift;
    c.before = {{"mode", OctalMode(observed.mode)}, {"record_mode", OctalMode(observed.record_mode)}};
    c.after = {{"mode", OctalMode(kBinaryMode)}, {"record_mode", OctalMode(kRecordMode)}};
    plan.changes.push_back(std::move(c));
  }
  ctx.facts.Publish(BinaryFacts{observed.path, observed.sha256, observed.record->version, false});
  return plan;
}

Outcome BinaryReconciler::DoApply(ReconcileContext& ctx, const ResourcePlan&, WriteDeps& deps) {
  // Re-observe: act on what is there now, not on what the plan saw.
  auto observed = Observe(ctx, deps.Read());
  if (!observed) return Outcome::Failed(observed.error(), "ObserveFailed");
  ResourcePlan fresh = Diff(ctx, *observed, deps.clock);
  if (fresh.changes.empty()) {
    Outcome o = Outcome::Done(0);
    o.details = fresh.details;
    return o;
  }
  if (fresh.changes.front().action == Action::kUpdate) return FixModes(ctx, *observed, deps);
  return Install(ctx, *observed, deps);
}

Outcome BinaryReconciler::FixModes(ReconcileContext& ctx, const ObservedBinary& observed, WriteDeps& deps) {
  if (observed.mode != kBinaryMode) {
    if (auto s = deps.state.Chmod(kBinaryFile, kBinaryMode); !s) return Outcome::Failed(s.error(), "ChmodFailed");
  }
  if (observed.record_mode != kRecordMode) {
    if (auto s = deps.state.Chmod(kRecordFile, kRecordMode); !s) return Outcome::Failed(s.error(), "ChmodFailed");
  }
  // chmod moved the binary's ctime: record its new identity so later passes need not re-hash it.
  if (auto s = RecordIdentity(*observed.record, deps); !s) return Outcome::Failed(s.error(), "WriteFailed");
  ctx.facts.Publish(BinaryFacts{observed.path, observed.sha256, observed.record->version, false});
  Outcome o = Outcome::Done(1, "restored modes of bin/iron-proxy (0755) and its install record (0600)");
  o.details = Details(observed.record->version, observed.sha256, observed.path, observed.record->source_url);
  return o;
}

Outcome BinaryReconciler::Install(ReconcileContext& ctx, const ObservedBinary& observed, WriteDeps& deps) {
  const auto& proxy = ctx.desired.spec.proxy;
  if (deps.http == nullptr) {
    return Outcome::Failed(Error::Transient("no HTTP client available to download iron-proxy"), "DownloadFailed");
  }
  // A staging file left by an interrupted apply is never trusted.
  if (auto s = deps.state.Remove(kStagingFile); !s) return Outcome::Failed(s.error(), "InstallFailed");

  FetchOptions fetch;
  fetch.timeout = options_.download_timeout;
  fetch.retries = options_.retries;
  fetch.backoff = options_.backoff;
  fetch.sleep = options_.sleep;
  fetch.progress = options_.progress;
  fetch.label = observed.urls.archive_name;
  std::string reason;
  auto release = FetchRelease(*deps.http, observed.urls, proxy.source.sha256, fetch, &reason);
  if (!release) return Outcome::Failed(release.error(), reason);

  if (auto s = deps.state.WriteAtomic(kStagingFile, release->binary, kBinaryMode); !s) {
    return Outcome::Failed(s.error(), "WriteFailed");
  }
  const auto discard = [&] { (void)deps.state.Remove(kStagingFile); };
  auto version = ProbeVersion(*options_.processes, deps.state.PathOf(kStagingFile));
  if (!version) {
    discard();
    return Outcome::Failed(version.error().Wrap("release archive for " + proxy.version), "VersionProbeFailed");
  }
  if (*version != proxy.version) {
    discard();
    return Outcome::Failed(Error::Terminal("release tarball for " + proxy.version + " contains iron-proxy version " +
                                           *version + " (" + DisplayUrl(observed.urls.tarball) + ")"),
                           "VersionMismatch");
  }
  IRONWARD_FAULT_POINT("binary.before-rename");
  if (auto s = deps.state.Rename(kStagingFile, kBinaryFile); !s) {
    discard();
    return Outcome::Failed(s.error(), "InstallFailed");
  }

  InstallRecord record;
  record.version = *version;
  record.tarball_sha256 = release->tarball_sha256;
  record.binary_sha256 = Sha256Hex(release->binary);
  record.source_url = DisplayUrl(observed.urls.tarball);
  record.platform = observed.platform.os + "/" + observed.platform.arch;
  record.installed = FormatRfc3339(deps.clock.Now());
  if (auto s = RecordIdentity(record, deps); !s) return Outcome::Failed(s.error(), "WriteFailed");

  ctx.facts.Publish(BinaryFacts{observed.path, record.binary_sha256, record.version, false});
  std::string message = "installed iron-proxy " + record.version + " (sha256:" + ShortDigest(record.binary_sha256) +
                        ") from " + record.source_url;
  if (release->attempts > 1) message += " after " + std::to_string(release->attempts) + " attempts";
  for (const auto& w : release->warnings) message += "; warning: " + w;
  Outcome o = Outcome::Done(1, message);
  o.details = Details(record.version, record.binary_sha256, observed.path, record.source_url);
  if (!release->warnings.empty()) o.details["warnings"] = release->warnings;
  return o;
}

}  // namespace ironward::binary
