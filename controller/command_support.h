// Pieces every command shares: state-dir resolution, logging, loading the desired state,
// the real outside-world dependencies, and git revision lookup for history.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>

#include "controller/cli.h"
#include "controller/spec/spec.h"
#include "reconcilers/io/clock.h"
#include "reconcilers/io/host_info.h"
#include "reconcilers/io/http_client.h"

namespace ironward {

inline constexpr const char* kDefaultStateDir = "/var/lib/ironward";

/// --state-dir, else $IRONWARD_STATE_DIR, else /var/lib/ironward.
std::string ResolveStateDir(const GlobalOptions& global);
/// spdlog to stderr at --log-level; a bad level is reported and "info" used.
void SetupLogging(const GlobalOptions& global);

/// Loads and validates; prints every diagnostic as FILE:LINE:COL: message to `err`.
std::optional<spec::DesiredState> LoadDesiredState(const std::string& path, std::ostream& err);

/// An HttpClient that only lets GET/HEAD through: what a dry run is given.
class ReadOnlyHttpClient final : public HttpClient {
 public:
  explicit ReadOnlyHttpClient(HttpClient& inner) : inner_(inner) {}
  Result<HttpResponse> Send(const HttpRequest& request) override;

 private:
  HttpClient& inner_;
};

/// The real outside world.
struct Runtime {
  RealClock clock;
  CurlHttpClient http;
  ReadOnlyHttpClient read_only_http{http};
  RealHostInfo host;
};

/// Commit id of the git repository holding `file` (reads .git directly), or "".
std::string GitRevisionOf(const std::string& file);

}  // namespace ironward
