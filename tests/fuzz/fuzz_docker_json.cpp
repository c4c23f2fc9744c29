// Fuzzes the Docker Engine API JSON decoders (reconcilers/docker/docker_json.h) with one body fed
// to every decoder. Properties: no crash, no exception escapes, no undefined behaviour on hostile
// numbers or types; a body that is not JSON is an error for every decoder; the error-message
// decoder always returns something printable-length-bounded; and encode/decode agree: the fields
// of an inspected container, sent through EncodeCreateSpec and decoded again as an inspect body,
// come back unchanged (likewise labels through EncodeFilters).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fuzz_check.h"
#include "reconcilers/docker/docker_json.h"

namespace {

namespace docker = ironward::docker;
using nlohmann::json;

void CheckCreateRoundTrip(const docker::ContainerInfo& info) {
  docker::ContainerCreateSpec spec;
  spec.image = info.config.image;
  spec.cmd = info.config.cmd;
  spec.env = info.config.env;
  spec.labels = info.config.labels;
  spec.host.binds = info.host_config.binds;
  spec.host.extra_hosts = info.host_config.extra_hosts;
  spec.host.init = info.host_config.init;
  spec.host.memory = info.host_config.memory;
  spec.host.nano_cpus = info.host_config.nano_cpus;
  spec.host.pids_limit = info.host_config.pids_limit;
  spec.host.cap_drop = info.host_config.cap_drop;
  spec.host.cap_add = info.host_config.cap_add;
  spec.host.security_opt = info.host_config.security_opt;
  spec.host.network_mode = info.host_config.network_mode;
  spec.host.readonly_rootfs = info.host_config.readonly_rootfs;

  const json body = json::parse(docker::EncodeCreateSpec(spec));  // must be JSON; throws otherwise
  FUZZ_CHECK(body.at("HostConfig").at("Privileged") == false, "a create body is never privileged");
  json inspect = {{"Id", info.id}, {"Name", "/" + info.name}, {"HostConfig", body.at("HostConfig")}};
  inspect["Config"] = {{"Image", body.at("Image")}, {"Env", body.at("Env")}, {"Labels", body.at("Labels")}};
  if (body.contains("Cmd")) inspect["Config"]["Cmd"] = body.at("Cmd");

  auto back = docker::DecodeContainerInfo(inspect.dump());
  FUZZ_CHECK(back.ok(), "an encoded create body decodes as an inspect body");
  const auto& c = back->config;
  const auto& h = back->host_config;
  FUZZ_CHECK(c.image == info.config.image && c.cmd == info.config.cmd && c.env == info.config.env &&
                 c.labels == info.config.labels,
             "Config survives encode/decode");
  FUZZ_CHECK(h.binds == info.host_config.binds && h.extra_hosts == info.host_config.extra_hosts &&
                 h.init == info.host_config.init && h.memory == info.host_config.memory &&
                 h.nano_cpus == info.host_config.nano_cpus && h.cap_drop == info.host_config.cap_drop &&
                 h.cap_add == info.host_config.cap_add && h.security_opt == info.host_config.security_opt &&
                 h.network_mode == info.host_config.network_mode &&
                 h.readonly_rootfs == info.host_config.readonly_rootfs,
             "HostConfig survives encode/decode");
  if (info.host_config.pids_limit > 0) FUZZ_CHECK(h.pids_limit == info.host_config.pids_limit, "PidsLimit survives");

  docker::Filters filters;
  for (const auto& [k, v] : info.config.labels) filters["label"].push_back(k + "=" + v);
  const json f = json::parse(docker::EncodeFilters(filters));
  if (!filters.empty()) {
    FUZZ_CHECK(f.at("label").is_array() && f.at("label").size() == info.config.labels.size(),
               "filter values are always arrays, one per label");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const bool is_json = json::accept(body);

  auto list = docker::DecodeContainerList(body);
  auto info = docker::DecodeContainerInfo(body);
  auto created = docker::DecodeCreateResult(body);
  auto networks = docker::DecodeNetworkList(body);
  auto network = docker::DecodeNetwork(body);
  auto network_id = docker::DecodeNetworkCreateId(body);
  auto engine = docker::DecodeInfo(body);
  auto wait = docker::DecodeWaitResult(body);
  auto event = docker::DecodeEvent(body);
  if (!is_json) {
    FUZZ_CHECK(!list.ok() && !info.ok() && !created.ok() && !networks.ok() && !network.ok() && !engine.ok() &&
                   !wait.ok() && !event.ok(),
               "a body that is not JSON never decodes");
  }
  const std::string message = docker::DecodeErrorMessage(body);
  FUZZ_CHECK(!message.empty(), "an error message is never empty");
  if (!is_json) FUZZ_CHECK(message.size() <= 512 || message == "(empty response)", "raw error text is capped");

  if (info.ok()) CheckCreateRoundTrip(*info);
  if (list.ok()) {
    for (const auto& s : *list) FUZZ_CHECK(s.names.empty() || s.name == s.names.front(), "name is the first name");
  }
  return 0;
}
