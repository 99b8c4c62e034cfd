// Short names for Kanto-CM's protobuf messages (protoc maps the long Go packages to nested
// namespaces). Messages only: cores include this, never the gRPC service stubs.
#pragma once

#include "api/services/containers/containers.pb.h"
#include "api/services/sysinfo/system_info.pb.h"

namespace kcm {
namespace types = github::com::eclipse_kanto::container_management::containerm::api::types::containers;
namespace svc = github::com::eclipse_kanto::container_management::containerm::api::services::containers;
namespace sysinfo = github::com::eclipse_kanto::container_management::containerm::api::services::sysinfo;
namespace sysinfo_types = github::com::eclipse_kanto::container_management::containerm::api::types::sysinfo;
}  // namespace kcm
