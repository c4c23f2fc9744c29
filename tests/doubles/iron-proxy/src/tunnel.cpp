// tunnel_listen: HTTP CONNECT or SOCKS5 (first byte 0x05), the policy check on the synthetic
// CONNECT, then TLS MITM (first byte 0x16) or plain HTTP (uppercase letter) inside the tunnel.
#include "hostmatch.h"
#include "proxy.h"

#include <arpa/inet.h>

#include <chrono>

namespace irondouble {
namespace {

// tunnelTransformCheck: runs the pipeline on a synthetic CONNECT and emits its audit record.
// Returns 0 allowed, 1 rejected by a transform, 2 transform error.
int TunnelCheck(const ProxyContext& ctx, const std::string& remote, const std::string& target,
                Headers headers, TunnelInfo* info) {
  auto start = std::chrono::steady_clock::now();
  std::string host = StripPort(target);
  AuditRecord rec;
  rec.host = target;
  rec.method = "CONNECT";
  rec.remote_addr = remote;
  rec.sni = host;
  rec.mode = ctx.sni_only ? "sni-only" : "mitm";
  std::string body;
  TxRequest tx{"CONNECT", target, "", "", &headers, &body};
  auto pipeline = ctx.holder->Load();
  PipelineOutcome out = pipeline->ProcessRequest(tx, &rec.request_traces);
  int result = 0;
  if (out.kind == PipelineOutcome::kError) {
    rec.status_code = 502;
    rec.error = out.error;
    Log(Level::kWarn, "tunnel transform error", Json{{"target", target}, {"error", out.error}});
    result = 2;
  } else if (out.kind == PipelineOutcome::kReject) {
    rec.action = out.short_circuit;
    rec.status_code = 403;
    Log(Level::kInfo, "tunnel short-circuited by transform", Json{{"target", target}, {"status", 403}});
    result = 1;
  } else {
    rec.status_code = 200;
    info->target = target;
    info->traces = rec.request_traces;
  }
  rec.micros = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
  EmitAudit(rec);
  return result;
}

void ServeTunnel(const ProxyContext& ctx, Conn& conn, const TunnelInfo& info) {
  int first = conn.PeekByte(-1);
  if (first < 0) return;
  if (first == 0x16) {
    if (ctx.sni_only) {
      Log(Level::kWarn, "ironward test double: sni-only passthrough is not emulated; closing tunnel",
          Json{{"target", info.target}});
      return;
    }
    std::string err;
    conn.SetTimeouts(10000, 10000);
    if (!conn.StartServerTls(ctx.server_tls, &err)) {
      Log(Level::kDebug, "tunnel connect error", Json{{"error", "TLS handshake for " + info.target + ": " + err}});
      return;
    }
    conn.SetTimeouts(0, 0);
    conn.SetUnbuffered(false);
    ServeProxyConn(ctx, conn, &info);
    return;
  }
  if (first >= 'A' && first <= 'Z') {
    conn.SetUnbuffered(false);
    ServeProxyConn(ctx, conn, &info);
    return;
  }
  char msg[96];
  std::snprintf(msg, sizeof msg, "unsupported protocol (first byte 0x%02x) for target ", first);
  Log(Level::kDebug, "tunnel connect error", Json{{"error", msg + info.target}});
}

void HandleConnect(const ProxyContext& ctx, Conn& conn) {
  Request req;
  std::string err;
  if (ReadRequest(conn, &req, &err) != ReadStatus::kOk) return;
  if (req.method != "CONNECT") {
    conn.WriteAll("HTTP/1.1 405 Method Not Allowed\r\n\r\n");
    return;
  }
  std::string target = req.host, h, p;
  if (!SplitHostPort(target, &h, &p)) {
    target = (target.find(':') != std::string::npos ? "[" + target + "]" : target) + ":443";
  }
  Log(Level::kDebug, "tunnel CONNECT", Json{{"target", target}});
  TunnelInfo info;
  int verdict = TunnelCheck(ctx, conn.remote_addr, target, req.headers, &info);
  if (verdict == 1) {
    conn.WriteAll("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nContent-Type: text/plain\r\n\r\n");
    return;
  }
  if (verdict == 2) {
    conn.WriteAll("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
    return;
  }
  if (!conn.WriteAll("HTTP/1.1 200 Connection Established\r\n\r\n")) return;
  ServeTunnel(ctx, conn, info);
}

void Socks5Reply(Conn& conn, unsigned char status) {
  const char reply[] = {0x05, static_cast<char>(status), 0x00, 0x01, 0, 0, 0, 0, 0, 0};
  conn.WriteAll(std::string_view(reply, sizeof reply));
}

void HandleSocks5(const ProxyContext& ctx, Conn& conn) {
  std::string b;
  if (!conn.ReadN(2, &b)) return;
  std::string methods;
  if (!conn.ReadN(static_cast<unsigned char>(b[1]), &methods)) return;
  if (methods.find('\0') == std::string::npos) {
    Socks5Reply(conn, 0xFF);
    return;
  }
  conn.WriteAll(std::string_view("\x05\x00", 2));
  std::string hdr;
  if (!conn.ReadN(4, &hdr) || hdr[0] != 0x05) return;
  if (hdr[1] != 0x01) {
    Socks5Reply(conn, 0x07);
    return;
  }
  std::string host, raw;
  switch (static_cast<unsigned char>(hdr[3])) {
    case 0x01:
      if (!conn.ReadN(4, &raw)) return;
      { IpAddr ip; std::copy(raw.begin(), raw.end(), ip.b.begin()); host = ip.String(); }
      break;
    case 0x03:
      if (!conn.ReadN(1, &raw) || !conn.ReadN(static_cast<unsigned char>(raw[0]), &host)) return;
      break;
    case 0x04:
      if (!conn.ReadN(16, &raw)) return;
      { IpAddr ip; ip.v6 = true; std::copy(raw.begin(), raw.end(), ip.b.begin()); host = ip.String(); }
      break;
    default:
      Socks5Reply(conn, 0x08);
      return;
  }
  std::string port;
  if (!conn.ReadN(2, &port)) return;
  int portnum = (static_cast<unsigned char>(port[0]) << 8) | static_cast<unsigned char>(port[1]);
  std::string target = (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(portnum);
  TunnelInfo info;
  if (TunnelCheck(ctx, conn.remote_addr, target, Headers{}, &info) != 0) {
    Socks5Reply(conn, 0x02);
    return;
  }
  Socks5Reply(conn, 0x00);
  ServeTunnel(ctx, conn, info);
}

}  // namespace

void HandleTunnelConn(const ProxyContext& ctx, int fd, const std::string& remote, const std::string& local) {
  Conn conn(fd);
  conn.remote_addr = remote;
  conn.local_addr = local;
  conn.SetUnbuffered(true);  // no read-ahead past CONNECT/SOCKS5, so TLS sees the ClientHello
  int first = conn.PeekByte(-1);
  if (first < 0) return;
  if (first == 0x05) HandleSocks5(ctx, conn);
  else HandleConnect(ctx, conn);
}

}  // namespace irondouble
