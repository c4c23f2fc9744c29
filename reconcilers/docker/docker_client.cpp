#include "reconcilers/docker/docker_client.h"

#include <sys/stat.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <nlohmann/json.hpp>
#include <utility>

#include "reconcilers/docker/docker_json.h"
#include "reconcilers/docker/log_stream.h"

namespace ironward::docker {
namespace {

constexpr const char* kBaseUrl = "http://localhost";

std::string Versioned(const std::string& version, const std::string& path) { return "/v" + version + path; }

std::string Q(const std::string& s) { return UrlEncode(s); }

}  // namespace

std::optional<int> ParseApiMinor(std::string_view version) {
  if (version.substr(0, 2) != "1.") return std::nullopt;
  std::string_view minor = version.substr(2);
  int value = 0;
  auto [ptr, ec] = std::from_chars(minor.data(), minor.data() + minor.size(), value);
  if (ec != std::errc() || ptr != minor.data() + minor.size() || minor.empty()) return std::nullopt;
  return value;
}

Result<std::string> NegotiateApiVersion(std::string_view server_version) {
  const auto minor = ParseApiMinor(server_version);
  if (!minor) {
    return Error::Terminal("docker: cannot understand the engine's API version \"" + std::string(server_version) +
                           "\"");
  }
  if (*minor < kMinApiMinor) {
    return Error::Terminal("docker: the engine speaks API " + std::string(server_version) + ", older than 1." +
                           std::to_string(kMinApiMinor) + " which ironward needs (Docker 20.10 or newer)");
  }
  return "1." + std::to_string(std::min(*minor, kMaxApiMinor));
}

DockerClient::DockerClient(HttpClient& http, DockerEndpoint endpoint, const Clock& clock, DockerClientOptions options)
    : http_(http), endpoint_(std::move(endpoint)), clock_(clock), options_(options) {}

Result<std::unique_ptr<DockerClient>> DockerClient::FromEnvironment(HttpClient& http, const Clock& clock,
                                                                    DockerClientOptions options) {
  auto ep = DockerEndpointFromEnvironment();
  if (!ep) return ep.error();
  return std::make_unique<DockerClient>(http, std::move(ep.value()), clock, options);
}

std::string DockerClient::api_version() const {
  std::lock_guard<std::mutex> lock(mu_);
  return version_;
}

Error DockerClient::Unreachable(const Error& transport) const {
  // CurlHttpClient prefixes "METHOD URL: "; the URL is always kBaseUrl here, so keep the curl part.
  std::string detail = transport.message;
  const auto at = detail.find(std::string(kBaseUrl));
  if (at != std::string::npos) {
    const auto colon = detail.find(": ", at);
    if (colon != std::string::npos) detail = detail.substr(colon + 2);
  }
  // "Failed to connect to localhost port 80 after 0 ms: ..." names a TCP port that is not used here.
  if (detail.rfind("Failed to connect to localhost port 80", 0) == 0) {
    const auto colon = detail.find(": ");
    if (colon != std::string::npos) detail = detail.substr(colon + 2);
    struct stat st {};
    if (::stat(endpoint_.socket_path.c_str(), &st) != 0) {
      detail += " (" + std::string(std::strerror(errno)) + ")";
    } else if (!S_ISSOCK(st.st_mode)) {
      detail += " (not a socket)";
    } else {
      detail += " (is dockerd running?)";
    }
  }
  return Error::Transient("cannot reach the Docker engine at " + endpoint_.uri() + ": " + detail);
}

Result<HttpResponse> DockerClient::SendUnversioned(const std::string& key, const std::string& path) {
  HttpRequest req;
  req.url = kBaseUrl + path;
  req.unix_socket = endpoint_.socket_path;
  req.timeout = options_.request_timeout;
  req.connect_timeout = options_.connect_timeout;
  req.follow_redirects = false;
  stats_.Record(key);
  auto resp = http_.Send(req);
  if (!resp) return Unreachable(resp.error());
  return resp;
}

Result<PingInfo> DockerClient::Ping() {
  auto resp = SendUnversioned("GET /_ping", "/_ping");
  if (!resp) {
    std::lock_guard<std::mutex> lock(mu_);
    version_.clear();  // renegotiate with whatever engine comes back
    return resp.error();
  }
  if (resp->status != 200) return ApiError("GET /_ping", resp->status, DecodeErrorMessage(resp->body));
  PingInfo info;
  info.server_api_version = resp->Header("Api-Version");
  info.os_type = resp->Header("Ostype");
  if (info.server_api_version.empty()) {  // very old engines: ask /version
    auto v = SendUnversioned("GET /version", "/version");
    if (!v) return v.error();
    try {
      auto j = nlohmann::json::parse(v->body);
      info.server_api_version = j.value("ApiVersion", "");
    } catch (const std::exception&) {
      // handled below as an unknown version
    }
  }
  auto negotiated = NegotiateApiVersion(info.server_api_version);
  if (!negotiated) return negotiated.error();
  info.api_version = negotiated.value();
  std::lock_guard<std::mutex> lock(mu_);
  version_ = info.api_version;
  return info;
}

Result<std::string> DockerClient::EnsureVersion() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!version_.empty()) return version_;
  }
  auto ping = Ping();
  if (!ping) return ping.error();
  return ping->api_version;
}

Result<HttpResponse> DockerClient::Send(const Call& call) {
  auto version = EnsureVersion();
  if (!version) return version.error();
  HttpRequest req;
  req.method = call.method;
  req.url = kBaseUrl + Versioned(version.value(), call.path);
  req.unix_socket = endpoint_.socket_path;
  req.body = call.body;
  if (!call.body.empty()) req.headers.emplace_back("Content-Type", "application/json");
  req.timeout = call.timeout.count() > 0 ? call.timeout : options_.request_timeout;
  req.connect_timeout = options_.connect_timeout;
  req.follow_redirects = false;
  req.on_data = call.on_data;
  stats_.Record(call.key);
  auto resp = http_.Send(req);
  if (!resp) {
    std::lock_guard<std::mutex> lock(mu_);
    version_.clear();
    return Unreachable(resp.error());
  }
  return resp;
}

Result<Outcome> DockerClient::Transition(const Call& call) {
  auto resp = Send(call);
  if (!resp) return resp.error();
  switch (resp->status) {
    case 200:
    case 201:
    case 204: return Outcome::kChanged;
    case 304: return Outcome::kUnchanged;
    case 404: return Outcome::kNotFound;
    default: return ApiError(call.key, resp->status, DecodeErrorMessage(resp->body));
  }
}

Result<EngineInfo> DockerClient::Info() {
  auto resp = Send(Call("GET", "GET /info", "/info"));
  if (!resp) return resp.error();
  if (resp->status != 200) return ApiError("GET /info", resp->status, DecodeErrorMessage(resp->body));
  return DecodeInfo(resp->body);
}

Result<std::vector<ContainerSummary>> DockerClient::ListContainers(const Filters& filters, bool all) {
  std::string path = "/containers/json?all=" + std::string(all ? "true" : "false");
  if (!filters.empty()) path += "&filters=" + Q(EncodeFilters(filters));
  auto resp = Send(Call("GET", "GET /containers/json", path));
  if (!resp) return resp.error();
  if (resp->status != 200) return ApiError("GET /containers/json", resp->status, DecodeErrorMessage(resp->body));
  return DecodeContainerList(resp->body);
}

Result<std::optional<ContainerInfo>> DockerClient::InspectContainer(const std::string& id) {
  const std::string key = "GET /containers/{id}/json";
  auto resp = Send(Call("GET", key, "/containers/" + Q(id) + "/json"));
  if (!resp) return resp.error();
  if (resp->status == 404) return std::optional<ContainerInfo>();
  if (resp->status != 200) return ApiError(key + " " + id, resp->status, DecodeErrorMessage(resp->body));
  auto info = DecodeContainerInfo(resp->body);
  if (!info) return info.error();
  return std::optional<ContainerInfo>(std::move(info.value()));
}

Result<CreateResult> DockerClient::CreateContainer(const std::string& name, const ContainerCreateSpec& spec) {
  std::string path = "/containers/create";
  if (!name.empty()) path += "?name=" + Q(name);
  auto resp = Send(Call("POST", "POST /containers/create", path, EncodeCreateSpec(spec)));
  if (!resp) return resp.error();
  if (resp->status != 201) {
    return ApiError("create container " + name, resp->status, DecodeErrorMessage(resp->body));
  }
  return DecodeCreateResult(resp->body);
}

Result<Outcome> DockerClient::StartContainer(const std::string& id) {
  return Transition(Call("POST", "POST /containers/{id}/start", "/containers/" + Q(id) + "/start"));
}

Result<Outcome> DockerClient::StopContainer(const std::string& id, std::chrono::seconds timeout) {
  return Transition(
      Call("POST", "POST /containers/{id}/stop", "/containers/" + Q(id) + "/stop?t=" + std::to_string(timeout.count()))
          .WithTimeout(options_.request_timeout + timeout));
}

Result<Outcome> DockerClient::RemoveContainer(const std::string& id, bool force) {
  return Transition(Call("DELETE", "DELETE /containers/{id}",
                         "/containers/" + Q(id) + "?v=true&force=" + (force ? "true" : "false")));
}

Result<WaitResult> DockerClient::WaitContainer(const std::string& id, std::chrono::milliseconds timeout) {
  const std::string key = "POST /containers/{id}/wait";
  const auto started = clock_.Monotonic();
  auto resp = Send(Call("POST", key, "/containers/" + Q(id) + "/wait?condition=not-running")
                       .WithTimeout(timeout.count() > 0 ? timeout : std::chrono::hours(24 * 365)));
  if (!resp) {
    if (timeout.count() > 0 && clock_.Monotonic() - started >= timeout) {
      return Error::Transient("docker: timed out after " + std::to_string(timeout.count()) +
                              " ms waiting for container " + id + " to stop");
    }
    return resp.error();
  }
  if (resp->status != 200) return ApiError("wait for container " + id, resp->status, DecodeErrorMessage(resp->body));
  return DecodeWaitResult(resp->body);
}

Result<LogOutput> DockerClient::Logs(const std::string& id, const LogsOptions& options) {
  std::string path = "/containers/" + Q(id) + "/logs?follow=false";
  path += std::string("&stdout=") + (options.stdout_stream ? "true" : "false");
  path += std::string("&stderr=") + (options.stderr_stream ? "true" : "false");
  path += std::string("&timestamps=") + (options.timestamps ? "true" : "false");
  path += "&tail=" + (options.tail ? std::to_string(*options.tail) : std::string("all"));
  auto resp = Send(Call("GET", "GET /containers/{id}/logs", path));
  if (!resp) return resp.error();
  if (resp->status != 200) return ApiError("logs of container " + id, resp->status, DecodeErrorMessage(resp->body));
  // API >= 1.42 says which framing it used; 1.41 does not, so ask whether the container has a TTY.
  const std::string type = resp->Header("Content-Type");
  bool tty = type == "application/vnd.docker.raw-stream";
  if (type != "application/vnd.docker.multiplexed-stream" && !tty) {
    auto info = InspectContainer(id);
    if (!info) return info.error();
    tty = info.value() && info.value()->config.tty;
  }
  if (tty) return LogOutput{std::move(resp->body), ""};
  return DemuxLogs(resp->body);
}

}  // namespace ironward::docker
