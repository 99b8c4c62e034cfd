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

// The members of a Ditto envelope the pipeline looks at; null when absent.
struct envelope_fields {
    const json::value* topic = nullptr;
    const json::value* path = nullptr;
    const json::value* correlation_id = nullptr;
    const json::value* response_required = nullptr;
    const json::value* content_type = nullptr;
    const json::value* value = nullptr;
};

envelope_fields fields_of(const json::object& env) {
    envelope_fields f;
    f.topic = env.if_contains("topic");
    f.path = env.if_contains("path");
    f.value = env.if_contains("value");
    const auto* headers_v = env.if_contains("headers");
    if (const auto* headers = headers_v != nullptr ? headers_v->if_object() : nullptr) {
        f.correlation_id = headers->if_contains("correlation-id");
        f.response_required = headers->if_contains("response-required");
        f.content_type = headers->if_contains("content-type");
    }
    return f;
}

bool non_empty_string(const json::value* v) {
    return v != nullptr && v->is_string() && !v->as_string().empty();
}

std::string text_of(const json::value& v) {
    return v.is_string() ? std::string(v.as_string()) : json::serialize(v);
}

// Step 6: what is wrong with the headers, in Kanto's order; empty when nothing is.
std::string header_problem(const envelope_fields& f, bool has_value) {
    const auto* corr = f.correlation_id;
    const auto* ct = f.content_type;
    if (corr == nullptr || (corr->is_string() && corr->as_string().empty()))
        return "correlation id header is missing";
    if (!corr->is_string()) return "correlation id header must be a string";
    if (f.response_required != nullptr && !f.response_required->is_bool()) {
        return "response-required header must be a boolean";
    }
    if (has_value && ct == nullptr) return "missing content type header";
    if (has_value && (!ct->is_string() || ct->as_string() != "application/json")) {
        return "unsupported content type header " + text_of(*ct);
    }
    if (!has_value && ct != nullptr) return "unexpected content type header " + text_of(*ct);
    return {};
}

// Steps 8-9: the feature and operation the path names, or the error to answer.
struct target {
    std::string feature, operation;
    std::optional<error_info> error;
    bool thing_level = false;  // a thing-level path: answered for the registered thing
};

target target_of(const std::string& path, const thing_id& thing, const pipeline_view& view) {
    target t;
    if (match_feature_path(path, t.feature, t.operation)) {
        if (!view.has_feature(t.feature))
            t.error = parameter_invalid("feature [" + t.feature + "] not found ");
        return t;
    }
    t.thing_level = true;
    if (!match_thing_path(path)) {
        t.error = parameter_invalid("missing operation name for device id [" + thing.str() + "]");
    } else {
        t.error = subject_not_found(
            "the target thing ID = " + thing.str() +
            " does not have e registered operations handler - thus, the command will not be processed");
    }
    return t;
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
    auto reject = [&](const error_info& e) {
        reply_error(req, e, req.path, out);
        return std::nullopt;
    };
    if (payload.size() > view.max_payload) {  // refused unparsed
        return reject({413, code_payload_too_large,
                       "the message of " + std::to_string(payload.size()) + " bytes exceeds the limit of " +
                           std::to_string(view.max_payload) + " bytes for device id [" + hono + "]"});
    }
    // 3: a JSON envelope. What can be read of it is used for the answer, even when it is invalid
    // (the original crashes on such input, B1).
    boost::system::error_code ec;
    const auto parsed = json::parse(payload, ec);
    if (ec || !parsed.is_object()) {
        return reject(parameter_invalid("error parsing Ditto message received for device id [" + hono + "]"));
    }
    const auto f = fields_of(parsed.as_object());
    if (non_empty_string(f.topic)) req.ditto_topic = f.topic->as_string().c_str();
    if (non_empty_string(f.path)) req.path = f.path->as_string().c_str();
    if (f.correlation_id != nullptr && f.correlation_id->is_string()) {
        req.correlation_id = std::string(f.correlation_id->as_string());
    }
    // One-way unless a request id is given and response-required is true (Q1); a header of the wrong
    // type is answered (the original panics on it, B2).
    const auto* rr = f.response_required;
    req.one_way = t.req_id.empty() || rr == nullptr || (rr->is_bool() && !rr->as_bool());

    // 4-5: topic and path present, the topic has at least three segments.
    if (!non_empty_string(f.topic) || !non_empty_string(f.path)) {
        return reject(parameter_invalid("invalid Ditto message received for device id [" + hono + "]"));
    }
    const auto segments = split(req.ditto_topic, '/');
    if (segments.size() < 3) {
        return reject(parameter_invalid("invalid Ditto message topic received for device id [" + hono + "]"));
    }
    // 6: headers.
    const bool has_value = f.value != nullptr && !f.value->is_null();
    if (auto reason = header_problem(f, has_value); !reason.empty()) {
        return reject(
            parameter_invalid("invalid Ditto message received for device id [" + hono + "]: " + reason));
    }
    // 7: the thing named by the Ditto topic is ours.
    if (view.thing == nullptr || !view.accepting || segments[0] + ":" + segments[1] != view.thing->str()) {
        return reject(subject_not_found("thing with ID = " + hono + " is not found"));
    }
    // 8-9: a feature we have, or a thing-level operation (which the containers thing has none of).
    auto target = target_of(req.path, *view.thing, view);
    if (target.thing_level) req.reply_thing = view.thing->str();
    if (target.error) return reject(*target.error);
    // 10: the feature's handler.
    req.reply_thing = view.thing->str();
    req.feature = std::move(target.feature);
    req.operation = std::move(target.operation);
    if (has_value) req.value = *f.value;
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
