// Shared helpers of the Bitwarden tests: the published token, log capture and a secret grep. Their
// steppable clock is the shared FakeClock started at the real wall time (the double's JWTs use it).
#pragma once

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "state/encoding.h"
#include "tests/fakes/fake_clock.h"

namespace ironward::bwtest {

/// Published access token (sdk-sm access_token.rs) and its parts.
inline const std::string kToken =
    "0.ec2c1d46-6a4b-4751-a310-af9601317f2d.C2IgxjjLF7qSshsbwe8JGcbM075YXw:X8vbvA0bduihIDe/qrzIQQ==";
inline const std::string kClientId = "ec2c1d46-6a4b-4751-a310-af9601317f2d";
inline const std::string kClientSecret = "C2IgxjjLF7qSshsbwe8JGcbM075YXw";
inline const std::string kTokenKeyB64 = "X8vbvA0bduihIDe/qrzIQQ";
/// The organisation key the SDK's test vectors encrypt with (crypto and identity tests).
inline const char* const kOrgKeyB64 = "k/6PcwG7Hm/eZfvvOvP6EqGx1JKgbzYrWwpOIHsxbJHQMpIMg5Ud94AQHduSR+XMMaFiSB+nszbO4JPXj04YwA==";

/// Captures spdlog output (debug and up) for the lifetime of the object.
class LogCapture {
 public:
  LogCapture() {
    previous_ = spdlog::default_logger();
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(stream_);
    auto logger = std::make_shared<spdlog::logger>("bw-test", sink);
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;
  std::string text() const { return stream_.str(); }

 private:
  std::ostringstream stream_;
  std::shared_ptr<spdlog::logger> previous_;
};

/// Names of the secrets found in `text` (as labels, never the values themselves).
inline std::vector<std::string> LeakedSecrets(const std::string& text, const std::vector<std::string>& secrets) {
  std::vector<std::string> leaked;
  for (const auto& s : secrets) {
    if (!s.empty() && text.find(s) != std::string::npos) leaked.push_back(SensitiveLabel(s));
  }
  return leaked;
}

}  // namespace ironward::bwtest
