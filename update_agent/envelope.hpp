// The update agent's message envelope, {"activityId", "timestamp", "payload"}, on every topic.
// Inbound it is decoded the way Go's encoding/json decodes it (keys case-insensitive, unknown keys
// ignored, a missing activityId is ""); outbound the three keys come in that order.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace update_agent {

struct inbound_envelope {
    std::string activity_id;
    std::int64_t timestamp = 0;
    boost::json::value payload;  // null when absent
};

// "" or why the message is dropped (not JSON, or a JSON type that Go's decoder refuses).
std::string decode_envelope(std::string_view text, inbound_envelope& out);

std::string encode_envelope(const std::string& activity_id, std::int64_t timestamp_ms,
                            boost::json::object payload);

}  // namespace update_agent
