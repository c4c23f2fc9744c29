// Where a pinned iron-proxy release lives: the desired state's URL template expanded for this
// host ({version}, {os}, {arch}), and the checksums.txt next to it.
#pragma once

#include <string>
#include <string_view>

#include "state/spec/spec.h"
#include "state/result.h"

namespace ironward::binary {

/// goreleaser's names: os "linux", arch "amd64" | "arm64".
struct Platform {
  std::string os = "linux";
  std::string arch = "amd64";
};

/// Maps a uname machine ("x86_64", "aarch64", "arm64", ...) to goreleaser's arch name.
Result<std::string> ArchFromMachine(std::string_view machine);
/// This host's platform (uname); a machine iron-proxy has no build for is a terminal error.
Result<Platform> HostPlatform();

struct ReleaseUrls {
  std::string tarball;       ///< expanded source.url
  std::string checksums;     ///< source.checksums_url (expanded) or the tarball's directory + checksums.txt
  std::string archive_name;  ///< last path component of the tarball URL (the checksums.txt key)
};

/// Replaces every {version}, {os} and {arch}; any other {placeholder} is an invalid spec.
Result<std::string> ExpandTemplate(std::string_view tmpl, const std::string& version, const Platform& platform);
/// Expands the source for `version`; only https://, http:// and file:// URLs are accepted.
Result<ReleaseUrls> ExpandReleaseUrls(const spec::ProxySource& source, const std::string& version,
                                      const Platform& platform);

/// The URL as shown in plans, status, logs and the install record: any "user:password@" and
/// query string are cut ("https://mirror/x.tar.gz?sig=..." -> "https://mirror/x.tar.gz?…").
std::string DisplayUrl(std::string_view url);

}  // namespace ironward::binary
