#include "command_pipeline.hpp"

#include <boost/json.hpp>

#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC bug 107138, see thing_model.cpp
#endif

namespace twin {
namespace json = boost::json;
namespace {

const char* const fallback_topic = "unknown/unknown/things/twin/errors";  // when the request has none

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (;;) {
        const auto pos = s.find(sep, start);
        out.push_back(s.substr(start, pos - start));
        if (pos == std::string::npos) return out;
        start = pos + 1;
    }
}

// ^/features/([^/]+)/inbox/messages/([^/]+)$ and ^/inbox/messages/([^/]+)$
bool match_feature_path(const std::string& path, std::string& feature, std::string& op) {
    const auto parts = split(path, '/');
    if (parts.size() != 6 || !parts[0].empty() || parts[1] != "features" || parts[3] != "inbox" ||
        parts[4] != "messages" || parts[2].empty() || parts[5].empty()) {
        return false;
    }
    feature = parts[2];
    op = parts[5];
    return true;
}

bool match_thing_path(const std::string& path) {
    const auto parts = split(path, '/');
    return parts.size() == 4 && parts[0].empty() && parts[1] == "inbox" && parts[2] == "messages" &&
           !parts[3].empty();
}

}  // namespace

std::optional<command_request> validate_command(const hono_command_topic& t, const std::string& payload,
                                                const pipeline_view& view, actions& out) {
    const std::string hono = parse_namespaced_id(t.device).str();
    command_request req;
    req.reply_thing = hono;
    req.req_id = t.req_id;
    req.ditto_topic = fallback_topic;
    req.path = "/";
    req.one_way = t.req_id.empty();
    auto reject = [&](const error_info& e) { reply_error(req, e, req.path, out); };

    if (payload.size() > view.max_payload) {  // refused unparsed
        reject({413, code_payload_too_large,
                "the message of " + std::to_string(payload.size()) + " bytes exceeds the limit of " +
                    std::to_string(view.max_payload) + " bytes for device id [" + hono + "]"});
        return std::nullopt;
    }
    // 3: a JSON envelope. What can be read of it is used for the answer, even when it is invalid
    // (the original crashes on such input, B1).
    boost::system::error_code ec;
    const auto parsed = json::parse(payload, ec);
    if (ec || !parsed.is_object()) {
        reject(parameter_invalid("error parsing Ditto message received for device id [" + hono + "]"));
        return std::nullopt;
    }
    const auto& env = parsed.as_object();
    const auto* topic_v = env.if_contains("topic");
    const auto* path_v = env.if_contains("path");
    const auto* headers_v = env.if_contains("headers");
    const json::object* headers = headers_v != nullptr ? headers_v->if_object() : nullptr;
    if (topic_v != nullptr && topic_v->is_string() && !topic_v->as_string().empty())
        req.ditto_topic = topic_v->as_string().c_str();
    if (path_v != nullptr && path_v->is_string() && !path_v->as_string().empty())
        req.path = path_v->as_string().c_str();
    const json::value* corr = headers != nullptr ? headers->if_contains("correlation-id") : nullptr;
    const json::value* rr = headers != nullptr ? headers->if_contains("response-required") : nullptr;
    const json::value* ct = headers != nullptr ? headers->if_contains("content-type") : nullptr;
    if (corr != nullptr && corr->is_string()) req.correlation_id = std::string(corr->as_string());
    // One-way unless a request id is given and response-required is true (Q1); a header of the wrong
    // type is answered (the original panics on it, B2).
    req.one_way = t.req_id.empty() || (rr == nullptr || (rr->is_bool() && !rr->as_bool()));

    // 4-5: topic and path present, the topic has at least three segments.
    if (topic_v == nullptr || !topic_v->is_string() || topic_v->as_string().empty() || path_v == nullptr ||
        !path_v->is_string() || path_v->as_string().empty()) {
        reject(parameter_invalid("invalid Ditto message received for device id [" + hono + "]"));
        return std::nullopt;
    }
    const auto segments = split(req.ditto_topic, '/');
    if (segments.size() < 3) {
        reject(parameter_invalid("invalid Ditto message topic received for device id [" + hono + "]"));
        return std::nullopt;
    }
    // 6: headers.
    const json::value* value = env.if_contains("value");
    const bool has_value = value != nullptr && !value->is_null();
    std::string reason;
    if (corr == nullptr || (corr->is_string() && corr->as_string().empty())) {
        reason = "correlation id header is missing";
    } else if (!corr->is_string()) {
        reason = "correlation id header must be a string";
    } else if (rr != nullptr && !rr->is_bool()) {
        reason = "response-required header must be a boolean";
    } else if (has_value && ct == nullptr) {
        reason = "missing content type header";
    } else if (has_value && (!ct->is_string() || ct->as_string() != "application/json")) {
        reason = "unsupported content type header " +
                 (ct->is_string() ? std::string(ct->as_string()) : json::serialize(*ct));
    } else if (!has_value && ct != nullptr) {
        reason = "unexpected content type header " +
                 (ct->is_string() ? std::string(ct->as_string()) : json::serialize(*ct));
    }
    if (!reason.empty()) {
        reject(parameter_invalid("invalid Ditto message received for device id [" + hono + "]: " + reason));
        return std::nullopt;
    }
    // 7: the thing named by the Ditto topic is ours.
    if (view.thing == nullptr || !view.accepting || segments[0] + ":" + segments[1] != view.thing->str()) {
        reject(subject_not_found("thing with ID = " + hono + " is not found"));
        return std::nullopt;
    }
    // 8-9: a feature we have, or a thing-level operation (which the containers thing has none of).
    std::string feature, op;
    if (match_feature_path(req.path, feature, op)) {
        if (!view.has_feature(feature)) {
            reject(parameter_invalid("feature [" + feature + "] not found "));
            return std::nullopt;
        }
    } else {
        req.reply_thing = view.thing->str();
        if (!match_thing_path(req.path)) {
            reject(parameter_invalid("missing operation name for device id [" + view.thing->str() + "]"));
        } else {
            reject(subject_not_found(
                "the target thing ID = " + view.thing->str() +
                " does not have e registered operations handler - thus, the command will not be processed"));
        }
        return std::nullopt;
    }
    // 10: the feature's handler.
    req.reply_thing = view.thing->str();
    req.feature = feature;
    req.operation = op;
    if (has_value) req.value = *value;
    return req;
}

twin_event read_twin_event(const hono_command_topic& t, const std::string& payload, const thing_id* thing,
                           actions& out) {
    boost::system::error_code ec;
    const auto parsed = json::parse(payload, ec);
    if (ec || !parsed.is_object()) {
        out.push_back(
            log{log_level::warn, "ignoring a twin event on " + t.subject + ": not a Ditto envelope"});
        return twin_event::none;
    }
    const auto& env = parsed.as_object();
    if (t.subject == "errors-response") {
        const auto& v = env.contains("value") ? env.at("value") : parsed;
        out.push_back(log{log_level::info, "twin error from the cloud: " + json::serialize(v)});
        return twin_event::none;
    }
    const auto* topic = env.if_contains("topic");
    const auto* path = env.if_contains("path");
    if (topic == nullptr || !topic->is_string() || path == nullptr || !path->is_string() ||
        thing == nullptr) {
        return twin_event::none;
    }
    const auto segments = split(std::string(topic->as_string()), '/');
    if (segments.size() < 2 || segments[0] + ":" + segments[1] != thing->str()) return twin_event::none;
    if (path->as_string() == "/" && t.subject == "deleted") return twin_event::thing_deleted;
    if (path->as_string() == "/" && t.subject == "created") return twin_event::thing_created;
    out.push_back(log{log_level::debug, "twin event " + t.subject + " " + std::string(path->as_string())});
    return twin_event::none;
}

}  // namespace twin
