#include "http.h"

#include "log.h"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <sstream>

namespace irondouble {

std::string CanonicalHeaderKey(const std::string& key) {
  for (char c : key) {
    if (c == ' ' || c == ':' || static_cast<unsigned char>(c) >= 0x7f) return key;
  }
  std::string out = key;
  bool upper = true;
  for (char& c : out) {
    c = upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c)))
              : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    upper = c == '-';
  }
  return out;
}

bool EqualFold(const std::string& a, const std::string& b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string Headers::Get(const std::string& name) const {
  for (const auto& [k, v] : items) if (EqualFold(k, name)) return v;
  return "";
}

std::vector<std::string> Headers::Values(const std::string& name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : items) if (EqualFold(k, name)) out.push_back(v);
  return out;
}

bool Headers::Has(const std::string& name) const {
  for (const auto& kv : items) if (EqualFold(kv.first, name)) return true;
  return false;
}

void Headers::Set(const std::string& name, const std::string& value) {
  Del(name);
  Add(name, value);
}

void Headers::Del(const std::string& name) {
  items.erase(std::remove_if(items.begin(), items.end(), [&](const auto& kv) { return EqualFold(kv.first, name); }),
              items.end());
}

bool Headers::HasToken(const std::string& name, const std::string& token) const {
  for (const auto& v : Values(name)) {
    std::stringstream ss(v);
    std::string t;
    while (std::getline(ss, t, ',')) {
      t.erase(0, t.find_first_not_of(" \t"));
      t.erase(t.find_last_not_of(" \t") + 1);
      if (EqualFold(t, token)) return true;
    }
  }
  return false;
}

std::string Headers::Serialize() const {
  auto sorted = items;
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out;
  for (const auto& [k, v] : sorted) out += k + ": " + v + "\r\n";
  return out;
}

namespace {

bool ReadHeaders(Conn& conn, Headers* h) {
  std::string line;
  for (int n = 0; n < 1000; ++n) {
    if (!conn.ReadLine(&line)) return false;
    if (line.empty()) return true;
    std::size_t colon = line.find(':');
    if (colon == std::string::npos || colon == 0) return false;
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    value.erase(value.find_last_not_of(" \t") + 1);
    h->Add(CanonicalHeaderKey(line.substr(0, colon)), value);
  }
  return false;
}

bool ReadChunked(Conn& conn, std::string* body) {
  std::string line, chunk;
  for (;;) {
    if (!conn.ReadLine(&line)) return false;
    std::size_t semi = line.find(';');
    std::string hex = line.substr(0, semi);
    hex.erase(hex.find_last_not_of(" \t") + 1);
    if (hex.empty() || hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) return false;
    std::size_t size = std::stoull(hex, nullptr, 16);
    if (size == 0) break;
    if (!conn.ReadN(size, &chunk)) return false;
    body->append(chunk);
    if (!conn.ReadLine(&line)) return false;
  }
  do {  // trailers
    if (!conn.ReadLine(&line)) return false;
  } while (!line.empty());
  return true;
}

bool ReadBody(Conn& conn, const Headers& h, std::string* body, bool* has_body, std::string* err) {
  if (EqualFold(h.Get("Transfer-Encoding"), "chunked")) {
    *has_body = true;
    if (!ReadChunked(conn, body)) { *err = "malformed chunked encoding"; return false; }
    return true;
  }
  std::string cl = h.Get("Content-Length");
  if (!cl.empty()) {
    if (cl.find_first_not_of("0123456789") != std::string::npos) { *err = "bad Content-Length"; return false; }
    *has_body = true;
    if (!conn.ReadN(std::stoull(cl), body)) { *err = "unexpected EOF"; return false; }
  }
  return true;
}

}  // namespace

ReadStatus ReadRequest(Conn& conn, Request* req, std::string* err) {
  std::string line;
  do {
    if (!conn.ReadLine(&line, 1 << 16)) return ReadStatus::kClosed;
  } while (line.empty());
  std::istringstream ss(line);
  if (!(ss >> req->method >> req->target >> req->proto) || req->proto.rfind("HTTP/1.", 0) != 0) {
    *err = "malformed HTTP request " + Json(line).dump();
    return ReadStatus::kBad;
  }
  if (!ReadHeaders(conn, &req->headers)) {
    *err = "malformed MIME header";
    return ReadStatus::kBad;
  }
  req->host = req->headers.Get("Host");
  std::string t = req->target;
  if (req->method == "CONNECT" && t[0] != '/') {
    req->host = t;
  } else if (t.rfind("http://", 0) == 0 || t.rfind("https://", 0) == 0) {
    std::size_t start = t.find("://") + 3;
    std::size_t slash = t.find_first_of("/?", start);
    std::string authority = t.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (!authority.empty()) req->host = authority;
    t = slash == std::string::npos ? "/" : t.substr(slash);
    if (t[0] == '?') t = "/" + t;
  }
  if (req->method != "CONNECT" || t[0] == '/') {
    std::size_t q = t.find('?');
    req->path = t.substr(0, q);
    if (q != std::string::npos) req->raw_query = t.substr(q + 1);
    if (std::size_t hash = req->raw_query.find('#'); hash != std::string::npos) req->raw_query.resize(hash);
  }
  if (!ReadBody(conn, req->headers, &req->body, &req->has_body, err)) return ReadStatus::kBad;
  req->close = req->headers.HasToken("Connection", "close") ||
               (req->proto == "HTTP/1.0" && !req->headers.HasToken("Connection", "keep-alive"));
  return ReadStatus::kOk;
}

bool ReadResponse(Conn& conn, const std::string& method, Response* resp, std::string* err) {
  std::string line;
  for (;;) {
    if (!conn.ReadLine(&line)) { *err = "EOF"; return false; }
    if (line.size() < 12 || line.rfind("HTTP/1.", 0) != 0) { *err = "malformed HTTP response " + Json(line).dump(); return false; }
    resp->status = std::atoi(line.substr(9, 3).c_str());
    resp->headers = Headers{};
    if (!ReadHeaders(conn, &resp->headers)) { *err = "malformed MIME header"; return false; }
    if (resp->status >= 100 && resp->status < 200 && resp->status != 101) continue;
    break;
  }
  if (method == "HEAD" || resp->status == 204 || resp->status == 304 || resp->status < 200) return true;
  bool has_body = false;
  if (!ReadBody(conn, resp->headers, &resp->body, &has_body, err)) return false;
  if (!has_body) conn.ReadToEof(&resp->body);
  return true;
}

std::string StatusText(int code) {
  switch (code) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 422: return "Unprocessable Entity";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "status code " + std::to_string(code);
  }
}

std::string SerializeResponse(const Response& resp, bool head_request, bool close) {
  Headers h = resp.headers;
  for (const char* hop : {"Connection", "Keep-Alive", "Transfer-Encoding", "Content-Length"}) h.Del(hop);
  bool bodyless = resp.status == 204 || resp.status == 304 || resp.status < 200;
  if (!bodyless) h.Set("Content-Length", std::to_string(resp.body.size()));
  if (!h.Has("Date")) {
    char date[64];
    std::time_t now = std::time(nullptr);
    struct tm tm {};
    gmtime_r(&now, &tm);
    std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    h.Set("Date", date);
  }
  if (close) h.Set("Connection", "close");
  std::string out = "HTTP/1.1 " + std::to_string(resp.status) + " " + StatusText(resp.status) + "\r\n";
  out += h.Serialize() + "\r\n";
  if (!head_request && !bodyless) out += resp.body;
  return out;
}

Response ErrorResponse(int code, const std::string& msg) {
  Response r;
  r.status = code;
  r.headers.Set("Content-Type", "text/plain; charset=utf-8");
  r.headers.Set("X-Content-Type-Options", "nosniff");
  r.body = msg + "\n";
  return r;
}

std::string PathUnescape(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() + 0 && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string PathEscape(const std::string& s) {
  static const std::string kKeep = "-._~$&+,/:;=@!'()*";
  std::string out;
  char buf[4];
  for (unsigned char c : s) {
    if (std::isalnum(c) || kKeep.find(static_cast<char>(c)) != std::string::npos) {
      out += static_cast<char>(c);
    } else {
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

}  // namespace irondouble
