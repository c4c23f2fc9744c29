#include "reconcilers/binary/tarball.h"

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>

namespace ironward::binary {
namespace {

constexpr std::size_t kBlock = 512;

std::uint8_t Byte(char c) { return static_cast<std::uint8_t>(c); }

std::string At(std::size_t offset) { return " at offset " + std::to_string(offset); }

/// A NUL-terminated field.
std::string_view CString(std::string_view field) { return field.substr(0, std::min(field.find('\0'), field.size())); }

/// Octal (space/NUL padded) or GNU base-256 number.
std::optional<std::uint64_t> ParseNumber(std::string_view field) {
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  std::uint64_t v = 0;
  if (!field.empty() && (Byte(field[0]) & 0x80U) != 0) {
    if ((Byte(field[0]) & 0x40U) != 0) return std::nullopt;  // negative
    v = Byte(field[0]) & 0x3FU;
    for (std::size_t i = 1; i < field.size(); ++i) {
      if (v > (kMax >> 8U)) return std::nullopt;
      v = (v << 8U) | Byte(field[i]);
    }
    return v;
  }
  std::size_t i = 0;
  while (i < field.size() && field[i] == ' ') ++i;
  for (; i < field.size() && field[i] != '\0' && field[i] != ' '; ++i) {
    if (field[i] < '0' || field[i] > '7' || v > (kMax >> 3U)) return std::nullopt;
    v = v * 8 + static_cast<std::uint64_t>(field[i] - '0');
  }
  for (; i < field.size(); ++i) {
    if (field[i] != '\0' && field[i] != ' ') return std::nullopt;
  }
  return v;
}

bool ChecksumOk(std::string_view block) {
  const auto stored = ParseNumber(block.substr(148, 8));
  if (!stored) return false;
  std::uint64_t unsigned_sum = 0;
  std::int64_t signed_sum = 0;
  for (std::size_t i = 0; i < kBlock; ++i) {
    const bool in_field = i >= 148 && i < 156;
    unsigned_sum += in_field ? 0x20U : Byte(block[i]);
    signed_sum += in_field ? 0x20 : static_cast<signed char>(block[i]);
  }
  return *stored == unsigned_sum || static_cast<std::int64_t>(*stored) == signed_sum;
}

/// "path=..." and "size=..." from a pax extended header ("<len> <key>=<value>\n" records). The size is a
/// plain integer plus a flag, not a std::optional: GCC 12 at -O2/-O3 reports a bogus
/// -Wmaybe-uninitialized on an optional<uint64_t> carried across loop iterations (GCC bug 80635).
bool ParsePax(std::string_view data, std::optional<std::string>* path, std::uint64_t* size, bool* has_size) {
  std::size_t pos = 0;
  while (pos < data.size()) {
    if (data[pos] == '\0') break;  // padding
    std::size_t len = 0;
    std::size_t i = pos;
    for (; i < data.size() && data[i] >= '0' && data[i] <= '9'; ++i) {
      if (len > 1000000) return false;
      len = len * 10 + static_cast<std::size_t>(data[i] - '0');
    }
    if (i == pos || i >= data.size() || data[i] != ' ' || len <= i - pos || len > data.size() - pos) return false;
    const std::string_view record = data.substr(i + 1, pos + len - i - 1);
    if (record.empty() || record.back() != '\n') return false;
    const auto eq = record.find('=');
    if (eq == std::string_view::npos) return false;
    const std::string_view key = record.substr(0, eq);
    const std::string_view value = record.substr(eq + 1, record.size() - eq - 2);
    if (key == "path") *path = std::string(value);
    if (key == "size") {
      std::uint64_t v = 0;
      if (value.empty() || value.size() > 19) return false;
      for (char c : value) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
      }
      *size = v;
      *has_size = true;
    }
    pos += len;
  }
  return true;
}

std::string EntryKind(char type) {
  switch (type) {
    case '1': return "hard link";
    case '2': return "symlink";
    case '3': return "character device";
    case '4': return "block device";
    case '5': return "directory";
    case '6': return "fifo";
    default: return std::string("entry of type '") + type + "'";
  }
}

/// Absolute paths and ".." components are refused anywhere in the archive: goreleaser never
/// produces them, so their presence means the archive was crafted.
std::optional<std::string> UnsafePath(const std::string& name) {
  if (name.empty()) return "an entry has an empty name";
  if (name.front() == '/') return "entry '" + name + "' has an absolute path";
  std::size_t start = 0;
  while (start <= name.size()) {
    const auto slash = name.find('/', start);
    const std::string_view part = std::string_view(name).substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (part == "..") return "entry '" + name + "' has a '..' path component";
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return std::nullopt;
}

std::string Normalize(std::string name) {
  while (name.rfind("./", 0) == 0) name.erase(0, 2);
  while (!name.empty() && name.back() == '/') name.pop_back();
  return name;
}

Error Corrupt(const std::string& what) { return Error::Terminal("corrupt tar archive: " + what); }

}  // namespace

Result<std::string> Gunzip(std::string_view gz, std::size_t max_out) {
  if (gz.size() < 2 || Byte(gz[0]) != 0x1F || Byte(gz[1]) != 0x8B) {
    return Error::Terminal("not a gzip file (the first bytes are not the gzip magic 1f 8b)");
  }
  if (gz.size() > std::numeric_limits<uInt>::max()) return Error::Terminal("gzip file is too large");
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return Error::Transient("zlib: inflateInit2 failed");
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&zs, &inflateEnd);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  zs.avail_in = static_cast<uInt>(gz.size());

  std::string out;
  std::string buf(64 * 1024, '\0');
  for (;;) {
    zs.next_out = reinterpret_cast<Bytef*>(buf.data());
    zs.avail_out = static_cast<uInt>(buf.size());
    const int rc = inflate(&zs, Z_NO_FLUSH);
    const std::size_t produced = buf.size() - zs.avail_out;
    if (produced > max_out - out.size()) {
      return Error::Terminal("decompressed archive exceeds the " + std::to_string(max_out / (1024 * 1024)) +
                             " MiB limit");
    }
    out.append(buf.data(), produced);
    if (rc == Z_STREAM_END) {
      const std::string_view rest(reinterpret_cast<const char*>(zs.next_in), zs.avail_in);
      if (rest.find_first_not_of('\0') == std::string_view::npos) break;  // done (zero padding is fine)
      if (rest.size() >= 2 && Byte(rest[0]) == 0x1F && Byte(rest[1]) == 0x8B) {
        if (inflateReset(&zs) != Z_OK) return Error::Terminal("corrupt gzip data: cannot start next member");
        continue;
      }
      return Error::Terminal("corrupt gzip file: unexpected bytes after the end of the gzip stream");
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) return Error::Terminal("truncated gzip file (stream ends early)");
    if (rc == Z_MEM_ERROR) return Error::Transient("zlib: out of memory");
    return Error::Terminal(std::string("corrupt gzip data: ") + (zs.msg != nullptr ? zs.msg : "inflate failed"));
  }
  return out;
}

Result<std::string> ExtractIronProxyFromTar(std::string_view tar, std::size_t max_binary) {
  std::optional<std::string_view> found;
  std::string nested;
  std::optional<std::string> long_name;
  std::optional<std::string> pax_path;
  std::uint64_t pax_size = 0;  // valid when has_pax_size (see ParsePax)
  bool has_pax_size = false;
  std::size_t off = 0;
  for (;;) {
    if (off >= tar.size()) return Error::Terminal("truncated tar archive: no end-of-archive marker" + At(off));
    if (tar.size() - off < kBlock) return Error::Terminal("truncated tar archive: partial header" + At(off));
    const std::string_view block = tar.substr(off, kBlock);
    if (block.find_first_not_of('\0') == std::string_view::npos) break;  // end-of-archive marker
    if (!ChecksumOk(block)) {
      if (off == 0) return Error::Terminal("not a tar archive (no valid tar header at its start)");
      return Corrupt("header checksum mismatch" + At(off));
    }
    const char type = block[156];
    const auto header_size = ParseNumber(block.substr(124, 12));
    if (!header_size) return Corrupt("unreadable size field" + At(off));
    const std::uint64_t size = has_pax_size && type != 'x' && type != 'g' ? pax_size : *header_size;

    std::string name(CString(block.substr(0, 100)));
    const bool posix = block.substr(257, 6) == std::string_view("ustar\0", 6);
    const std::string_view prefix = CString(block.substr(345, 155));
    if (posix && !prefix.empty()) name = std::string(prefix) + "/" + name;

    const std::size_t data_off = off + kBlock;
    if (size > tar.size() - data_off) {
      return Error::Terminal("truncated tar archive: entry '" + name + "' needs " + std::to_string(size) +
                             " bytes, only " + std::to_string(tar.size() - data_off) + " remain");
    }
    const std::string_view data = tar.substr(data_off, static_cast<std::size_t>(size));
    const std::size_t next = data_off + (static_cast<std::size_t>(size) + kBlock - 1) / kBlock * kBlock;

    if (type == 'L') {  // GNU long name for the next entry
      long_name = std::string(CString(data));
    } else if (type == 'x') {  // pax extended header for the next entry
      if (!ParsePax(data, &pax_path, &pax_size, &has_pax_size)) return Corrupt("malformed pax header" + At(off));
    } else if (type != 'K' && type != 'g') {  // 'K' long link name, 'g' pax global: nothing we use
      if (long_name) name = *long_name;
      if (pax_path) name = *pax_path;
      long_name.reset();
      pax_path.reset();
      pax_size = 0;
      has_pax_size = false;
      if (auto unsafe = UnsafePath(name)) return Error::Terminal("unsafe tar archive: " + *unsafe);
      const std::string norm = Normalize(name);
      const bool regular = type == '0' || type == '\0' || type == '7';
      if (norm == "iron-proxy") {
        if (!regular) {
          std::string kind = EntryKind(type);
          if (type == '1' || type == '2') kind += " to '" + std::string(CString(block.substr(157, 100))) + "'";
          return Error::Terminal("unsafe tar archive: entry '" + name + "' is a " + kind +
                                 "; only a regular file is accepted");
        }
        if (found) return Error::Terminal("unsafe tar archive: more than one entry named iron-proxy");
        if (size > max_binary) {
          return Error::Terminal("tar entry '" + name + "' is " + std::to_string(size) + " bytes, above the " +
                                 std::to_string(max_binary / (1024 * 1024)) + " MiB limit");
        }
        found = data;
      } else if (regular && (norm.size() > 11 && norm.substr(norm.size() - 11) == "/iron-proxy")) {
        nested = norm;
      }
    }
    off = next;
  }
  if (!found) {
    return Error::Terminal("archive has no regular file named iron-proxy at its root" +
                           (nested.empty() ? std::string() : " (found '" + nested + "'; only the root is used)"));
  }
  return std::string(*found);
}

Result<std::string> ExtractIronProxy(std::string_view tar_gz, std::size_t max_binary) {
  auto tar = Gunzip(tar_gz, max_binary + (kMaxTarBytes - kMaxBinaryBytes));
  if (!tar) return tar.error();
  return ExtractIronProxyFromTar(*tar, max_binary);
}

}  // namespace ironward::binary
