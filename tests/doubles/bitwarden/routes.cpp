#include "tests/doubles/bitwarden/routes.h"

#include <cctype>
#include <map>
#include <thread>

namespace ironward::bwdouble {
namespace {

constexpr const char* kJson = "application/json; charset=utf-8";

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string FormDecode(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && HexDigit(s[i + 1]) >= 0 && HexDigit(s[i + 2]) >= 0) {
      out += static_cast<char>(HexDigit(s[i + 1]) * 16 + HexDigit(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::map<std::string, std::string> ParseForm(const std::string& body) {
  std::map<std::string, std::string> out;
  std::size_t start = 0;
  while (start <= body.size()) {
    const auto amp = body.find('&', start);
    const std::string pair = body.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
    const auto eq = pair.find('=');
    if (eq != std::string::npos) out[FormDecode(pair.substr(0, eq))] = FormDecode(pair.substr(eq + 1));
    if (amp == std::string::npos) break;
    start = amp + 1;
  }
  return out;
}

void Reply(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(), kJson);
}

nlohmann::json ErrorBody(const std::string& message) {
  return {{"message", message},         {"validationErrors", nullptr},      {"exceptionMessage", nullptr},
          {"exceptionStackTrace", nullptr}, {"innerExceptionMessage", nullptr}, {"object", "error"}};
}

// Applies a fault to a request to `endpoint` (a stats name); true when the response is complete.
// Sets *badmac for "badmac".
bool ApplyFault(DoubleState& state, const std::string& endpoint, httplib::Response& res, bool* badmac) {
  *badmac = false;
  const bool identity = endpoint == "identity";
  const auto fault = state.TakeFault(endpoint);
  if (!fault) return false;
  const std::string& m = fault->mode;
  if (m == "slow") {
    std::this_thread::sleep_for(std::chrono::milliseconds(fault->delay_ms));
    return false;
  }
  if (m == "badmac") {
    *badmac = true;
    return false;
  }
  if (m == "401") {
    state.Count("unauthorized");
    if (identity) {
      Reply(res, 401, {{"error", "invalid_client"}});
    } else {
      res.status = 401;  // the real API answers 401 with an empty body
    }
    return true;
  }
  if (m == "404") {
    Reply(res, 404, ErrorBody("Resource not found."));
    return true;
  }
  if (m == "429") {
    res.set_header("Retry-After", std::to_string(fault->retry_after));
    Reply(res, 429, ErrorBody("Slow down! Too many requests. Try again in " + std::to_string(fault->retry_after) + "s."));
    return true;
  }
  if (m == "500") {
    Reply(res, 500, ErrorBody("An unhandled server error has occurred."));
    return true;
  }
  if (m == "garbage") {
    res.status = 200;
    res.set_content("{\"data\": [ this is not json", kJson);
    return true;
  }
  return false;
}

// Common prologue of API handlers: count, fault, bearer. True when the handler should go on.
bool ApiPrologue(DoubleState& state, const std::string& endpoint, const httplib::Request& req,
                 httplib::Response& res, bool* badmac) {
  state.Count(endpoint);
  if (ApplyFault(state, endpoint, res, badmac)) return false;
  if (!state.BearerValid(req.get_header_value("Authorization"))) {
    state.Count("unauthorized");
    res.status = 401;
    return false;
  }
  return true;
}

void NotFound(httplib::Response& res) { Reply(res, 404, ErrorBody("Resource not found.")); }

}  // namespace

void InstallRoutes(httplib::Server& server, DoubleState& state) {
  server.Post("/identity/connect/token", [&state](const httplib::Request& req, httplib::Response& res) {
    state.Count("identity");
    bool badmac = false;
    if (ApplyFault(state, "identity", res, &badmac)) return;
    auto form = ParseForm(req.body);
    if (form["grant_type"] != "client_credentials" || form["scope"] != "api.secrets") {
      Reply(res, 400, {{"error", "invalid_request"}});
      return;
    }
    if (!state.CheckClient(form["client_id"], form["client_secret"])) {
      Reply(res, 400, {{"error", "invalid_client"}});
      return;
    }
    Reply(res, 200, state.IssueLogin());
  });

  server.Get(R"(/api/projects/([0-9a-fA-F-]+)/secrets)", [&state](const httplib::Request& req, httplib::Response& res) {
    bool badmac = false;
    if (!ApiPrologue(state, "project_secrets", req, res, &badmac)) return;
    bool found = false;
    auto body = state.ListProject(req.matches[1], &found);
    found ? Reply(res, 200, body) : NotFound(res);
  });

  server.Get(R"(/api/organizations/([0-9a-fA-F-]+)/secrets)",
             [&state](const httplib::Request& req, httplib::Response& res) {
               bool badmac = false;
               if (!ApiPrologue(state, "org_secrets", req, res, &badmac)) return;
               bool found = false;
               auto body = state.ListOrganization(req.matches[1], &found);
               found ? Reply(res, 200, body) : NotFound(res);
             });

  server.Get(R"(/api/organizations/([0-9a-fA-F-]+)/secrets/sync)",
             [&state](const httplib::Request& req, httplib::Response& res) {
               bool badmac = false;
               if (!ApiPrologue(state, "sync", req, res, &badmac)) return;
               bool found = false;
               auto body = state.Sync(req.matches[1], badmac, &found);
               found ? Reply(res, 200, body) : NotFound(res);
             });

  server.Post("/api/secrets/get-by-ids", [&state](const httplib::Request& req, httplib::Response& res) {
    bool badmac = false;
    if (!ApiPrologue(state, "get_by_ids", req, res, &badmac)) return;
    std::vector<std::string> ids;
    try {
      ids = nlohmann::json::parse(req.body).at("ids").get<std::vector<std::string>>();
    } catch (const nlohmann::json::exception&) {
      Reply(res, 400, ErrorBody("The request is invalid."));
      return;
    }
    bool all = false;
    auto body = state.GetByIds(ids, badmac, &all);
    all ? Reply(res, 200, body) : NotFound(res);
  });

  server.Get(R"(/api/secrets/([0-9a-fA-F-]+))", [&state](const httplib::Request& req, httplib::Response& res) {
    bool badmac = false;
    if (!ApiPrologue(state, "get_secret", req, res, &badmac)) return;
    auto body = state.GetOne(req.matches[1], badmac);
    body ? Reply(res, 200, *body) : NotFound(res);
  });

  // Test controls.
  auto admin = [](auto fn) {
    return [fn](const httplib::Request& req, httplib::Response& res) {
      try {
        fn(req, res);
      } catch (const nlohmann::json::exception& e) {
        Reply(res, 400, {{"error", e.what()}});
      }
    };
  };
  server.Post("/_admin/secret", admin([&state](const httplib::Request& req, httplib::Response& res) {
                Reply(res, 200, state.SetSecret(nlohmann::json::parse(req.body)));
              }));
  server.Post("/_admin/fault", admin([&state](const httplib::Request& req, httplib::Response& res) {
                Status s = state.SetFault(nlohmann::json::parse(req.body));
                s ? Reply(res, 200, {{"ok", true}}) : Reply(res, 400, {{"error", s.error().message}});
              }));
  server.Post("/_admin/delete-secret", admin([&state](const httplib::Request& req, httplib::Response& res) {
                auto r = state.DeleteSecret(nlohmann::json::parse(req.body));
                r ? Reply(res, 200, *r) : Reply(res, 404, {{"error", r.error().message}});
              }));
  server.Post("/_admin/project-access", admin([&state](const httplib::Request& req, httplib::Response& res) {
                state.SetProjectAccess(nlohmann::json::parse(req.body).at("read").get<bool>());
                Reply(res, 200, {{"ok", true}});
              }));
  server.Post("/_admin/expires-in", admin([&state](const httplib::Request& req, httplib::Response& res) {
                state.SetExpiresIn(nlohmann::json::parse(req.body).at("expires_in").get<int>());
                Reply(res, 200, {{"ok", true}});
              }));
  server.Post("/_admin/revoke-tokens", [&state](const httplib::Request&, httplib::Response& res) {
    state.RevokeTokens();
    Reply(res, 200, {{"ok", true}});
  });
  server.Get("/_admin/stats", [&state](const httplib::Request&, httplib::Response& res) {
    Reply(res, 200, state.Stats());
  });
  server.Post("/_admin/reset-stats", [&state](const httplib::Request&, httplib::Response& res) {
    state.ResetStats();
    Reply(res, 200, {{"ok", true}});
  });
}

}  // namespace ironward::bwdouble
