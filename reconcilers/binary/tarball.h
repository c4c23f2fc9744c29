// A deliberately small tar.gz reader for iron-proxy release archives: gzip via zlib, then a
// ustar/GNU/pax tar walk that extracts exactly one thing, the regular file `iron-proxy` at the
// archive root. Nothing is ever written to disk here and no path from the archive is used.
//
// Refused (with a message naming the entry): absolute paths and `..` components anywhere in the
// archive; an `iron-proxy` that is a symlink, hard link, device, fifo or directory; more than one
// `iron-proxy`; truncated or corrupt gzip/tar data; entries above the size cap. Other regular
// files (README.md, LICENSE) are skipped.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "state/result.h"

namespace ironward::binary {

inline constexpr std::size_t kMaxBinaryBytes = 256U * 1024U * 1024U;
/// Decompressed archive cap: the binary plus generous room for README.md / LICENSE.
inline constexpr std::size_t kMaxTarBytes = kMaxBinaryBytes + 16U * 1024U * 1024U;

/// Decompresses a gzip stream (concatenated members allowed); more than `max_out` bytes is an error.
Result<std::string> Gunzip(std::string_view gz, std::size_t max_out = kMaxTarBytes);

/// The content of the root `iron-proxy` entry of an uncompressed tar archive.
Result<std::string> ExtractIronProxyFromTar(std::string_view tar, std::size_t max_binary = kMaxBinaryBytes);

/// Gunzip + ExtractIronProxyFromTar. Every error is terminal: the bytes are what they are.
Result<std::string> ExtractIronProxy(std::string_view tar_gz, std::size_t max_binary = kMaxBinaryBytes);

}  // namespace ironward::binary
