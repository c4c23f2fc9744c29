// Engine API responses captured from Docker 20.10.24 (API 1.41) on Debian 12, trimmed to the fields
// ironward reads plus a few it must ignore (nulls, extra keys). Shapes as in the container-engine reference.
#pragma once

#include "reconcilers/docker/docker_host.h"
#include "tests/fakes/scripted_http_client.h"

namespace ironward::docker::fixtures {

/// The socket path scripted-HTTP tests pretend to talk to (no engine behind it).
inline const DockerEndpoint kEndpoint{"/run/test/docker.sock"};

/// The engine's answer to GET /_ping, speaking API `api_version`.
inline HttpResponse PingReply(const std::string& api_version) {
  return testing::Reply(200, "OK", {{"Api-Version", api_version}, {"Ostype", "linux"}});
}

inline constexpr const char* kInspectRunning = R"json({
 "Id": "bc8553acfd0d37d2f2f949c4c9bd51ba3cea9f463df6d1528512f2abab5f66ad",
 "Created": "2026-11-23T05:05:46.579897327Z", "Path": "sleep", "Args": ["3600"],
 "State": {"Status": "running", "Running": true, "Paused": false, "Restarting": false, "OOMKilled": false,
  "Dead": false, "Pid": 18232, "ExitCode": 0, "Error": "", "StartedAt": "2026-11-23T05:05:47.517379582Z",
  "FinishedAt": "0001-01-01T00:00:00Z"},
 "Image": "sha256:3a712d18e7ac9ad8d54cd5cf9a64060432e5ee1b02ab01be197ee229b5015f1f",
 "Name": "/sbx-a1", "ExecIDs": null,
 "HostConfig": {"Binds": ["/tmp/ce/ca.crt:/run/ca/ca.crt:ro", "/tmp/ce/ro:/data:ro"], "NetworkMode": "bridge",
  "CapAdd": null, "CapDrop": ["ALL"], "Dns": null, "ExtraHosts": ["host.docker.internal:host-gateway"],
  "Privileged": false, "ReadonlyRootfs": false, "SecurityOpt": ["no-new-privileges:true"], "Memory": 134217728,
  "NanoCpus": 500000000, "CpuQuota": 0, "MemorySwap": 268435456, "PidsLimit": 64, "Ulimits": null, "Init": true},
 "Mounts": [
  {"Type": "bind", "Source": "/tmp/ce/ca.crt", "Destination": "/run/ca/ca.crt", "Mode": "ro", "RW": false,
   "Propagation": "rprivate"},
  {"Type": "bind", "Source": "/tmp/ce/ro", "Destination": "/data", "Mode": "ro", "RW": false,
   "Propagation": "rprivate"}],
 "Config": {"Hostname": "bc8553acfd0d", "User": "", "Tty": false, "OpenStdin": false,
  "Env": ["HTTPS_PROXY=http://host.docker.internal:13128", "SSL_CERT_FILE=/run/ca/ca.crt", "PATH=/bin:/usr/bin"],
  "Cmd": ["sleep", "3600"], "Image": "ironward/test-sandbox:1", "Volumes": null, "WorkingDir": "",
  "Entrypoint": null, "OnBuild": null, "Labels": {"sbx.owner": "suite-42", "sbx.test": "1"}, "StopTimeout": 2},
 "NetworkSettings": {"Bridge": "", "Gateway": "172.29.0.1", "IPAddress": "172.29.0.2",
  "Networks": {"bridge": {"IPAMConfig": null, "Links": null, "Aliases": null,
   "NetworkID": "01f4cb6f2ab8f508a691c079fd00c9dffb0774c556f2543c6c999f950f549778",
   "EndpointID": "1079cf0fc2d6f444eab232caf731c492859a82f6da96595983238073ea024de3",
   "Gateway": "172.29.0.1", "IPAddress": "172.29.0.2", "IPPrefixLen": 24, "MacAddress": "02:42:ac:1d:00:02"}}}
})json";

/// A stopped container created without labels, env or binds: the engine sends nulls.
inline constexpr const char* kInspectExitedNulls = R"json({
 "Id": "566f15e85860", "Name": "/probe1", "Image": "sha256:3a71",
 "State": {"Status": "exited", "Running": false, "OOMKilled": true, "Pid": 0, "ExitCode": 137, "Error": "",
  "StartedAt": "2026-11-23T04:55:42.1Z", "FinishedAt": "2026-11-23T04:55:43.2Z"},
 "HostConfig": {"Binds": null, "CapDrop": null, "SecurityOpt": null, "ExtraHosts": null, "NetworkMode": "default"},
 "Mounts": [], "Config": {"Env": null, "Cmd": null, "Labels": null, "Tty": true, "Image": "x:1"},
 "NetworkSettings": {"Networks": {}}
})json";

inline constexpr const char* kList = R"json([{"Id": "bc8553acfd0d37d2f2f949c4c9bd51ba3cea9f463df6d1528512f2abab5f66ad",
 "Names": ["/sbx-a1"], "Image": "ironward/test-sandbox:1",
 "ImageID": "sha256:3a712d18e7ac9ad8d54cd5cf9a64060432e5ee1b02ab01be197ee229b5015f1f", "Command": "sleep 3600",
 "Created": 1795410346, "Ports": [], "Labels": {"sbx.owner": "suite-42", "sbx.test": "1"}, "State": "running",
 "Status": "Up Less than a second", "HostConfig": {"NetworkMode": "bridge"},
 "NetworkSettings": {"Networks": {"bridge": {"IPAMConfig": null, "Links": null, "Aliases": null,
  "NetworkID": "01f4cb6f2ab8f508a691c079fd00c9dffb0774c556f2543c6c999f950f549778", "Gateway": "172.29.0.1",
  "IPAddress": "172.29.0.2", "IPPrefixLen": 24, "MacAddress": "02:42:ac:1d:00:02", "DriverOpts": null}}},
 "Mounts": [{"Type": "bind", "Source": "/tmp/ce/ro", "Destination": "/data", "Mode": "ro", "RW": false,
  "Propagation": "rprivate"}]},
 {"Id": "aa11", "Names": ["/sbx-b1"], "Image": "ironward/test-sandbox:1", "Command": "sleep 3600",
  "Created": 1795410300, "Labels": {"sbx.test": "1"}, "State": "exited", "Status": "Exited (137) 1 second ago",
  "HostConfig": {"NetworkMode": "sbxnet"}, "NetworkSettings": {"Networks": {"sbxnet": {"NetworkID": "bb22",
  "Gateway": "", "IPAddress": ""}}}, "Mounts": []}])json";

inline constexpr const char* kBridgeNetwork = R"json({"Name": "bridge",
 "Id": "01f4cb6f2ab8f508a691c079fd00c9dffb0774c556f2543c6c999f950f549778", "Created": "2026-11-23T04:55:33.703247897Z",
 "Scope": "local", "Driver": "bridge", "EnableIPv6": false,
 "IPAM": {"Driver": "default", "Options": null, "Config": [{"Subnet": "172.29.0.0/24", "Gateway": "172.29.0.1"}]},
 "Internal": false, "Attachable": false, "Ingress": false, "ConfigFrom": {"Network": ""}, "ConfigOnly": false,
 "Containers": {"bc8553acfd0d37d2f2f949c4c9bd51ba3cea9f463df6d1528512f2abab5f66ad": {"Name": "sbx-a1",
  "EndpointID": "1079cf0f", "MacAddress": "02:42:ac:1d:00:02", "IPv4Address": "172.29.0.2/24", "IPv6Address": ""}},
 "Options": {"com.docker.network.bridge.default_bridge": "true", "com.docker.network.bridge.name": "docker0"},
 "Labels": {}})json";

inline constexpr const char* kInternalNetworkList = R"json([{"Name": "probenet",
 "Id": "b3c22f0a8f4a5e41da902eb8616d024748ad0f68e7cf25e780274537ffb552be", "Created": "2026-11-23T04:55:50.26Z",
 "Scope": "local", "Driver": "bridge", "EnableIPv6": false,
 "IPAM": {"Driver": "default", "Options": null, "Config": [{"Subnet": "172.28.5.0/24", "Gateway": "172.28.5.1"}]},
 "Internal": true, "Attachable": false, "Ingress": false, "ConfigFrom": {"Network": ""}, "ConfigOnly": false,
 "Containers": {}, "Options": {"com.docker.network.bridge.name": "prbbr0"}, "Labels": {"a": "b"}},
 {"Name": "none", "Id": "9f1c", "Scope": "local", "Driver": "null", "IPAM": {"Driver": "default", "Options": null,
  "Config": []}, "Internal": false, "Containers": {}, "Options": {}, "Labels": {}}])json";

inline constexpr const char* kInfo = R"json({"ID": "IIFU:HHS6:U64Z:H4AY:LTHF:NJOS:BHIC:67GR:NN3W:WLGY:SE4P:3NQ7",
 "Containers": 1, "ContainersRunning": 1, "ContainersPaused": 0, "Driver": "overlay2", "CgroupDriver": "cgroupfs",
 "CgroupVersion": "1", "KernelVersion": "6.18.44-fc-v595", "OperatingSystem": "Debian GNU/Linux 12 (bookworm)",
 "Name": "vm", "ServerVersion": "20.10.24+dfsg1", "SecurityOptions": ["name=seccomp,profile=default"],
 "Warnings": null})json";

inline constexpr const char* kDieEvent =
    R"json({"status":"die","id":"85886a44b8ed","from":"ironward/test-sandbox:1","Type":"container","Action":"die",)json"
    R"json("Actor":{"ID":"85886a44b8ed","Attributes":{"exitCode":"137","image":"ironward/test-sandbox:1",)json"
    R"json("name":"sbx-b1","sbx.test":"1"}},"scope":"local","time":1795410950,"timeNano":1795410950123456789})json";

inline constexpr const char* kExecEvent =
    R"json({"status":"exec_create: sh -c id","id":"85886a44b8ed","from":"ironward/test-sandbox:1",)json"
    R"json("Type":"container","Action":"exec_create: sh -c id","Actor":{"ID":"85886a44b8ed","Attributes":)json"
    R"json({"execID":"e1","image":"ironward/test-sandbox:1","name":"sbx-b1"}},"scope":"local","time":1795410951,)json"
    R"json("timeNano":1795410951000000001})json";

inline constexpr const char* kNetworkEvent =
    R"json({"Type":"network","Action":"connect","Actor":{"ID":"b3c22f0a8f4a","Attributes":{"container":"85886a44b8ed",)json"
    R"json("name":"probenet","type":"bridge"}},"scope":"local","time":1795410952,"timeNano":1795410952000000000})json";

}  // namespace ironward::docker::fixtures
