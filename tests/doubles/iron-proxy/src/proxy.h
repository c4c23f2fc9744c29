// The proxy listeners: http_listen (origin/absolute-form), https_listen (MITM by SNI),
// tunnel_listen (CONNECT + SOCKS5, then MITM or plain HTTP), with audit records.
#pragma once

#include "ca.h"
#include "cidr.h"
#include "http.h"
#include "pipeline.h"

#include <atomic>
#include <memory>
#include <string>
#include <vector>

namespace irondouble {

struct TunnelInfo {
  std::string target;
  std::vector<Trace> traces;
};

struct ProxyContext {
  PipelineHolder* holder = nullptr;
  CertCache* certs = nullptr;          // null in sni-only mode
  DenyGuard guard;
  SSL_CTX* server_tls = nullptr;       // MITM: leaf per SNI
  SSL_CTX* upstream_tls = nullptr;     // verifies upstreams against system roots / SSL_CERT_FILE
  long long header_timeout_ms = 30000;
  bool sni_only = false;
  Config::Proxy::UpstreamProxy upstream_proxy;  // >= 0.42, env overrides
  std::atomic<bool>* not_ready = nullptr;       // 0.45 managed mode: 503 until first sync
};

// Requests currently being handled (graceful shutdown waits for these).
extern std::atomic<int> g_inflight;

// Creates the MITM server context whose SNI callback mints leaves from certs.
SSL_CTX* NewMitmServerContext(CertCache* certs);
SSL_CTX* NewUpstreamClientContext();

// Serves HTTP/1.x requests on conn until it closes (keep-alive), proxying each one.
void ServeProxyConn(const ProxyContext& ctx, Conn& conn, const TunnelInfo* tunnel);
// Handles one accepted connection on each listener kind (takes ownership of fd).
void HandleHttpListenerConn(const ProxyContext& ctx, int fd, const std::string& remote, const std::string& local);
void HandleHttpsListenerConn(const ProxyContext& ctx, int fd, const std::string& remote, const std::string& local);
void HandleTunnelConn(const ProxyContext& ctx, int fd, const std::string& remote, const std::string& local);

// Audit record (msg "request"), shaped like transform.NewAuditLogger.
struct AuditRecord {
  std::string host, method, path, remote_addr, sni, mode = "mitm", action = "allow";
  int status_code = 0;
  long long micros = 0;
  const TunnelInfo* tunnel = nullptr;
  std::string error;
  std::vector<Trace> request_traces, response_traces;
};
void EmitAudit(const AuditRecord& rec);

// One upstream round trip. On failure returns false with a Go-shaped *err.
bool DoUpstream(const ProxyContext& ctx, const std::string& scheme, const std::string& host,
                const Request& req, Response* resp, std::string* err);

}  // namespace irondouble
