#include "reconcilers/binary/release_url.h"

#include <sys/utsname.h>

namespace ironward::binary {
namespace {

bool HasScheme(std::string_view url, std::string_view scheme) { return url.substr(0, scheme.size()) == scheme; }

Status CheckScheme(const std::string& url, const char* what) {
  if (HasScheme(url, "https://") || HasScheme(url, "http://") || HasScheme(url, "file://")) return Status::Ok();
  return Error::Invalid(std::string(what) + " '" + url + "' must be an https://, http:// or file:// URL");
}

/// The URL without its query string or fragment.
std::string_view WithoutQuery(std::string_view url) {
  const auto cut = url.find_first_of("?#");
  return cut == std::string_view::npos ? url : url.substr(0, cut);
}

}  // namespace

Result<std::string> ArchFromMachine(std::string_view machine) {
  if (machine == "x86_64" || machine == "amd64") return std::string("amd64");
  if (machine == "aarch64" || machine == "arm64" || machine == "armv8l") return std::string("arm64");
  return Error::Terminal("iron-proxy has no linux build for this machine (" + std::string(machine) +
                         "); only amd64 and arm64 are released");
}

Result<Platform> HostPlatform() {
  struct utsname u {};
  if (::uname(&u) != 0) return Error::Transient("uname failed");
  auto arch = ArchFromMachine(u.machine);
  if (!arch) return arch.error();
  return Platform{"linux", *arch};
}

Result<std::string> ExpandTemplate(std::string_view tmpl, const std::string& version, const Platform& platform) {
  std::string out;
  std::size_t i = 0;
  while (i < tmpl.size()) {
    if (tmpl[i] != '{') {
      out += tmpl[i++];
      continue;
    }
    const auto close = tmpl.find('}', i);
    if (close == std::string_view::npos) {
      return Error::Invalid("unterminated '{' in release URL template '" + std::string(tmpl) + "'");
    }
    const std::string_view key = tmpl.substr(i + 1, close - i - 1);
    if (key == "version") {
      out += version;
    } else if (key == "os") {
      out += platform.os;
    } else if (key == "arch") {
      out += platform.arch;
    } else {
      return Error::Invalid("unknown placeholder {" + std::string(key) + "} in release URL template '" +
                            std::string(tmpl) + "' (known: {version}, {os}, {arch})");
    }
    i = close + 1;
  }
  return out;
}

Result<ReleaseUrls> ExpandReleaseUrls(const spec::ProxySource& source, const std::string& version,
                                      const Platform& platform) {
  ReleaseUrls urls;
  auto tarball = ExpandTemplate(source.url, version, platform);
  if (!tarball) return tarball.error();
  urls.tarball = *tarball;
  if (auto s = CheckScheme(urls.tarball, "proxy.source.url"); !s) return s.error();

  const std::string_view path = WithoutQuery(urls.tarball);
  const auto slash = path.rfind('/');
  urls.archive_name = std::string(path.substr(slash + 1));
  if (urls.archive_name.empty()) {
    return Error::Invalid("proxy.source.url '" + urls.tarball + "' does not name a file");
  }
  if (source.checksums_url && !source.checksums_url->empty()) {
    auto checksums = ExpandTemplate(*source.checksums_url, version, platform);
    if (!checksums) return checksums.error();
    urls.checksums = *checksums;
    if (auto s = CheckScheme(urls.checksums, "proxy.source.checksumsUrl"); !s) return s.error();
  } else {
    urls.checksums = std::string(path.substr(0, slash + 1)) + "checksums.txt";
  }
  return urls;
}

std::string DisplayUrl(std::string_view url) {
  std::string out(url);
  const auto query = out.find('?');
  if (query != std::string::npos) out = out.substr(0, query) + "?…";
  const auto scheme = out.find("://");
  if (scheme != std::string::npos) {
    const auto host_end = out.find('/', scheme + 3);
    const auto at = out.rfind('@', host_end == std::string::npos ? std::string::npos : host_end);
    if (at != std::string::npos && at > scheme) out.erase(scheme + 3, at + 1 - (scheme + 3));
  }
  return out;
}

}  // namespace ironward::binary
