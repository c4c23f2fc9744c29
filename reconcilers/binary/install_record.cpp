#include "reconcilers/binary/install_record.h"

#include <nlohmann/json.hpp>

namespace ironward::binary {
namespace {

bool IsSha256(const std::string& s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace

Result<InstallRecord> ParseInstallRecord(const std::string& text) {
  try {
    const auto j = nlohmann::json::parse(text);
    InstallRecord r;
    r.format = j.at("format").get<int>();
    if (r.format != 1) return Error::Terminal("unsupported install record format " + std::to_string(r.format));
    r.version = j.at("version").get<std::string>();
    r.tarball_sha256 = j.at("tarball_sha256").get<std::string>();
    r.binary_sha256 = j.at("binary_sha256").get<std::string>();
    r.source_url = j.value("source_url", "");
    r.platform = j.value("platform", "");
    r.installed = j.value("installed", "");
    if (const auto it = j.find("binary_identity"); it != j.end() && !it->is_null()) {
      const auto& id = *it;
      r.binary_identity = state::FileIdentity{id.at("dev").get<std::uint64_t>(), id.at("ino").get<std::uint64_t>(),
                                              id.at("size").get<std::uint64_t>(), id.at("mtime_ns").get<std::int64_t>(),
                                              id.at("ctime_ns").get<std::int64_t>()};
    }
    if (!IsSha256(r.tarball_sha256) || !IsSha256(r.binary_sha256)) {
      return Error::Terminal("install record has a malformed sha256");
    }
    return r;
  } catch (const std::exception&) {
    return Error::Terminal("install record is not valid JSON of the expected shape");
  }
}

std::string SerializeInstallRecord(const InstallRecord& record) {
  nlohmann::json j = {{"format", record.format},
                            {"version", record.version},
                            {"tarball_sha256", record.tarball_sha256},
                            {"binary_sha256", record.binary_sha256},
                            {"source_url", record.source_url},
                            {"platform", record.platform},
                            {"installed", record.installed}};
  if (const auto& id = record.binary_identity) {
    j["binary_identity"] = {
        {"dev", id->dev}, {"ino", id->ino}, {"size", id->size}, {"mtime_ns", id->mtime_ns}, {"ctime_ns", id->ctime_ns}};
  }
  return j.dump(2) + "\n";
}

}  // namespace ironward::binary
