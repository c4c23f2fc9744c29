#include "reconcilers/binary/download.h"

#include <unistd.h>

#include <cctype>
#include <cstdio>

#include <spdlog/spdlog.h>

#include "reconcilers/binary/release_url.h"

namespace ironward::binary {
namespace {

enum class Verdict { kOk, kNotFound, kRetry, kFail };

Verdict Classify(long status) {
  if (status >= 200 && status < 300) return Verdict::kOk;
  if (status == 404 || status == 410) return Verdict::kNotFound;
  if (status == 408 || status == 425 || status == 429 || status >= 500) return Verdict::kRetry;
  return Verdict::kFail;
}

std::string Mib(std::uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return buf;
}

std::string Seconds(std::chrono::milliseconds ms) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%gs", static_cast<double>(ms.count()) / 1000.0);
  return buf;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())) != 0) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())) != 0) s.remove_suffix(1);
  return s;
}

/// Messages name the URL as DisplayUrl() shows it (no credentials, no signed query).
std::string Scrub(std::string message, const std::string& url, const std::string& shown) {
  for (auto pos = message.find(url); pos != std::string::npos; pos = message.find(url, pos + shown.size())) {
    message.replace(pos, url.size(), shown);
  }
  return message;
}

}  // namespace

std::string FormatProgress(std::string_view label, std::uint64_t done, std::uint64_t total) {
  std::string line = std::string(label) + "  " + Mib(done);
  if (total > 0) line += " / " + Mib(total) + "  " + std::to_string(done * 100 / total) + "%";
  return line;
}

Result<Fetched> FetchWithRetry(HttpClient& http, const std::string& url, const FetchOptions& options) {
  const bool local = url.rfind("file://", 0) == 0;
  const std::string shown_url = DisplayUrl(url);
  std::uint64_t shown = 0;
  std::uint64_t last_done = 0;
  std::uint64_t last_total = 0;
  HttpRequest req;
  req.url = url;
  req.timeout = options.timeout;
  req.max_body_bytes = options.max_bytes;
  req.use_env_proxy = true;  // ironward's HTTPS_PROXY / HTTP_PROXY, if any (docs/desired-state.md)
  if (options.progress) {
    req.on_progress = [&](std::uint64_t done, std::uint64_t total) {
      last_done = done;
      last_total = total;
      // At most one line per 256 KiB, so a fast local transfer does not flood the terminal.
      if (done == 0 || done - shown < 256U * 1024U) return;
      shown = done;
      options.progress(FormatProgress(options.label, done, total), false);
    };
  }

  Fetched out;
  std::chrono::milliseconds delay = options.backoff;
  std::string last_error;
  for (int attempt = 0; attempt <= options.retries; ++attempt) {
    if (attempt > 0) {
      spdlog::warn("binary: {}; retrying in {} (attempt {}/{})", last_error, Seconds(delay), attempt + 1,
                   options.retries + 1);
      if (options.sleep) options.sleep(delay);
      delay *= 2;
    }
    ++out.attempts;
    shown = 0;
    auto resp = http.Send(req);
    if (!resp) {
      // A local file that cannot be read is simply not there; retrying will not change that.
      if (local) return out;
      last_error = Scrub(resp.error().message, url, shown_url);
      if (resp.error().terminal()) return Error{resp.error().kind, last_error};
      continue;
    }
    out.status = resp->status;
    switch (Classify(resp->status)) {
      case Verdict::kOk:
        if (options.progress) {
          options.progress(FormatProgress(options.label, resp->body.size(), last_total > 0 ? last_total : last_done),
                           true);
        }
        out.found = true;
        out.body = std::move(resp->body);
        return out;
      case Verdict::kNotFound:
        return out;
      case Verdict::kRetry:
        last_error = "GET " + shown_url + ": HTTP " + std::to_string(resp->status);
        continue;
      case Verdict::kFail:
        return Error::Terminal("GET " + shown_url + ": HTTP " + std::to_string(resp->status));
    }
  }
  return Error::Transient(last_error + " (gave up after " + std::to_string(out.attempts) + " attempts)");
}

std::optional<std::string> ChecksumFor(std::string_view checksums_txt, std::string_view archive_name) {
  std::size_t start = 0;
  while (start < checksums_txt.size()) {
    auto end = checksums_txt.find('\n', start);
    if (end == std::string_view::npos) end = checksums_txt.size();
    const std::string_view line = Trim(checksums_txt.substr(start, end - start));
    start = end + 1;
    if (line.size() < 66) continue;
    const std::string_view hex = line.substr(0, 64);
    const bool is_hex = hex.find_first_not_of("0123456789abcdefABCDEF") == std::string_view::npos;
    if (!is_hex || (line[64] != ' ' && line[64] != '\t')) continue;
    std::string_view name = Trim(line.substr(65));
    if (!name.empty() && name.front() == '*') name.remove_prefix(1);
    if (name.substr(0, 2) == "./") name.remove_prefix(2);
    if (name != archive_name) continue;
    std::string digest(hex);
    for (char& c : digest) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return digest;
  }
  return std::nullopt;
}

}  // namespace ironward::binary
