// Short names for the generated Kanto-CM API (protoc maps the long Go packages to nested namespaces).
#pragma once

#include "api/services/containers/containers.grpc.pb.h"
#include "api/services/sysinfo/system_info.grpc.pb.h"

namespace kcm {
namespace types = github::com::eclipse_kanto::container_management::containerm::api::types::containers;
namespace svc = github::com::eclipse_kanto::container_management::containerm::api::services::containers;
namespace sysinfo = github::com::eclipse_kanto::container_management::containerm::api::services::sysinfo;
namespace sysinfo_types = github::com::eclipse_kanto::container_management::containerm::api::types::sysinfo;
}  // namespace kcm
