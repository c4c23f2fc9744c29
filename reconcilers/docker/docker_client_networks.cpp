// DockerClient: networks and the events stream.
#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <utility>

#include "reconcilers/docker/docker_client.h"
#include "reconcilers/docker/docker_json.h"

namespace ironward::docker {
namespace {

std::string ConnectBody(const std::string& container, bool with_force, bool force) {
  nlohmann::json body = {{"Container", container}};
  if (with_force) body["Force"] = force;
  return body.dump();
}

std::int64_t ToNanos(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

/// The engine's "seconds.nanoseconds" timestamp form.
std::string EngineTime(std::int64_t ns) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%lld.%09lld", static_cast<long long>(ns / 1000000000),
                static_cast<long long>(ns % 1000000000));
  return buf;
}

std::string EventKey(const Event& e) {
  return std::to_string(e.time_nano) + "|" + e.type + "|" + e.action + "|" + e.actor_id;
}

}  // namespace

Result<std::vector<NetworkInfo>> DockerClient::ListNetworks(const Filters& filters) {
  std::string path = "/networks";
  if (!filters.empty()) path += "?filters=" + UrlEncode(EncodeFilters(filters));
  auto resp = Send(Call("GET", "GET /networks", path));
  if (!resp) return resp.error();
  if (resp->status != 200) return ApiError("GET /networks", resp->status, DecodeErrorMessage(resp->body));
  return DecodeNetworkList(resp->body);
}

Result<std::optional<NetworkInfo>> DockerClient::InspectNetwork(const std::string& id) {
  auto resp = Send(Call("GET", "GET /networks/{id}", "/networks/" + UrlEncode(id)));
  if (!resp) return resp.error();
  if (resp->status == 404) return std::optional<NetworkInfo>();
  if (resp->status != 200) return ApiError("inspect network " + id, resp->status, DecodeErrorMessage(resp->body));
  auto info = DecodeNetwork(resp->body);
  if (!info) return info.error();
  return std::optional<NetworkInfo>(std::move(info.value()));
}

Result<std::string> DockerClient::CreateNetwork(const NetworkCreateSpec& spec) {
  auto resp = Send(Call("POST", "POST /networks/create", "/networks/create", EncodeNetworkCreate(spec)));
  if (!resp) return resp.error();
  if (resp->status != 201) {
    return ApiError("create network " + spec.name, resp->status, DecodeErrorMessage(resp->body));
  }
  return DecodeNetworkCreateId(resp->body);
}

Result<Outcome> DockerClient::ConnectNetwork(const std::string& network, const std::string& container) {
  const std::string key = "POST /networks/{id}/connect";
  auto resp = Send(Call("POST", key, "/networks/" + UrlEncode(network) + "/connect", ConnectBody(container, false, false)));
  if (!resp) return resp.error();
  if (resp->status == 200) return Outcome::kChanged;
  if (resp->status == 404) return Outcome::kNotFound;
  const std::string message = DecodeErrorMessage(resp->body);
  // 20.10: 403 "endpoint with name X already exists in network Y"
  if (resp->status == 403 && message.find("already exists") != std::string::npos) return Outcome::kUnchanged;
  return ApiError("connect " + container + " to network " + network, resp->status, message);
}

Result<Outcome> DockerClient::DisconnectNetwork(const std::string& network, const std::string& container, bool force) {
  const std::string key = "POST /networks/{id}/disconnect";
  auto resp = Send(Call("POST", key, "/networks/" + UrlEncode(network) + "/disconnect", ConnectBody(container, true, force)));
  if (!resp) return resp.error();
  if (resp->status == 200) return Outcome::kChanged;
  if (resp->status == 404) return Outcome::kNotFound;
  const std::string message = DecodeErrorMessage(resp->body);
  if (message.find("is not connected to") != std::string::npos) return Outcome::kUnchanged;
  return ApiError("disconnect " + container + " from network " + network, resp->status, message);
}

Result<Outcome> DockerClient::RemoveNetwork(const std::string& id) {
  return Transition(Call("DELETE", "DELETE /networks/{id}", "/networks/" + UrlEncode(id)));
}

// The events stream has no keepalive, and HttpClient only lets a transfer stop from the data
// callback, so a quiet stream could not be stopped. Read it in windows [since, until] instead: the
// engine closes the stream at `until`; the next window starts slightly earlier (events are buffered
// by the engine) and events already delivered are dropped by key.
Status DockerClient::Events(const EventsQuery& query, const EventCallback& on_event, std::stop_token stop) {
  constexpr std::int64_t kOverlapNs = 1'000'000'000;
  const auto window = std::max(query.window, std::chrono::milliseconds(100));
  const std::int64_t window_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(window).count();
  std::int64_t since = ToNanos(query.since.value_or(clock_.Now()));
  std::vector<std::string> seen;  // keys of delivered events with time_nano >= since
  const std::string filters = query.filters.empty() ? "" : "&filters=" + UrlEncode(EncodeFilters(query.filters));

  while (!stop.stop_requested()) {
    const std::int64_t until = std::max(ToNanos(clock_.Now()), since) + window_ns;
    std::string pending;   // bytes after the last newline
    std::string unparsed;  // lines that were not events (an error body)
    bool ended = false;
    auto on_data = [&](std::string_view data) {
      if (stop.stop_requested()) return false;
      pending.append(data);
      std::size_t nl;
      while ((nl = pending.find('\n')) != std::string::npos) {
        std::string line = pending.substr(0, nl);
        pending.erase(0, nl + 1);
        auto ev = DecodeEvent(line);
        if (!ev || ev->time_nano == 0) {
          unparsed += line;
          continue;
        }
        const std::string key = EventKey(ev.value());
        if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
        seen.push_back(key);
        if (!on_event(ev.value())) {
          ended = true;
          return false;
        }
      }
      return true;
    };
    auto resp =
        Send(Call("GET", "GET /events", "/events?since=" + EngineTime(since) + "&until=" + EngineTime(until) + filters)
                 .WithTimeout(window + options_.request_timeout)
                 .WithOnData(on_data));
    if (!resp) return resp.error();
    if (ended || stop.stop_requested()) return Status::Ok();
    if (resp->status != 200) {
      return ApiError("GET /events", resp->status, DecodeErrorMessage(unparsed + pending));
    }
    since = std::max(since, until - kOverlapNs);
    std::erase_if(seen, [since](const std::string& key) { return std::stoll(key) < since; });
  }
  return Status::Ok();
}

}  // namespace ironward::docker
