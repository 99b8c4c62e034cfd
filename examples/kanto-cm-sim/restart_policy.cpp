#include "restart_policy.hpp"

#include <algorithm>

namespace sim {

bool should_restart(const kcm::types::RestartPolicy& policy, std::int64_t exit_code, bool manual_stop,
                    std::int64_t restart_count) {
    const auto& type = policy.type();
    if (type == "always") return true;
    if (type == "unless-stopped") return !manual_stop;
    if (type == "on-failure") {
        return exit_code != 0 &&
               (policy.maximum_retry_count() == 0 || restart_count < policy.maximum_retry_count());
    }
    return false;  // "no", or a policy Kanto would have rejected
}

std::chrono::milliseconds next_backoff(std::chrono::milliseconds previous, std::chrono::milliseconds ran_for,
                                       std::int64_t retry_timeout_seconds) {
    using namespace std::chrono;
    const milliseconds first{100};
    const milliseconds cap =
        retry_timeout_seconds > 0 ? milliseconds(seconds(retry_timeout_seconds)) : milliseconds(seconds(60));
    if (previous.count() == 0 || ran_for >= seconds(10)) return std::min(first, cap);
    return std::min(previous * 2, cap);
}

}  // namespace sim
