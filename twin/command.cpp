#include "command.hpp"

#include <boost/json.hpp>

namespace twin {
namespace json = boost::json;

std::optional<hono_command_topic> parse_command_topic(std::string_view topic) {
    constexpr std::string_view prefix = "command//";
    if (topic.substr(0, prefix.size()) != prefix) return std::nullopt;
    topic.remove_prefix(prefix.size());
    const auto slash = topic.find('/');
    if (slash == 0 || slash == std::string_view::npos) return std::nullopt;
    hono_command_topic out;
    out.device = std::string(topic.substr(0, slash));
    topic.remove_prefix(slash + 1);
    if (topic.substr(0, 4) != "req/") return std::nullopt;
    topic.remove_prefix(4);
    const auto next = topic.find('/');
    if (next == std::string_view::npos) return std::nullopt;
    out.req_id = std::string(topic.substr(0, next));
    out.subject = std::string(topic.substr(next + 1));
    if (out.subject.empty() || out.subject.find('/') != std::string::npos) return std::nullopt;
    return out;
}

bool is_twin_event_route(const hono_command_topic& t) {
    return t.req_id.empty() && (t.subject == "created" || t.subject == "modified" || t.subject == "deleted" ||
                                t.subject == "errors-response");
}

std::string outbox_path(const std::string& feature, const std::string& operation) {
    return "/features/" + feature + "/outbox/messages/" + operation;
}

std::string response_topic(const std::string& thing, const std::string& req_id, int status) {
    return "command//" + thing + "/res/" + req_id + "/" + std::to_string(status);
}

json::value error_value(const error_info& e) {
    return json::object{{"error", e.code}, {"status", e.status}, {"message", e.message}};
}

error_info parameter_invalid(std::string message) {
    return {400, code_parameter_invalid, std::move(message)};
}
error_info subject_not_found(std::string message) {
    return {404, code_subject_not_found, std::move(message)};
}
error_info execution_failed(std::string message) {
    return {500, code_execution_failed, std::move(message)};
}

std::string response_envelope(const std::string& ditto_topic,
                              const std::optional<std::string>& correlation_id, const std::string& path,
                              const std::optional<json::value>& value, int status) {
    json::object headers;  // sorted like Go's map: content-type, correlation-id
    if (value) headers["content-type"] = "application/json";
    if (correlation_id) headers["correlation-id"] = *correlation_id;
    json::object env{{"topic", ditto_topic}, {"headers", std::move(headers)}, {"path", path}};
    if (value) env["value"] = *value;
    env["status"] = status;
    return json::serialize(env);
}

}  // namespace twin
