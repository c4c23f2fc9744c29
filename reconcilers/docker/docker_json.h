// JSON encoding of request bodies and decoding of Engine API responses (nlohmann_json inside;
// exceptions never leave these functions). Decoders tolerate null/missing fields.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "reconcilers/docker/docker_types.h"
#include "state/result.h"

namespace ironward::docker {

std::string EncodeCreateSpec(const ContainerCreateSpec& spec);
std::string EncodeNetworkCreate(const NetworkCreateSpec& spec);
/// `{"label":["k=v"]}` (values are always arrays; a bare string makes the engine answer 500).
std::string EncodeFilters(const Filters& filters);

Result<std::vector<ContainerSummary>> DecodeContainerList(std::string_view body);
Result<ContainerInfo> DecodeContainerInfo(std::string_view body);
Result<CreateResult> DecodeCreateResult(std::string_view body);
Result<std::vector<NetworkInfo>> DecodeNetworkList(std::string_view body);
Result<NetworkInfo> DecodeNetwork(std::string_view body);
Result<std::string> DecodeNetworkCreateId(std::string_view body);
Result<EngineInfo> DecodeInfo(std::string_view body);
Result<WaitResult> DecodeWaitResult(std::string_view body);
/// One line of the events stream.
Result<Event> DecodeEvent(std::string_view line);
/// The engine's `{"message": ...}` error text, or the (trimmed) body itself.
std::string DecodeErrorMessage(std::string_view body);

}  // namespace ironward::docker
