// Kanto-CM's gRPC services (stubs and service bases) on top of the messages. Only adapters, the
// simulator and tests include this.
#pragma once

#include "api/services/containers/containers.grpc.pb.h"
#include "api/services/sysinfo/system_info.grpc.pb.h"
#include "kanto_cm_types.hpp"
