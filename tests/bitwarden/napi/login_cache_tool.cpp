// bitwarden-login-cache-tool: lets the napi cross-check compare our login cache with the SDK's
// state file (same format, docs/bitwarden.md). The access token comes from $BWS_ACCESS_TOKEN,
// never from argv.
//   fetch  --server URL --project ID --cache FILE   log in (or reuse FILE), fetch, write FILE
//   decode --cache FILE                             print the organization id of a valid FILE
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "reconcilers/bitwarden/client.h"

namespace {

class FileCacheStore final : public ironward::bw::LoginCacheStore {
 public:
  explicit FileCacheStore(std::string path) : path_(std::move(path)) {}
  ironward::Result<std::optional<std::string>> Load() override {
    std::ifstream in(path_);
    if (!in) return std::optional<std::string>();
    std::stringstream ss;
    ss << in.rdbuf();
    return std::optional<std::string>(ss.str());
  }
  ironward::Status Store(const std::string& text) override {
    std::ofstream out(path_, std::ios::trunc);
    out << text;
    return out ? ironward::Status::Ok() : ironward::Status(ironward::Error::Transient("cannot write " + path_));
  }

 private:
  std::string path_;
};

}  // namespace

int main(int argc, char** argv) {
  using namespace ironward;  // NOLINT: small tool
  const char* token = std::getenv("BWS_ACCESS_TOKEN");
  if (argc < 2 || token == nullptr) {
    std::cerr << "usage: BWS_ACCESS_TOKEN=... bitwarden-login-cache-tool fetch|decode --cache FILE ...\n";
    return 2;
  }
  const std::string cmd = argv[1];
  std::string server, project, cache;
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    (k == "--server" ? server : k == "--project" ? project : cache) = argv[i + 1];
  }
  auto parsed = bw::ParseAccessToken(token);
  if (!parsed) {
    std::cerr << parsed.error().message << "\n";
    return 1;
  }
  FileCacheStore store(cache);
  if (cmd == "decode") {
    auto text = store.Load();
    if (!text || !text->has_value()) {
      std::cerr << "no cache at " << cache << "\n";
      return 1;
    }
    auto session = bw::DecodeLoginCache(**text, *bw::DeriveAccessTokenKey(parsed->encryption_key), RealClock().Now());
    if (!session) {
      std::cerr << session.error().message << "\n";
      return 1;
    }
    std::cout << session->organization_id << "\n";
    return 0;
  }
  bw::EndpointSettings settings;
  settings.server_url = server;
  auto endpoints = bw::ResolveEndpoints(settings);
  if (!endpoints) {
    std::cerr << endpoints.error().message << "\n";
    return 1;
  }
  CurlHttpClient http;
  RealClock clock;
  bw::ClientConfig config;
  config.access_token = token;
  config.endpoints = *endpoints;
  config.cache = &store;
  bw::Client client(http, clock, config);
  auto secrets = client.FetchProject(project);
  if (!secrets) {
    std::cerr << secrets.error().message << "\n";
    return 1;
  }
  std::cout << secrets->size() << " secrets, identity requests: " << client.identity_requests() << "\n";
  return 0;
}
