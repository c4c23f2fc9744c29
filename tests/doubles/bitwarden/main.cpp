// bitwarden-server-double --config FILE [--port N]
//
// A loopback Bitwarden Secrets Manager for tests: identity at /identity, API at /api, so the
// self-hosted base URL http://127.0.0.1:<port> works, and so does the official SDK (see
// docs/bitwarden.md for the config file and the /_admin controls). Binds 127.0.0.1 only.
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include "tests/doubles/bitwarden/double_state.h"
#include "tests/doubles/bitwarden/routes.h"

int main(int argc, char** argv) {
  std::string config;
  int port = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--config" && i + 1 < argc) {
      config = argv[++i];
    } else if (arg == "--port" && i + 1 < argc) {
      port = std::atoi(argv[++i]);
    } else {
      std::cerr << "usage: bitwarden-server-double --config FILE [--port N]\n";
      return 2;
    }
  }
  if (config.empty()) {
    std::cerr << "usage: bitwarden-server-double --config FILE [--port N]\n";
    return 2;
  }
  auto state = ironward::bwdouble::DoubleState::Load(config);
  if (!state) {
    std::cerr << "bitwarden-server-double: " << state.error().message << "\n";
    return 2;
  }
  httplib::Server server;
  ironward::bwdouble::InstallRoutes(server, **state);
  const std::string host = "127.0.0.1";
  int bound = port;
  if (port == 0) {
    bound = server.bind_to_any_port(host);
  } else if (!server.bind_to_port(host, port)) {
    bound = -1;
  }
  if (bound <= 0) {
    std::cerr << "bitwarden-server-double: cannot bind " << host << ":" << port << "\n";
    return 1;
  }
  std::cout << "listening on " << host << ":" << bound << std::endl;
  return server.listen_after_bind() ? 0 : 1;
}
