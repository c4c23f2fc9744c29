// EndpointServer on cpp-httplib: the whole of ironward-http.so (endpoint_server.h says why it is
// a module).
#include <httplib.h>

#include "controller/run/endpoint_server.h"

namespace ironward::run {
namespace {

class HttplibServer final : public EndpointServer {
 public:
  explicit HttplibServer(EndpointHandler handler) : handler_(std::move(handler)) {
    const httplib::Server::Handler serve = [this](const httplib::Request& req, httplib::Response& res) {
      const EndpointReply reply = handler_({req.method, req.path, req.has_param("verbose")});
      res.status = reply.status;
      for (const auto& [name, value] : reply.headers) res.set_header(name, value);
      res.set_content(reply.body, reply.content_type);
    };
    // GET handlers also answer HEAD (httplib drops the body).
    server_.Get(".*", serve);
    server_.Post(".*", serve);
    server_.Put(".*", serve);
    server_.Patch(".*", serve);
    server_.Delete(".*", serve);
    server_.Options(".*", serve);
  }
  bool Bind(const std::string& host, int port) override { return server_.bind_to_port(host, port); }
  void Serve() override { server_.listen_after_bind(); }
  void Stop() override { server_.stop(); }

 private:
  EndpointHandler handler_;
  httplib::Server server_;
};

}  // namespace
}  // namespace ironward::run

extern "C" ironward::run::EndpointServer* ironward_endpoint_server_new(const ironward::run::EndpointHandler* handler) {
  return new ironward::run::HttplibServer(*handler);
}
