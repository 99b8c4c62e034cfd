// A Kanto-CM operation as plain values, for every service: the request (a protobuf message) and
// its result. The gRPC client adapter executes them; cores never see gRPC.
#pragma once

#include <optional>
#include <string>
#include <variant>

#include "kanto_cm_types.hpp"

namespace kanto {

using request = std::variant<
    kcm::svc::CreateContainerRequest, kcm::svc::StartContainerRequest, kcm::svc::StopContainerRequest,
    kcm::svc::PauseContainerRequest, kcm::svc::UnpauseContainerRequest, kcm::svc::RenameContainerRequest,
    kcm::svc::RemoveContainerRequest, kcm::svc::UpdateContainerRequest, kcm::svc::GetContainerRequest>;

struct result {
    bool ok = true;
    std::string error;                               // Kanto-CM's text when !ok
    std::optional<kcm::types::Container> container;  // of a Create, or of a Get (unset: unknown id)
};

// What a call, operation or update in flight ends with when the bridge stops (SIGTERM).
inline constexpr const char* interrupted_by_stop = "the bridge is stopping: the operation was interrupted";

}  // namespace kanto
