#include "proxy.h"

#include "hostmatch.h"
#include "version.h"

#include <openssl/err.h>

#include <chrono>
#include <cstdio>
#include <ctime>

namespace irondouble {

std::atomic<int> g_inflight{0};

namespace {

int ServerNameCallback(SSL* ssl, int* alert, void* arg) {
  auto* certs = static_cast<CertCache*>(arg);
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  IpAddr ip;
  if (name == nullptr || *name == '\0' || ParseIp(name, &ip)) {
    *alert = SSL_AD_UNRECOGNIZED_NAME;
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  std::string err;
  auto leaf = certs->GetOrCreate(name, &err);
  if (!leaf) {
    Log(Level::kDebug, "leaf minting failed", Json{{"sni", name}, {"error", err}});
    *alert = SSL_AD_INTERNAL_ERROR;
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  SSL_use_certificate(ssl, leaf->cert.get());
  SSL_use_PrivateKey(ssl, leaf->key.get());
  SSL_ctrl(ssl, SSL_CTRL_CHAIN_CERT, 1, certs->ca_cert());
  return SSL_TLSEXT_ERR_OK;
}

bool HasDotSegments(const std::string& path) {
  std::size_t pos = 0;
  while (pos <= path.size()) {
    std::size_t slash = path.find('/', pos);
    std::string seg = path.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
    if (seg == "." || seg == "..") return true;
    if (slash == std::string::npos) break;
    pos = slash + 1;
  }
  return false;
}

long long MicrosSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
}

// Go's net/http server logs handshake failures through the standard logger (not JSON).
void StdlibLog(const std::string& text) {
  char ts[32];
  std::time_t now = std::time(nullptr);
  struct tm tm {};
  localtime_r(&now, &tm);
  std::strftime(ts, sizeof ts, "%Y/%m/%d %H:%M:%S", &tm);
  PlainStderr(std::string(ts) + " " + text);
}

// handleHTTP: validation, pipeline, upstream, response, audit. Returns false to close.
bool HandleRequest(const ProxyContext& ctx, Conn& conn, Request& req, const TunnelInfo* tunnel) {
  const bool head = req.method == "HEAD";
  auto reply = [&](const Response& r) { return conn.WriteAll(SerializeResponse(r, head, req.close)); };
  if (req.host.empty()) return reply(ErrorResponse(400, "missing Host header"));
  const std::string decoded = PathUnescape(req.path);
  if (HasDotSegments(decoded)) return reply(ErrorResponse(400, "path contains dot segments"));
  std::string sni;
  if (conn.is_tls()) {
    sni = conn.sni();
    if (sni != StripPort(req.host)) {
      Log(Level::kWarn, "SNI/Host mismatch", Json{{"sni", sni}, {"host", req.host}});
      return reply(ErrorResponse(400, "SNI and Host header mismatch"));
    }
  }
  if (ctx.not_ready != nullptr && ctx.not_ready->load()) {
    return reply(ErrorResponse(503, "proxy is not ready: awaiting control-plane config"));
  }
  auto start = std::chrono::steady_clock::now();
  AuditRecord rec;
  rec.host = req.host;
  rec.method = req.method;
  rec.path = decoded;
  rec.remote_addr = conn.remote_addr;
  rec.sni = sni;
  rec.tunnel = tunnel;
  auto pipeline = ctx.holder->Load();
  TxRequest tx{req.method, req.host, req.path, req.raw_query, &req.headers, &req.body};
  PipelineOutcome out = pipeline->ProcessRequest(tx, &rec.request_traces);
  bool keep = true;
  if (out.kind == PipelineOutcome::kError) {
    rec.status_code = 502;
    rec.error = out.error;
    keep = reply(ErrorResponse(502, "bad gateway"));
  } else if (out.kind == PipelineOutcome::kReject) {
    rec.action = out.short_circuit;
    rec.status_code = 403;
    Response forbidden;
    forbidden.status = 403;
    forbidden.headers.Set("Content-Type", "text/plain");
    keep = reply(forbidden);
  } else {
    req.path = AtLeast(42) ? tx.path : PathEscape(PathUnescape(tx.path));  // v0.39 decodes %2F etc.
    req.raw_query = tx.raw_query;
    Response resp;
    std::string err;
    const std::string scheme = conn.is_tls() ? "https" : "http";
    if (!DoUpstream(ctx, scheme, req.host, req, &resp, &err)) {
      rec.status_code = 502;
      rec.error = err;
      keep = reply(ErrorResponse(502, "bad gateway"));
    } else {
      rec.response_traces = pipeline->ResponseTraces();
      rec.status_code = resp.status;
      keep = reply(resp);
    }
  }
  rec.micros = MicrosSince(start);
  EmitAudit(rec);
  return keep && !req.close;
}

}  // namespace

SSL_CTX* NewMitmServerContext(CertCache* certs) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_callback_ctrl(ctx, SSL_CTRL_SET_TLSEXT_SERVERNAME_CB, reinterpret_cast<void (*)()>(ServerNameCallback));
  SSL_CTX_ctrl(ctx, SSL_CTRL_SET_TLSEXT_SERVERNAME_ARG, 0, certs);
  return ctx;
}

void ServeProxyConn(const ProxyContext& ctx, Conn& conn, const TunnelInfo* tunnel) {
  for (;;) {
    if (!conn.WaitReadable(-1, /*stop_on_shutdown=*/true)) return;
    Request req;
    std::string err;
    ReadStatus st = ReadRequest(conn, &req, &err);
    if (st == ReadStatus::kClosed) return;
    if (st == ReadStatus::kBad) {
      conn.WriteAll("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request");
      return;
    }
    if (req.proto == "HTTP/1.1" && !req.headers.Has("Host") && req.method != "CONNECT" &&
        req.target.rfind("http", 0) != 0) {
      conn.WriteAll("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request: missing required Host header");
      return;
    }
    ++g_inflight;
    bool keep = HandleRequest(ctx, conn, req, tunnel);
    --g_inflight;
    if (!keep || g_stopping.load()) return;
  }
}

void HandleHttpListenerConn(const ProxyContext& ctx, int fd, const std::string& remote, const std::string& local) {
  Conn conn(fd);
  conn.remote_addr = remote;
  conn.local_addr = local;
  ServeProxyConn(ctx, conn, nullptr);
}

void HandleHttpsListenerConn(const ProxyContext& ctx, int fd, const std::string& remote, const std::string& local) {
  Conn conn(fd);
  conn.remote_addr = remote;
  conn.local_addr = local;
  if (ctx.sni_only) {
    Log(Level::kWarn, "ironward test double: sni-only passthrough is not emulated; closing connection",
        Json{{"remote_addr", remote}});
    return;
  }
  conn.SetTimeouts(10000, 10000);
  std::string err;
  if (!conn.StartServerTls(ctx.server_tls, &err)) {
    StdlibLog("http: TLS handshake error from " + remote + ": " + (conn.sni().empty() ? "no SNI provided" : err));
    return;
  }
  conn.SetTimeouts(0, 0);
  ServeProxyConn(ctx, conn, nullptr);
}

}  // namespace irondouble
