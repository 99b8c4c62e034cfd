// Settings of the twin core, taken from Kanto's config.json by the bridge.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace twin {

struct core_config {
    std::vector<std::string> features{"ContainerFactory", "SoftwareUpdatable", "Metrics"};
    std::string home_dir = "/var/lib/container-management";  // things.home_dir
    std::chrono::milliseconds poll_interval{1000};
    std::chrono::milliseconds max_backoff{30000};  // cap of the retry delay while Kanto-CM is unreachable
    std::size_t list_threshold = 16;               // more changed ids than this: one List, not many Gets
    std::size_t max_payload = 256 * 1024;          // inbound command payloads above this get a 413
    bool watch_other_publishers = true;            // echo_watch: our own messages come back to us
};

}  // namespace twin
