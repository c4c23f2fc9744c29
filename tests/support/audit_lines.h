// Test material for `ironward audit` and the proxy request metrics: request records written the
// way iron-proxy 0.39 writes them (slog's JSONHandler, internal/transform/audit.go: time, level,
// msg "request", the "audit" group in its field order, then tunnel, rejected_by, error and the
// transform traces), and a raw CONNECT through the proxy's tunnel port.
#pragma once

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

// Tests build AuditLineSpec with designated initializers, leaving the other fields defaulted.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace ironward::testing {

struct AuditLineSpec {
  std::string time = "2026-05-01T12:00:00.123456789+02:00";  ///< RFC 3339 nano, local offset (slog)
  std::string host = "api.example.com";
  std::string method = "GET";
  std::string path = "/v1/models";
  std::string remote = "172.18.0.5:41234";
  std::string action = "allow";  ///< allow | reject | error | client_cancel | stub
  int status = 200;
  double duration_ms = 142.5;
  std::string rejected_by;    ///< with action reject
  std::string error;          ///< with action error
  std::string tunnel_target;  ///< a request inside a CONNECT tunnel: "host:443"
};

/// One line (with its newline) as iron-proxy 0.39 logs the request.
inline std::string AuditLine(const AuditLineSpec& s) {
  const std::string level = s.action == "error" ? "ERROR" : s.action == "reject" ? "WARN" : "INFO";
  std::string sni = s.host.substr(0, s.host.find(':'));
  nlohmann::ordered_json line;
  line["time"] = s.time;
  line["level"] = level;
  line["msg"] = "request";
  line["audit"] = {{"host", s.host},     {"method", s.method},          {"path", s.path},
                   {"remote_addr", s.remote}, {"sni", sni},           {"mode", "mitm"},
                   {"action", s.action}, {"status_code", s.status},   {"duration_ms", s.duration_ms}};
  nlohmann::ordered_json traces = nlohmann::ordered_json::array();
  traces.push_back({{"name", "allowlist"}, {"action", s.action == "reject" ? "reject" : "allow"}, {"duration_ms", 0.02}});
  if (!s.tunnel_target.empty()) line["tunnel"] = {{"target", s.tunnel_target}, {"request_transforms", traces}};
  if (!s.rejected_by.empty()) line["rejected_by"] = s.rejected_by;
  if (!s.error.empty()) line["error"] = s.error;
  line["request_transforms"] = traces;
  return line.dump() + "\n";
}

/// Sends "CONNECT target" to the proxy's tunnel port on 127.0.0.1 and returns the status code of
/// its answer (0 when none came within 5 s). iron-proxy decides (and logs the record) before it
/// answers; an allowed tunnel is closed again without sending anything through it.
inline int ProxyConnect(int port, const std::string& target) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int status = 0;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    const std::string req = "CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n\r\n";
    if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
      std::string head;
      char buf[512];
      pollfd p{fd, POLLIN, 0};
      while (head.find("\r\n") == std::string::npos && ::poll(&p, 1, 5000) == 1) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        head.append(buf, static_cast<std::size_t>(n));
      }
      if (head.rfind("HTTP/1.", 0) == 0 && head.size() >= 12) status = std::atoi(head.substr(9, 3).c_str());
    }
  }
  ::close(fd);
  return status;
}

}  // namespace ironward::testing
