// Kanto-CM's restart-policy decision and back-off (kanto-cm-grpc.md §7).
#pragma once

#include <chrono>
#include <cstdint>

#include "kanto_cm_types.hpp"

namespace sim {

// Whether a container whose process just ended should be restarted. `manual_stop` is true after a
// Stop RPC; `restart_count` is the container's count so far.
bool should_restart(const kcm::types::RestartPolicy& policy, std::int64_t exit_code, bool manual_stop,
                    std::int64_t restart_count);

// The next back-off delay: 100 ms first (and after a run of >= 10 s), then doubling, capped at
// retry_timeout seconds (or 60 s when it is 0).
std::chrono::milliseconds next_backoff(std::chrono::milliseconds previous, std::chrono::milliseconds ran_for,
                                       std::int64_t retry_timeout_seconds);

}  // namespace sim
