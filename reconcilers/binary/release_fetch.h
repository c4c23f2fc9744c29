// Fetching one pinned release: download the archive, check it against the pinned sha256 and
// against checksums.txt, and extract the iron-proxy binary from it (in memory).
#pragma once

#include <string>
#include <vector>

#include "reconcilers/binary/download.h"
#include "reconcilers/binary/release_url.h"
#include "reconcilers/io/http_client.h"
#include "state/result.h"

namespace ironward::binary {

struct FetchedRelease {
  std::string tarball_sha256;
  std::string binary;                 ///< the extracted iron-proxy bytes
  std::vector<std::string> warnings;  ///< e.g. checksums.txt missing from a mirror
  int attempts = 0;                   ///< requests made for the archive
};

struct FetchFailure {
  Error error;
  std::string reason;  ///< CamelCase: DownloadFailed, DigestMismatch, ChecksumsMismatch, BadArchive
};

/// Downloads urls.tarball (with retries), verifies sha256 == `pinned_sha256` (a mismatch is terminal
/// and names both digests and the URL), cross-checks the archive's checksums.txt line (missing file
/// = warning, disagreeing line = terminal) and extracts iron-proxy. `options.max_bytes` is raised to
/// the archive cap.
Result<FetchedRelease> FetchRelease(HttpClient& http, const ReleaseUrls& urls, const std::string& pinned_sha256,
                                    FetchOptions options, std::string* failure_reason);

}  // namespace ironward::binary
