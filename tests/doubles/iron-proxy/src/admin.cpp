#include "admin.h"

#include "http.h"
#include "log.h"
#include "version.h"

#include <openssl/crypto.h>

namespace irondouble {
namespace {

Response JsonResponse(int status, const Json& body) {
  Response r;
  r.status = status;
  r.headers.Set("Content-Type", "application/json");
  r.body = body.dump() + "\n";
  return r;
}

Response NotFound() { return ErrorResponse(404, "404 page not found"); }

// Serves requests on conn with handler until the client closes or asks to.
template <typename Handler>
void ServeLoop(Conn& conn, Handler handler) {
  for (;;) {
    if (!conn.WaitReadable(-1, true)) return;
    Request req;
    std::string err;
    ReadStatus st = ReadRequest(conn, &req, &err);
    if (st == ReadStatus::kClosed) return;
    if (st == ReadStatus::kBad) {
      conn.WriteAll("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request");
      return;
    }
    Response resp = handler(req);
    if (!conn.WriteAll(SerializeResponse(resp, req.method == "HEAD", req.close)) || req.close) return;
  }
}

bool Authorized(const ManagementOptions& opts, const Request& req) {
  const std::string h = req.headers.Get("Authorization");
  const std::string prefix = "Bearer ";
  if (h.rfind(prefix, 0) != 0) return false;
  std::string got = h.substr(prefix.size());
  return got.size() == opts.api_key.size() &&
         CRYPTO_memcmp(got.data(), opts.api_key.data(), got.size()) == 0;
}

}  // namespace

void ServeMetricsConn(Conn& conn) {
  ServeLoop(conn, [](const Request& req) {
    if (req.path != "/healthz") return NotFound();
    Response r;
    r.headers.Set("Content-Type", "text/plain; charset=utf-8");
    r.body = "OK";
    return r;
  });
}

void ServeManagementConn(const ManagementOptions& opts, Conn& conn) {
  ServeLoop(conn, [&](const Request& req) {
    const bool v45 = AtLeast(45);
    const std::string& p = req.path;
    if (p != "/v1/reload" && !(v45 && (p == "/v1/status" || p == "/v1/sync"))) return NotFound();
    if (!Authorized(opts, req)) return JsonResponse(401, Json{{"error", "unauthorized"}});
    const std::string want = p == "/v1/status" ? "GET" : "POST";
    if (req.method != want) {
      Response r = JsonResponse(405, Json{{"error", "method not allowed"}});
      r.headers.Set("Allow", want);
      return r;
    }
    if (p == "/v1/status") {
      if (!opts.managed) return JsonResponse(404, Json{{"error", "status is unavailable in standalone mode"}});
      return JsonResponse(200, Json{{"synced_once", false}, {"last_error", "no control plane in the ironward test double"}});
    }
    if (p == "/v1/sync") {
      if (!opts.managed) return JsonResponse(404, Json{{"error", "sync is unavailable in standalone mode"}});
      return JsonResponse(202, Json{{"status", "sync requested"}});
    }
    if (!opts.reload) return JsonResponse(404, Json{{"error", "reload is unavailable in managed mode"}});
    std::string err;
    if (opts.reload(&err)) {
      Log(Level::kInfo, "management reload succeeded");
      return JsonResponse(200, Json{{"status", "ok"}});
    }
    Log(Level::kWarn, "management reload rejected invalid config", Json{{"error", err}});
    return JsonResponse(422, Json{{"error", err}});
  });
}

}  // namespace irondouble
