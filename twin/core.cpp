#include "core.hpp"

#include "command_pipeline.hpp"
#include "envelope.hpp"
#include "features.hpp"

#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC bug 107138, see thing_model.cpp
#endif

namespace twin {

core::core(core_config config)
    : config_(std::move(config)),
      model_(config_),
      reads_(config_),
      ctx_{config_, model_, reads_, registration_} {}

std::vector<std::string> core::topic_filters() {
    return {identity_response_topic, "command//#", "e/#"};
}

actions core::watched(actions out) {
    echo_.sent(out);
    return out;
}

// ---- reading Kanto-CM ----

actions core::on_start() {
    actions out;
    reads_.want_list(out);
    return watched(std::move(out));
}

actions core::on_poll_due() {
    actions out;
    model_.poll_tick(registration_.publishing(), out);
    reads_.poll_due(out);
    return watched(std::move(out));
}

actions core::on_container_hint(const std::string& id) {
    actions out;
    reads_.hint(id, out);
    return watched(std::move(out));
}

actions core::on_kanto_failed(const std::string& error) {
    actions out;
    reads_.failed(error, out);
    read_completed(true, {}, out);  // operations waiting for a fresh read are answered without one
    return watched(std::move(out));
}

actions core::on_containers_listed(const std::vector<kcm::types::Container>& containers) {
    actions out;
    reads_.succeeded(out);
    // Every id in order, present or gone, as one sorted walk.
    std::map<std::string, const kcm::types::Container*> all;
    for (const auto& c : containers) all[c.id()] = &c;
    for (const auto& [id, c] : model_.containers()) all.emplace(id, nullptr);  // kept where still listed
    for (const auto& [id, c] : all) observe(id, c, out);
    registration_.on_list(model_, out);
    read_completed(true, {}, out);
    reads_.next(out);
    return watched(std::move(out));
}

actions core::on_container_read(const std::string& id, const std::optional<kcm::types::Container>& c) {
    actions out;
    reads_.succeeded(out);
    observe(id, c ? &*c : nullptr, out);
    read_completed(false, id, out);
    reads_.next(out);
    return watched(std::move(out));
}

void core::observe(const std::string& id, const kcm::types::Container* now, actions& out) {
    if (ctx_.observe(id, now, out) == container_change::started)
        metrics_.container_started(id, now->state().pid(), out);
}

void core::read_completed(bool list, const std::string& id, actions& out) {
    software_.on_read_completed(list, id, ctx_, out);
    operations_.on_read_completed(list, id, ctx_, out);
}

// ---- identity and registration ----

actions core::on_connected() {
    actions out;
    echo_.on_session_lost();
    registration_.on_connected(out);
    return watched(std::move(out));
}

actions core::on_disconnected() {
    registration_.on_disconnected();
    echo_.on_session_lost();
    return {};
}

void core::start_registration(actions& out) {
    // Before the burst: its echoes are the first expected.
    if (config_.watch_other_publishers) echo_.watch(model_.event_topic(), out);
    metrics_.stop(out);  // Kanto disposes the features before registering them again
    registration_.start(model_, out);
    reads_.want_list(out);  // registration publishes what a fresh List says
}

actions core::on_message(const std::string& topic, const std::string& payload) {
    actions out;
    if (topic.rfind("command//", 0) == 0) {
        handle_command(topic, payload, out);
    } else if (topic.rfind("e/", 0) == 0) {
        echo_.on_message(topic, payload, out);
    } else if (topic == identity_response_topic) {
        if (payload.size() > config_.max_payload) {  // refused unparsed, like a command
            out.push_back(
                log{log_level::warn, "ignoring a " + std::to_string(payload.size()) +
                                         "-byte message on edge/thing/response: larger than the limit of " +
                                         std::to_string(config_.max_payload) + " bytes"});
        } else if (registration_.on_identity(payload, model_, out) == registration::next_step::start) {
            start_registration(out);
        }
    }
    return watched(std::move(out));
}

actions core::on_file_read(const std::string& path, const std::optional<std::string>& content,
                           const std::string& error) {
    actions out;
    registration_.on_file(path, content, error, model_, out);
    return watched(std::move(out));
}

actions core::on_resync_needed() {
    actions out;
    if (registration_.in_progress()) {
        out.push_back(log{log_level::warn, "outbound messages were lost: publishing all features again"});
        start_registration(out);
    }
    return watched(std::move(out));
}

actions core::on_stopping() {
    actions out;
    constexpr const char* reason = kanto::interrupted_by_stop;
    registration_.on_stopping(out);
    const auto running = operations_.pending();
    operations_.abort_all(execution_failed(reason), out);
    software_.abort_all(reason, ctx_, out);
    if (running > 0)
        out.push_back(log{log_level::info, "stopping: answered " + std::to_string(running) +
                                               " container operation(s) in flight with an error"});
    return watched(std::move(out));
}

actions core::on_subscribe_failed(const std::string& filter, const std::string& reason) {
    actions out;
    registration_.on_subscribe_failed(filter, reason, model_, out);
    echo_.on_subscribe_failed(filter, reason, out);
    return watched(std::move(out));
}

// ---- cloud commands ----

bool core::has_feature(const std::string& feature) const {
    if (!registration_.publishing()) return false;
    if (feature == features::container_factory || feature == features::software_updatable ||
        feature == features::metrics) {
        return model_.enabled(feature);
    }
    if (feature.rfind(features::container_prefix, 0) == 0 && model_.enabled(features::container_factory)) {
        return model_.containers().count(feature.substr(features::container_prefix.size())) != 0;
    }
    return false;
}

void core::handle_command(const std::string& topic, const std::string& payload, actions& out) {
    const auto t = parse_command_topic(topic);
    if (!t) {
        out.push_back(log{log_level::debug, "ignoring a message on " + topic + ": not a command topic"});
        return;
    }
    const auto* thing = model_.thing() ? &*model_.thing() : nullptr;
    if (is_twin_event_route(*t)) {
        switch (read_twin_event(*t, payload, thing, out)) {
            case twin_event::thing_deleted:
                registration_.on_thing_deleted();  // commands get 404 until it is created again
                out.push_back(log{log_level::info, "the cloud deleted thing " + thing->str()});
                break;
            case twin_event::thing_created:
                if (!registration_.thing_deleted()) break;
                out.push_back(log{log_level::info, "the cloud created thing " + thing->str() +
                                                       " again: publishing all features"});
                start_registration(out);
                break;
            case twin_event::none:
                break;
        }
        return;
    }
    const pipeline_view view{thing, registration_.accepting_commands(),
                             [this](const std::string& f) { return has_feature(f); }, config_.max_payload};
    if (auto req = validate_command(*t, payload, view, out)) dispatch(std::move(*req), out);
}

void core::dispatch(command_request req, actions& out) {
    out.push_back(log{log_level::debug,
                      "command " + req.operation + " on " + req.feature + " (request " + req.req_id + ")"});
    if (req.feature == features::software_updatable) return software_.submit(req, ctx_, out);
    if (req.feature == features::metrics) return metrics_.submit(req, ctx_, out);
    auto plan = plan_operation(req);
    if (auto* e = std::get_if<error_info>(&plan)) return reply_outbox_error(req, *e, out);
    operations_.submit(std::move(req), std::move(std::get<operation_plan>(plan)), ctx_, out);
}

actions core::on_kanto_done(std::uint64_t call, const kanto_result& result) {
    actions out;
    if (software_.waiting_for(call)) {
        software_.on_kanto_done(call, result, ctx_, out);
    } else {
        operations_.on_kanto_done(call, result, ctx_, out);
    }
    return watched(std::move(out));
}

actions core::on_http_done(std::uint64_t id, const http_result& result) {
    actions out;
    software_.on_http_done(id, result, ctx_, out);
    return watched(std::move(out));
}

actions core::on_metrics_due(std::uint64_t generation) {
    actions out;
    metrics_.on_due(generation, ctx_, out);
    return watched(std::move(out));
}

actions core::on_metrics_read(std::uint64_t generation, bool baseline,
                              const std::vector<metrics_sample>& samples, std::int64_t unix_seconds) {
    actions out;
    metrics_.on_read(generation, baseline, samples, unix_seconds, ctx_, out);
    return watched(std::move(out));
}

}  // namespace twin
