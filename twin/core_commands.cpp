// Cloud commands in the core: the validation pipeline of things.md §5 in its exact order, twin-event
// routes (§5.1), dispatch to the feature operations (§7) and the answers (§4.6, §4.7).
#include <boost/json.hpp>

#include "core.hpp"
#include "features.hpp"
#include "operation_args.hpp"

#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC bug 107138, see core.cpp
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
    return parts.size() == 4 && parts[0].empty() && parts[1] == "inbox" && parts[2] == "messages" && !parts[3].empty();
}

}  // namespace

void core::subscribe_commands(actions& out) {
    const auto filter = "command//" + thing_->str() + "/req/#";
    if (filter == command_filter_) return;  // a policy change keeps the subscription
    if (!command_filter_.empty()) out.push_back(unsubscribe{command_filter_});
    command_filter_ = filter;
    out.push_back(subscribe{filter, 1});
}

bool core::feature_exists(const std::string& feature) const {
    if (!registered_) return false;
    if (feature == features::container_factory || feature == features::software_updatable || feature == features::metrics) {
        return enabled(feature);
    }
    if (feature.rfind(features::container_prefix, 0) == 0 && enabled(features::container_factory)) {
        return known_.count(feature.substr(features::container_prefix.size())) != 0;
    }
    return false;
}

void core::reply(const command_request& req, int status, const std::optional<json::value>& value, actions& out) {
    if (req.one_way) return;  // executed, only not answered (Q1)
    out.push_back(publish{response_topic(req.reply_thing, req.req_id, status),
                          response_envelope(req.ditto_topic, req.correlation_id, req.path, value, status)});
}

void core::reply_error(const command_request& req, const error_info& e, const std::string& path, actions& out) {
    say(out, log_level::info, "command " + req.path + " (" + req.req_id + "): " + std::to_string(e.status) + " " + e.message);
    command_request r = req;
    r.path = path;
    reply(r, e.status, error_value(e), out);
}

void core::reply_outbox(command_request req, int status, const std::optional<json::value>& value, actions& out) {
    req.path = outbox_path(req.feature, req.operation);
    reply(req, status, value, out);
}

std::uint64_t core::read_soon(const std::string& id, actions& out) {
    const auto number = reads_issued_ + 1;  // reads run one at a time: the next one issued
    dirty_.insert(id);
    if (kanto_ok_) next_read(out);
    return number;
}

void core::handle_command(const std::string& topic, const std::string& payload, actions& out) {
    // 1-2: twin-event routes, then the command topic grammar.
    const auto t = parse_command_topic(topic);
    if (!t) {
        say(out, log_level::debug, "ignoring a message on " + topic + ": not a command topic");
        return;
    }
    if (is_twin_event_route(*t)) {
        handle_twin_event(*t, payload, out);
        return;
    }
    const std::string hono = parse_namespaced_id(t->device).str();
    command_request req;
    req.reply_thing = hono;
    req.req_id = t->req_id;
    req.ditto_topic = fallback_topic;
    req.path = "/";
    req.one_way = t->req_id.empty();
    auto reject = [&](const error_info& e) { reply_error(req, e, req.path, out); };

    if (payload.size() > config_.max_payload) {  // refused unparsed
        reject({413, code_payload_too_large,
                "the message of " + std::to_string(payload.size()) + " bytes exceeds the limit of " +
                    std::to_string(config_.max_payload) + " bytes for device id [" + hono + "]"});
        return;
    }
    // 3: a JSON envelope. What can be read of it is used for the answer, even when it is invalid
    // (the original crashes on such input, B1).
    boost::system::error_code ec;
    const auto parsed = json::parse(payload, ec);
    if (ec || !parsed.is_object()) {
        reject(parameter_invalid("error parsing Ditto message received for device id [" + hono + "]"));
        return;
    }
    const auto& env = parsed.as_object();
    const auto* topic_v = env.if_contains("topic");
    const auto* path_v = env.if_contains("path");
    const auto* headers_v = env.if_contains("headers");
    const json::object* headers = headers_v != nullptr ? headers_v->if_object() : nullptr;
    if (topic_v != nullptr && topic_v->is_string() && !topic_v->as_string().empty()) req.ditto_topic = topic_v->as_string().c_str();
    if (path_v != nullptr && path_v->is_string() && !path_v->as_string().empty()) req.path = path_v->as_string().c_str();
    const json::value* corr = headers != nullptr ? headers->if_contains("correlation-id") : nullptr;
    const json::value* rr = headers != nullptr ? headers->if_contains("response-required") : nullptr;
    const json::value* ct = headers != nullptr ? headers->if_contains("content-type") : nullptr;
    if (corr != nullptr && corr->is_string()) req.correlation_id = std::string(corr->as_string());
    // One-way unless a request id is given and response-required is true (Q1); a header of the wrong
    // type is answered (the original panics on it, B2).
    req.one_way = t->req_id.empty() || (rr == nullptr || (rr->is_bool() && !rr->as_bool()));

    // 4-5: topic and path present, the topic has at least three segments.
    if (topic_v == nullptr || !topic_v->is_string() || topic_v->as_string().empty() || path_v == nullptr ||
        !path_v->is_string() || path_v->as_string().empty()) {
        reject(parameter_invalid("invalid Ditto message received for device id [" + hono + "]"));
        return;
    }
    const auto segments = split(req.ditto_topic, '/');
    if (segments.size() < 3) {
        reject(parameter_invalid("invalid Ditto message topic received for device id [" + hono + "]"));
        return;
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
        reason = "unsupported content type header " + (ct->is_string() ? std::string(ct->as_string()) : json::serialize(*ct));
    } else if (!has_value && ct != nullptr) {
        reason = "unexpected content type header " + (ct->is_string() ? std::string(ct->as_string()) : json::serialize(*ct));
    }
    if (!reason.empty()) {
        reject(parameter_invalid("invalid Ditto message received for device id [" + hono + "]: " + reason));
        return;
    }
    // 7: the thing named by the Ditto topic is ours.
    if (!thing_ || !registered_ || thing_deleted_ || segments[0] + ":" + segments[1] != thing_->str()) {
        reject(subject_not_found("thing with ID = " + hono + " is not found"));
        return;
    }
    // 8-9: a feature we have, or a thing-level operation (which the containers thing has none of).
    std::string feature, op;
    if (match_feature_path(req.path, feature, op)) {
        if (!feature_exists(feature)) {
            reject(parameter_invalid("feature [" + feature + "] not found "));
            return;
        }
    } else {
        req.reply_thing = thing_->str();
        if (!match_thing_path(req.path)) {
            reject(parameter_invalid("missing operation name for device id [" + thing_->str() + "]"));
        } else {
            reject(subject_not_found("the target thing ID = " + thing_->str() +
                                     " does not have e registered operations handler - thus, the command will not be processed"));
        }
        return;
    }
    // 10: the feature's handler.
    req.reply_thing = thing_->str();
    req.feature = feature;
    req.operation = op;
    if (has_value) req.value = *value;
    dispatch(std::move(req), out);
}

void core::handle_twin_event(const hono_command_topic& t, const std::string& payload, actions& out) {
    boost::system::error_code ec;
    const auto parsed = json::parse(payload, ec);
    if (ec || !parsed.is_object()) {
        say(out, log_level::warn, "ignoring a twin event on " + t.subject + ": not a Ditto envelope");
        return;
    }
    const auto& env = parsed.as_object();
    const auto* topic = env.if_contains("topic");
    const auto* path = env.if_contains("path");
    if (t.subject == "errors-response") {
        say(out, log_level::info, "twin error from the cloud: " + json::serialize(env.contains("value") ? env.at("value") : parsed));
        return;
    }
    if (topic == nullptr || !topic->is_string() || path == nullptr || !path->is_string() || !thing_) return;
    const auto segments = split(std::string(topic->as_string()), '/');
    const bool ours = segments.size() >= 2 && segments[0] + ":" + segments[1] == thing_->str();
    if (!ours) return;
    if (path->as_string() == "/" && t.subject == "deleted") {
        thing_deleted_ = true;  // commands get 404 until the thing is created again; features keep publishing
        say(out, log_level::info, "the cloud deleted thing " + thing_->str());
    } else if (path->as_string() == "/" && t.subject == "created" && thing_deleted_) {
        thing_deleted_ = false;  // created again: publish every feature again
        say(out, log_level::info, "the cloud created thing " + thing_->str() + " again: publishing all features");
        start_registration(out);
    } else {
        // A feature event must not strip the feature's operations (the original does, B6): nothing to do.
        say(out, log_level::debug, "twin event " + t.subject + " " + std::string(path->as_string()));
    }
}

void core::dispatch(command_request req, actions& out) {
    pending_op p;
    const auto& op = req.operation;
    const auto* value = req.value ? &*req.value : nullptr;
    auto fail = [&](const error_info& e) { reply_error(req, e, outbox_path(req.feature, op), out); };
    auto bad_input = [&](const std::string& text) { fail(parameter_invalid(text)); };

    if (req.feature == features::container_factory) {
        if (op != "create" && op != "createWithConfig") return fail(subject_not_found("unsupported operation " + op));
        auto args = op == "create" ? decode_create(value) : decode_create_with_config(value);
        if (auto* e = std::get_if<std::string>(&args)) return bad_input(*e);
        auto& a = std::get<create_args>(args);
        if (a.image_ref.empty()) return fail(execution_failed("imageRef must be set"));
        kcm::svc::CreateContainerRequest create;
        *create.mutable_container() = std::move(a.container);
        p.steps.push_back(std::move(create));
        if (a.start) p.steps.push_back(kcm::svc::StartContainerRequest{});  // id known after Create
        p.queue = "create#" + std::to_string(next_op_);
    } else if (req.feature.rfind(features::container_prefix, 0) == 0) {
        const auto id = req.feature.substr(features::container_prefix.size());  // the prefix once (Q8)
        p.container_id = id;
        p.queue = id;
        if (op == "start") {
            kcm::svc::StartContainerRequest r;
            r.set_id(id);
            p.steps.push_back(r);
        } else if (op == "stop" || op == "stopWithOptions") {
            kcm::svc::StopContainerRequest r;
            r.set_id(id);
            if (op == "stopWithOptions") {
                auto o = decode_stop_options(value);
                if (auto* e = std::get_if<std::string>(&o)) return bad_input(*e);
                *r.mutable_stopoptions() = std::get<kcm::types::StopOptions>(o);
            }
            p.steps.push_back(r);
        } else if (op == "pause") {
            kcm::svc::PauseContainerRequest r;
            r.set_id(id);
            p.steps.push_back(r);
        } else if (op == "resume") {
            kcm::svc::UnpauseContainerRequest r;
            r.set_id(id);
            p.steps.push_back(r);
        } else if (op == "rename") {
            auto name = decode_name(value);
            if (name.index() == 1) return bad_input(std::get<1>(name));
            kcm::svc::RenameContainerRequest r;
            r.set_id(id);
            r.set_name(std::get<0>(name));
            p.steps.push_back(r);
        } else if (op == "remove") {
            auto force = decode_force(value);
            if (auto* e = std::get_if<std::string>(&force)) return bad_input(*e);
            kcm::svc::RemoveContainerRequest r;
            r.set_id(id);
            r.set_force(std::get<bool>(force));
            p.steps.push_back(r);
        } else if (op == "update") {
            auto o = decode_update(value);
            if (auto* e = std::get_if<std::string>(&o)) return bad_input(*e);
            kcm::svc::UpdateContainerRequest r;
            r.set_id(id);
            *r.mutable_updateoptions() = std::get<kcm::types::UpdateOptions>(o);
            p.steps.push_back(r);
        } else {
            return fail(subject_not_found("unsupported operation " + op));
        }
    } else if (req.feature == features::software_updatable) {
        return handle_software_updatable(req, out);
    } else if (req.feature == features::metrics) {
        return handle_metrics(req, out);
    } else {
        return fail(subject_not_found("unsupported operation " + op));
    }
    const auto id = next_op_++;
    p.req = std::move(req);
    const auto queue = p.queue;
    ops_.emplace(id, std::move(p));
    auto& q = queues_[queue];
    q.push_back(id);
    if (q.size() == 1) run_op(id, out);
}

void core::run_op(std::uint64_t id, actions& out) {
    auto& p = ops_.at(id);
    p.started = true;
    auto step = p.steps.front();
    if (auto* start = std::get_if<kcm::svc::StartContainerRequest>(&step); start != nullptr && start->id().empty()) {
        start->set_id(p.container_id);  // the Start after a Create
    }
    out.push_back(call_kanto{id, std::move(step)});
}

actions core::on_kanto_done(std::uint64_t id, const kanto_result& result) {
    actions out;
    if (su_ && su_->waiting == id) {
        su_kanto_done(result, out);
        return out;
    }
    auto it = ops_.find(id);
    if (it == ops_.end()) return out;
    auto& p = it->second;
    const bool was_create = std::holds_alternative<kcm::svc::CreateContainerRequest>(p.steps.front());
    p.steps.erase(p.steps.begin());
    if (!result.ok) {
        if (!was_create && !p.container_id.empty() && p.result) {
            // The Start after a successful Create failed: Kanto only logs it and still returns the id.
            say(out, log_level::warn, "starting the new container " + p.container_id + " failed: " + result.error);
            p.steps.clear();
        } else {
            reply_error(p.req, execution_failed(result.error), outbox_path(p.req.feature, p.req.operation), out);
            finish_op(id, out);
            return out;
        }
    }
    if (was_create && result.container) {
        p.container_id = result.container->id();
        p.result = json::value(p.container_id);
        // Show the new container now, as Kanto's created event does, before starting or answering it.
        observe(p.container_id, &*result.container, out);
    }
    if (!p.steps.empty()) {
        run_op(id, out);
        return out;
    }
    // Answer after a fresh read of the container, so its twin update precedes the answer (as Kanto's does).
    p.answer_after_read = read_soon(p.container_id, out);
    if (!kanto_ok_) reads_completed(true, {}, out);
    return out;
}

void core::reads_completed(bool list, const std::string& container_id, actions& out) {
    std::vector<std::uint64_t> done;
    for (auto& [id, p] : ops_) {
        if (p.answer_after_read == 0) continue;
        const bool fresh = p.answer_after_read <= reads_issued_ || !kanto_ok_;
        if (fresh && (list || p.container_id == container_id || !kanto_ok_)) done.push_back(id);
    }
    if (su_ && su_->phase == su_job::phase::removed_read && (su_->read_after <= reads_issued_ || !kanto_ok_) &&
        (list || su_->container_id == container_id || !kanto_ok_)) {
        su_removed(out);
    }
    for (auto id : done) {
        auto& p = ops_.at(id);
        reply_outbox(p.req, p.result ? 200 : 204, p.result, out);
        finish_op(id, out);
    }
}

void core::finish_op(std::uint64_t id, actions& out) {
    auto it = ops_.find(id);
    if (it == ops_.end()) return;
    const auto queue = it->second.queue;
    ops_.erase(it);
    auto& q = queues_[queue];
    std::erase(q, id);
    if (q.empty()) {
        queues_.erase(queue);
    } else if (!ops_.at(q.front()).started) {
        run_op(q.front(), out);
    }
}

}  // namespace twin
