// What the update agent core asks its host to do. Plain values; executed in order.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "calls.hpp"
#include "log_line.hpp"

namespace update_agent {

using log_level = kanto::log_level;
using log = kanto::log_line;

// An MQTT publish at QoS 1 (feedback not retained, the current state retained).
struct publish {
    std::string topic;
    std::string payload;
    bool retain = false;
};
// gRPC List; answer with agent::on_listed(tag, ...).
struct list_containers {
    explicit list_containers(std::uint64_t t) : tag(t) {}  // emplaced into the variant by every compiler
    std::uint64_t tag;
};
// A Kanto-CM call (Create, Start, Stop, Update, Remove, Unpause, Get); answer with
// agent::on_kanto_done(call, ...).
struct call_kanto {
    std::uint64_t call;
    kanto::request request;
};

using action = std::variant<log, publish, list_containers, call_kanto>;
using actions = std::vector<action>;

}  // namespace update_agent
