// The limit for a registration burst: a plain Paho C async client that publishes a list of messages
// at QoS 1 with the same in-flight window as the bridge, sending the next one from Paho's own
// success callback. No queue, no loop, no JSON: what the broker and Paho allow.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "mqtt_client.hpp"

namespace bench {

struct plain_result {
    std::chrono::steady_clock::time_point started, acked;  // first send, last PUBACK
    bool ok = false;
};

// Connects to `url`, publishes `messages` (topic + payload of each), waits for every PUBACK.
plain_result plain_publish(const std::string& url, const std::vector<harness::mqtt_message>& messages,
                           int window);

}  // namespace bench
