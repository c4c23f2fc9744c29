// HTTP/1.x messages the way Go's net/http sees them: canonical header keys, Host from the
// absolute-form URL, chunked/Content-Length bodies, sorted header output.
#pragma once

#include "net.h"

#include <string>
#include <utility>
#include <vector>

namespace irondouble {

std::string CanonicalHeaderKey(const std::string& key);
bool EqualFold(const std::string& a, const std::string& b);

struct Headers {
  std::vector<std::pair<std::string, std::string>> items;  // key as stored (usually canonical)

  std::string Get(const std::string& name) const;        // first value, case-insensitive
  std::vector<std::string> Values(const std::string& name) const;
  bool Has(const std::string& name) const;
  void Add(const std::string& name, const std::string& value) { items.emplace_back(name, value); }
  void Set(const std::string& name, const std::string& value);
  void Del(const std::string& name);
  bool HasToken(const std::string& name, const std::string& token) const;
  // "Key: value\r\n" lines sorted by key (stable), like Go's Header.Write.
  std::string Serialize() const;
};

struct Request {
  std::string method, target, proto = "HTTP/1.1";
  Headers headers;
  std::string body;
  bool has_body = false;     // Content-Length or chunked present
  std::string host;          // r.Host
  std::string path;          // escaped path as received ("" for CONNECT)
  std::string raw_query;
  bool close = false;        // client asked to close after this request
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;
};

enum class ReadStatus { kOk, kClosed, kBad };

// Reads one request. max_head bounds the header block.
ReadStatus ReadRequest(Conn& conn, Request* req, std::string* err);
// Reads a response to a request with method; handles HEAD/1xx/204/304 and read-to-close bodies.
bool ReadResponse(Conn& conn, const std::string& method, Response* resp, std::string* err);

std::string StatusText(int code);
// Full response bytes with Date and Content-Length, headers sorted; body omitted for HEAD.
std::string SerializeResponse(const Response& resp, bool head_request, bool close);
// http.Error: text/plain; charset=utf-8, nosniff, body msg + "\n".
Response ErrorResponse(int code, const std::string& msg);

// Percent-decodes a URL path (Go url.PathUnescape semantics, lenient).
std::string PathUnescape(const std::string& s);
// Re-escapes a decoded path like url.URL.EscapedPath.
std::string PathEscape(const std::string& s);

}  // namespace irondouble
