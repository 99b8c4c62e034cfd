// Outbound Ditto envelopes as Kanto's things client writes them (things.md §4.1, §4.3): key order
// topic, headers, path, value; twin commands carry exactly {"response-required":false}.
#pragma once

#include <string>

#include <boost/json/value.hpp>

#include "thing_id.hpp"

namespace twin {

// MQTT topic of twin updates and live outbox messages: e/<tenant>/<thing id>.
std::string event_topic(const std::string& tenant, const thing_id& thing);

// twin/commands/modify of `path` with `value` (which may be null).
std::string twin_modify(const thing_id& thing, const std::string& path, const boost::json::value& value);
// twin/commands/delete of `path` (no value).
std::string twin_delete(const thing_id& thing, const std::string& path);

// What Kanto publishes on edge/thing/request: Go's zero envelope.
inline constexpr const char* identity_request_payload = R"({"topic":"","headers":null,"path":""})";
inline constexpr const char* identity_request_topic = "edge/thing/request";
inline constexpr const char* identity_response_topic = "edge/thing/response";

}  // namespace twin
