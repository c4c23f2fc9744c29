// Runs tests/doubles/bitwarden as a subprocess on 127.0.0.1:<ephemeral port> and talks to its
// /_admin endpoints.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "reconcilers/io/http_client.h"

namespace ironward::bwtest {

class DoubleProcess {
 public:
  /// Writes `config` to a temp file and starts the double; check ok() / error().
  explicit DoubleProcess(const nlohmann::json& config);
  ~DoubleProcess();
  DoubleProcess(const DoubleProcess&) = delete;
  DoubleProcess& operator=(const DoubleProcess&) = delete;

  bool ok() const { return port_ > 0; }
  const std::string& error() const { return error_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  /// POST /_admin/<path> with a JSON body; returns the HTTP status.
  long Admin(const std::string& path, const nlohmann::json& body = nlohmann::json::object());
  nlohmann::json Stats();
  int Count(const std::string& endpoint) { return Stats().value(endpoint, -1); }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string config_path_;
  std::string error_;
  CurlHttpClient http_;
};

}  // namespace ironward::bwtest
