// Typed models of the Docker Engine API objects ironward reads and writes (API 1.41+).
// Only the fields the controller uses; names follow the Engine API JSON.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ironward::docker {

using Labels = std::map<std::string, std::string>;
/// Engine API filters: {"label": ["k=v", "k"], "status": ["exited"], "type": ["container"], ...}.
using Filters = std::map<std::string, std::vector<std::string>>;

/// What a state-changing call found. 304 answers (start of a running container, stop of a stopped
/// one) are kUnchanged; a 404 for the target object is kNotFound (never an Error).
enum class Outcome { kChanged, kUnchanged, kNotFound };
const char* OutcomeName(Outcome o);

struct PingInfo {
  std::string server_api_version;  ///< `Api-Version` header of /_ping, e.g. "1.41"
  std::string api_version;         ///< the version this client uses: min(ours, server's)
  std::string os_type;             ///< `Ostype` header
};

struct EndpointInfo {  ///< NetworkSettings.Networks.<name>
  std::string network_id;
  std::string ip_address;
  std::string gateway;
  std::string mac_address;
};

struct ContainerSummary {  ///< one entry of GET /containers/json
  std::string id;
  std::string name;  ///< first of Names, without the leading '/'
  std::vector<std::string> names;
  std::string image;
  std::string image_id;
  std::string command;
  std::int64_t created = 0;  ///< unix seconds
  Labels labels;
  std::string state;   ///< "running", "exited", "created", ...
  std::string status;  ///< "Up 3 seconds", "Exited (137) 1 second ago"
  std::string network_mode;
  std::map<std::string, EndpointInfo> networks;
};

/// One published port: container_port/protocol on host_ip:host_port.
struct PortBinding {
  std::uint16_t container_port = 0;
  std::string protocol = "tcp";
  std::string host_ip;
  std::uint16_t host_port = 0;
  auto operator<=>(const PortBinding&) const = default;  ///< by container port, protocol, host address, port
};

/// Config.Healthcheck (durations in nanoseconds, as the Engine API has them).
struct HealthConfig {
  std::vector<std::string> test;  ///< ["CMD", program, args...]
  std::int64_t interval_ns = 0;
  std::int64_t timeout_ns = 0;
  std::int64_t retries = 0;
  bool operator==(const HealthConfig&) const = default;
};

struct ContainerState {
  std::string status;  ///< "created", "running", "exited", ...
  bool running = false;
  bool oom_killed = false;
  std::int64_t exit_code = 0;
  std::int64_t pid = 0;
  std::string error;
  std::string started_at;
  std::string finished_at;
  std::string health;  ///< State.Health.Status: "starting", "healthy", "unhealthy"; "" without a healthcheck
};

struct ContainerConfig {  ///< Config of an inspected container
  std::string image;      ///< the name it was created from
  std::vector<std::string> cmd;
  std::vector<std::string> env;  ///< includes the image's ENV (appended by the engine)
  Labels labels;
  bool tty = false;
  std::string user;  ///< "" = the image's
  std::optional<HealthConfig> healthcheck;
};

struct HostConfig {  ///< HostConfig of an inspected container
  std::vector<std::string> binds;
  std::int64_t memory = 0;
  std::int64_t nano_cpus = 0;
  std::int64_t pids_limit = 0;  ///< 0 or -1 = unlimited
  std::vector<std::string> cap_drop;
  std::vector<std::string> cap_add;
  std::vector<std::string> security_opt;
  bool init = false;
  bool privileged = false;
  std::string network_mode;
  std::vector<std::string> extra_hosts;  ///< as given ("host.docker.internal:host-gateway")
  std::vector<std::string> dns;          ///< HostConfig.Dns (resolvers; [] = the engine's default)
  bool readonly_rootfs = false;
  std::vector<PortBinding> port_bindings;  ///< HostConfig.PortBindings, sorted
  std::string restart_policy;              ///< RestartPolicy.Name ("" or "no" = none)
};

struct MountPoint {  ///< Mounts[] (order can differ from Binds)
  std::string type;  ///< "bind", "volume", ...
  std::string source;
  std::string destination;
  std::string mode;
  bool rw = true;
};

struct ContainerInfo {  ///< GET /containers/{id}/json
  std::string id;
  std::string name;   ///< without the leading '/'
  std::string image;  ///< image ID (sha256:...)
  std::string created;
  ContainerConfig config;
  ContainerState state;
  HostConfig host_config;
  std::vector<MountPoint> mounts;
  std::map<std::string, EndpointInfo> networks;

  /// Value of KEY in Config.Env, if set.
  std::optional<std::string> EnvValue(const std::string& key) const;
};

/// Body of POST /containers/create. Privileged is always sent as false.
struct ContainerCreateSpec {
  std::string image;
  std::vector<std::string> cmd;  ///< empty = the image's CMD
  std::vector<std::string> env;  ///< "K=V"
  Labels labels;
  std::optional<int> stop_timeout;  ///< seconds
  std::string user;                 ///< empty = the image's user
  std::string working_dir;
  std::vector<PortBinding> ports;    ///< published (ExposedPorts + HostConfig.PortBindings)
  std::string restart_policy;        ///< "" = omitted (none), "no", "always", "on-failure"
  std::optional<HealthConfig> healthcheck;
  struct Host {
    std::vector<std::string> binds;        ///< "src:dst[:ro]"
    std::vector<std::string> extra_hosts;  ///< "name:ip" or "name:host-gateway"
    std::vector<std::string> dns;          ///< resolvers (HostConfig.Dns); [] = omitted
    bool init = true;
    std::int64_t memory = 0;      ///< bytes, 0 = unlimited
    std::int64_t nano_cpus = 0;   ///< 1e9 = one CPU, 0 = unlimited
    std::int64_t pids_limit = 0;  ///< 0 = unlimited (omitted)
    std::vector<std::string> cap_drop;
    std::vector<std::string> cap_add;
    std::vector<std::string> security_opt;  ///< e.g. "no-new-privileges:true"
    std::string network_mode;               ///< "bridge", a network name, "none"
    bool readonly_rootfs = false;
  } host;
};

struct CreateResult {
  std::string id;
  std::vector<std::string> warnings;
};

/// Body of POST /networks/create (bridge driver).
struct NetworkCreateSpec {
  std::string name;
  bool internal = false;
  std::string subnet;       ///< "172.28.0.0/24"; empty = engine picks
  std::string gateway;      ///< "172.28.0.1"
  std::string bridge_name;  ///< Options["com.docker.network.bridge.name"]; empty = br-<id>
  Labels labels;
};

struct NetworkInfo {  ///< GET /networks and /networks/{id}
  std::string id;
  std::string name;
  std::string driver;
  std::string scope;
  bool internal = false;
  Labels labels;
  std::map<std::string, std::string> options;
  std::string subnet;   ///< IPAM.Config[0].Subnet
  std::string gateway;  ///< IPAM.Config[0].Gateway ("" for the default bridge without --bip)
  struct Attached {
    std::string name;
    std::string ipv4_address;  ///< "172.28.0.2/24"
  };
  std::map<std::string, Attached> containers;  ///< container id → endpoint (inspect only)
};

struct EngineInfo {  ///< GET /info
  std::string id;
  std::string name;
  std::string server_version;
  std::string operating_system;
  std::string kernel_version;
  std::string cgroup_driver;
  std::string cgroup_version;
  std::string storage_driver;
  std::vector<std::string> security_options;  ///< "name=seccomp,profile=default", ...
  std::int64_t containers = 0;
  std::int64_t containers_running = 0;

  /// Whether SecurityOptions lists seccomp (any profile).
  bool SeccompEnabled() const;
};

struct Event {         ///< one object of GET /events
  std::string type;    ///< "container", "network", ...
  std::string action;  ///< "start", "die", "exec_create: sh -c ...", ...
  std::string actor_id;
  std::map<std::string, std::string> attributes;  ///< name, image, exitCode, signal, labels...
  std::string from;
  std::string scope;
  std::int64_t time = 0;
  std::int64_t time_nano = 0;
};

struct WaitResult {
  std::int64_t status_code = 0;
  std::string error;
};

struct LogsOptions {
  bool stdout_stream = true;
  bool stderr_stream = true;
  bool timestamps = false;
  std::optional<int> tail;  ///< last N lines; unset = all
};

struct LogOutput {
  std::string out;  ///< stdout (everything, for a TTY container)
  std::string err;  ///< stderr
};

struct EventsQuery {
  Filters filters;
  /// Replay from this wall time (engine keeps the last 256 events); unset = only new events.
  std::optional<std::chrono::system_clock::time_point> since;
  /// The stream is read in windows of this length (the engine has no keepalive), which bounds how
  /// long a stop request can take to be noticed. Windows overlap slightly; duplicates are dropped.
  std::chrono::milliseconds window{1000};
};

}  // namespace ironward::docker
