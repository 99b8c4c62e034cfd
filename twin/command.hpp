// Inbound cloud commands (things.md §3.3, §4.5-§4.7): the Hono topic grammar and the response and
// error envelopes, in Kanto's key order (topic, headers, path, value, status).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

namespace twin {

inline constexpr const char* code_parameter_invalid = "messages:parameter.invalid";  // 400
inline constexpr const char* code_subject_not_found = "messages:subject.notfound";   // 404
inline constexpr const char* code_execution_failed = "messages:execution.failed";    // 500
inline constexpr const char* code_payload_too_large = "messages:payload.toolarge";   // 413 (ours)

// command//<device>/req/<reqId>/<subject>: reqId may be empty, subject must not contain '/'.
struct hono_command_topic {
    std::string device;  // as in the topic
    std::string req_id;
    std::string subject;
};
std::optional<hono_command_topic> parse_command_topic(std::string_view topic);

// Twin events the cloud pushes inside the same subscription: command//<thing>/req//<action> with
// action created|modified|deleted|errors-response (things.md §5.1).
bool is_twin_event_route(const hono_command_topic& t);

// /features/<feature>/outbox/messages/<operation>: the path of handler results (things.md §4.6)
std::string outbox_path(const std::string& feature, const std::string& operation);

// command//<thing>/res/<reqId>/<status>
std::string response_topic(const std::string& thing, const std::string& req_id, int status);

struct error_info {
    int status;
    std::string code;
    std::string message;
};
boost::json::value error_value(const error_info& e);
error_info parameter_invalid(std::string message);
error_info subject_not_found(std::string message);
error_info execution_failed(std::string message);

// A response envelope. content-type application/json is set whenever a value is present.
std::string response_envelope(const std::string& ditto_topic,
                              const std::optional<std::string>& correlation_id, const std::string& path,
                              const std::optional<boost::json::value>& value, int status);

}  // namespace twin
