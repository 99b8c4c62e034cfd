// Kanto-CM's container rules, shared by the bridge (SoftwareUpdatable descriptors) and the simulator:
// Create defaults (kanto-cm-grpc.md §4) and validation (§5, §3.3) with Kanto's exact error texts.
#pragma once

#include <cstdint>
#include <string>

#include "kanto_cm_types.hpp"

namespace kanto {

// ^[a-zA-Z0-9_][a-zA-Z0-9_.-]*$
bool valid_container_name(const std::string& name);

// Fills Kanto-CM's defaults in place. `new_id` is used when the container has no id.
void apply_create_defaults(kcm::types::Container& c, const std::string& new_id);

// The first failing rule's message (rows 1-30 in order), or "" when the container is valid.
std::string validate_container(const kcm::types::Container& c);

// Rows 19-21 and 22-28: used by Create (via validate_container) and by Update.
std::string validate_restart_policy(const kcm::types::RestartPolicy& p);
std::string validate_resources(const kcm::types::Resources& r);

// Stop/Remove options after Kanto's defaults (timeout 0 -> default, signal "" -> SIGTERM).
struct stop_plan {
    std::int64_t timeout_seconds = 0;
    int signal = 0;
    std::string signal_name;
    bool force = false;
    std::string error;  // non-empty: the option check that failed
};
stop_plan resolve_stop_options(const kcm::types::StopOptions* options, std::int64_t default_timeout,
                               bool force_without_options);

}  // namespace kanto
