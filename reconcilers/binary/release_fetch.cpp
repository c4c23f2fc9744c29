#include "reconcilers/binary/release_fetch.h"

#include <algorithm>
#include <cctype>

#include <spdlog/spdlog.h>

#include "reconcilers/binary/tarball.h"
#include "state/encoding.h"
#include "state/fault.h"

namespace ironward::binary {
namespace {

Error Fail(std::string* reason, const char* why, Error e) {
  *reason = why;
  return e;
}

}  // namespace

Result<FetchedRelease> FetchRelease(HttpClient& http, const ReleaseUrls& urls, const std::string& pinned_sha256,
                                    FetchOptions options, std::string* failure_reason) {
  const std::string shown = DisplayUrl(urls.tarball);
  FetchedRelease out;
  options.max_bytes = kMaxTarBytes;
  if (options.label.empty()) options.label = urls.archive_name;
  auto tarball = FetchWithRetry(http, urls.tarball, options);
  if (!tarball) return Fail(failure_reason, "DownloadFailed", tarball.error().Wrap("downloading iron-proxy"));
  out.attempts = tarball->attempts;
  if (!tarball->found) {
    return Fail(failure_reason, "DownloadFailed",
                Error::Terminal("release archive not found at " + shown +
                                (tarball->status != 0 ? " (HTTP " + std::to_string(tarball->status) + ")" : "")));
  }

  out.tarball_sha256 = Sha256Hex(tarball->body);
  const std::string pinned = AsciiLower(pinned_sha256);
  if (out.tarball_sha256 != pinned) {
    return Fail(failure_reason, "DigestMismatch",
                Error::Terminal("sha256 mismatch for " + shown + ": downloaded archive has sha256 " +
                                out.tarball_sha256 + ", the desired state pins " + pinned +
                                "; nothing was installed"));
  }
  IRONWARD_FAULT_POINT("binary.after-download");

  // checksums.txt is small: no progress line, fewer bytes allowed.
  FetchOptions small = options;
  small.progress = nullptr;
  small.max_bytes = 1024U * 1024U;
  const std::string checksums_shown = DisplayUrl(urls.checksums);
  auto checksums = FetchWithRetry(http, urls.checksums, small);
  if (!checksums) return Fail(failure_reason, "DownloadFailed", checksums.error().Wrap("downloading checksums.txt"));
  if (!checksums->found) {
    out.warnings.push_back("no checksums.txt at " + checksums_shown +
                           "; the archive was verified against the pinned sha256 only");
  } else if (auto listed = ChecksumFor(checksums->body, urls.archive_name); !listed) {
    out.warnings.push_back(checksums_shown + " has no line for " + urls.archive_name +
                           "; the archive was verified against the pinned sha256 only");
  } else if (*listed != out.tarball_sha256) {
    return Fail(failure_reason, "ChecksumsMismatch",
                Error::Terminal(checksums_shown + " lists sha256 " + *listed + " for " + urls.archive_name +
                                ", but the archive (which matches the pinned sha256) is " + out.tarball_sha256 +
                                "; refusing a release whose published checksums disagree"));
  }
  for (const auto& w : out.warnings) spdlog::warn("binary: {}", w);

  auto binary = ExtractIronProxy(tarball->body);
  if (!binary) return Fail(failure_reason, "BadArchive", binary.error().Wrap("release archive " + shown));
  out.binary = std::move(*binary);
  return out;
}

}  // namespace ironward::binary
