#include "core.hpp"

// GCC 12 reports a false -Wmaybe-uninitialized when a std::vector of variants holding std::strings
// relocates (GCC bug 107138); the code is fine under clang and newer GCC.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <algorithm>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "container_mapping.hpp"
#include "dependencies.hpp"
#include "envelope.hpp"
#include "features.hpp"
#include "persistence.hpp"

namespace twin {
namespace json = boost::json;
namespace {

std::string feature_path(std::string_view feature) { return "/features/" + std::string(feature); }

json::object definition_only(std::string_view definition) {
    return json::object{{"definition", json::array{definition}}};
}

}  // namespace

core::core(core_config config) : config_(std::move(config)) {}

bool core::enabled(std::string_view feature) const {
    return std::find(config_.features.begin(), config_.features.end(), feature) != config_.features.end();
}

std::vector<const kcm::types::Container*> core::sorted_containers() const {
    std::vector<const kcm::types::Container*> out;
    out.reserve(known_.size());
    for (const auto& [id, c] : known_) out.push_back(&c);  // std::map: sorted by id
    return out;
}

std::chrono::milliseconds core::retry_delay() const {
    auto delay = config_.poll_interval;
    for (int i = 0; i < failures_ && delay < config_.max_backoff; ++i) delay *= 2;
    return std::min(delay, config_.max_backoff);
}

void core::publish_modify(const std::string& path, const json::value& value, actions& out) {
    out.push_back(publish{event_topic_, twin_modify(*thing_, path, value)});
}

void core::publish_dependencies(actions& out) {
    publish_modify(feature_path(features::software_updatable) + "/properties/status/installedDependencies",
                   installed_dependencies(sorted_containers()), out);
}

void core::write_persisted(bool null_when_empty, actions& out) {
    out.push_back(write_file{persistence_path_, serialize_persisted(persisted_, null_when_empty)});
}

// ---- reading Kanto-CM: one request at a time ----

void core::next_read(actions& out) {
    if (read_in_flight_) return;
    if (list_wanted_ || dirty_.size() > config_.list_threshold) {
        list_wanted_ = false;
        dirty_.clear();
        read_in_flight_ = true;
        ++reads_issued_;
        out.push_back(list_containers{});
    } else if (!dirty_.empty()) {
        auto id = *dirty_.begin();
        dirty_.erase(dirty_.begin());
        read_in_flight_ = true;
        ++reads_issued_;
        out.push_back(get_container{std::move(id)});
    } else if (!poll_armed_) {
        poll_armed_ = true;
        out.push_back(schedule_poll{kanto_ok_ ? config_.poll_interval : retry_delay()});
    }
}

actions core::on_start() {
    actions out;
    list_wanted_ = true;
    next_read(out);
    return out;
}

actions core::on_poll_due() {
    actions out;
    poll_armed_ = false;
    list_wanted_ = true;
    next_read(out);
    return out;
}

actions core::on_container_hint(const std::string& id) {
    actions out;
    dirty_.insert(id);
    if (kanto_ok_) next_read(out);  // while Kanto-CM is down only the back-off timer retries
    return out;
}

actions core::on_kanto_failed(const std::string& error) {
    actions out;
    read_in_flight_ = false;
    list_wanted_ = true;  // after a failure, the next read is a full List
    if (kanto_ok_) {
        kanto_ok_ = false;
        say(out, log_level::warn,
            "Kanto-CM is not reachable: " + error + "; retrying with back-off, MQTT stays connected");
    }
    ++failures_;
    poll_armed_ = true;
    out.push_back(schedule_poll{retry_delay()});
    reads_completed(true, {}, out);  // operations waiting for a fresh read are answered without one
    return out;
}

void core::read_succeeded(actions& out) {
    read_in_flight_ = false;
    if (!kanto_ok_) {
        kanto_ok_ = true;
        failures_ = 0;
        say(out, log_level::info, "Kanto-CM is reachable again");
    }
}

actions core::on_containers_listed(const std::vector<kcm::types::Container>& containers) {
    actions out;
    read_succeeded(out);
    std::map<std::string, const kcm::types::Container*> now;
    for (const auto& c : containers) now[c.id()] = &c;
    std::set<std::string> ids;
    for (const auto& [id, c] : known_) ids.insert(id);
    for (const auto& [id, c] : now) ids.insert(id);
    for (const auto& id : ids) {
        auto it = now.find(id);
        observe(id, it == now.end() ? nullptr : it->second, out);
    }
    if (registering_) {
        reg_have_list_ = true;
        try_finish_registration(out);
    }
    reads_completed(true, {}, out);
    next_read(out);
    return out;
}

actions core::on_container_read(const std::string& id, const std::optional<kcm::types::Container>& c) {
    actions out;
    read_succeeded(out);
    observe(id, c ? &*c : nullptr, out);
    reads_completed(false, id, out);
    next_read(out);
    return out;
}

// ---- container changes -> twin messages (things.md §6.4) ----

void core::observe(const std::string& id, const kcm::types::Container* now, actions& out) {
    auto it = known_.find(id);
    if (it == known_.end() && now == nullptr) return;
    if (!registered_) {  // nothing is published without an identity; registration sends everything
        if (now != nullptr) known_[id] = *now;
        else known_.erase(it);
        return;
    }
    const bool factory = enabled(features::container_factory);
    const auto path = feature_path(features::container_feature_id(id));
    const auto state_path = path + "/properties/status/state";

    if (it == known_.end()) {  // created
        known_[id] = *now;
        if (factory) {
            publish_modify(path, container_feature_json(*now), out);
            publish_modify(state_path, container_state_json(now->state()), out);
            persisted_.insert(id);
            write_persisted(false, out);
        }
        if (enabled(features::software_updatable)) publish_dependencies(out);
        return;
    }
    if (now == nullptr) {  // removed: DEAD first (keeping the last known fields), then the delete
        const auto last = std::move(it->second);
        known_.erase(it);
        if (factory) {
            if (last.state().status() != "Dead") {
                auto dead = container_state_json(last.state());
                dead["status"] = "DEAD";
                publish_modify(state_path, dead, out);
            }
            out.push_back(publish{event_topic_, twin_delete(*thing_, path)});
            persisted_.erase(id);
            write_persisted(false, out);
        }
        if (enabled(features::software_updatable)) publish_dependencies(out);
        return;
    }
    if (factory) {
        const auto& before = it->second;
        if (before.name() != now->name()) publish_modify(path + "/properties/status/name", json::value(now->name()), out);
        auto config = container_config_json(*now);
        if (config != container_config_json(before)) publish_modify(path + "/properties/status/config", config, out);
        auto state = container_state_json(now->state());
        if (state != container_state_json(before.state())) publish_modify(state_path, state, out);
    }
    if (metrics_ && now->state().status() == "Running" && it->second.state().status() != "Running" && now->state().pid() > 0) {
        // Like Kanto's metrics event handler: a (re)started container gets a fresh CPU baseline.
        out.push_back(read_metrics{metrics_generation_, true, {{id, now->state().pid()}}});
    }
    it->second = *now;
}

// ---- identity and registration (things.md §2.4, §6.2, §11) ----

actions core::on_connected() {
    actions out;
    connected_ = true;
    identity_.reset();
    registered_ = false;
    registering_ = false;
    command_filter_.clear();  // a clean session has no subscriptions
    out.push_back(subscribe{identity_response_topic, 1});
    out.push_back(publish{identity_request_topic, identity_request_payload, 1});
    return out;
}

actions core::on_disconnected() {
    actions out;
    connected_ = false;
    identity_.reset();
    registered_ = false;
    registering_ = false;
    return out;
}

actions core::on_message(const std::string& topic, const std::string& payload) {
    actions out;
    if (topic.rfind("command//", 0) == 0) {
        handle_command(topic, payload, out);
        return out;
    }
    if (topic != identity_response_topic) return out;
    auto parsed = parse_identity(payload);
    if (auto* reason = std::get_if<std::string>(&parsed)) {
        say(out, log_level::warn, "ignoring the message on edge/thing/response: " + *reason);
        return out;
    }
    auto& next = std::get<identity>(parsed);
    const auto change = classify(identity_ ? &*identity_ : nullptr, next);
    const auto next_thing = containers_thing(next.device_id);
    switch (change) {
        case identity_change::same:
            say(out, log_level::debug, "identity unchanged: " + next_thing.str());
            return out;
        case identity_change::first:
            say(out, log_level::info, "identity received: thing " + next_thing.str() + ", tenant '" + next.tenant_id + "'");
            break;
        case identity_change::policy_changed:
            say(out, log_level::info, "policy changed for " + next_thing.str() + ": publishing all features again");
            break;
        case identity_change::thing_changed:
            say(out, log_level::info, "identity changed: thing " + thing_->str() + " -> " + next_thing.str());
            if (!command_filter_.empty()) {  // the old thing is unknown from now on
                out.push_back(unsubscribe{command_filter_});
                command_filter_.clear();
            }
            break;
    }
    identity_ = std::move(next);
    thing_ = next_thing;
    event_topic_ = event_topic(identity_->tenant_id, *thing_);
    start_registration(out);
    return out;
}

void core::start_registration(actions& out) {
    stop_metrics(out);  // Kanto disposes the features before registering them again
    registered_ = false;
    registering_ = true;
    reg_have_list_ = false;
    reg_persisted_.reset();
    persistence_path_ = persistence_path(config_.home_dir, *thing_);
    if (enabled(features::container_factory)) {
        out.push_back(read_file{persistence_path_, legacy_persistence_path(config_.home_dir, *thing_)});
    } else {
        reg_persisted_.emplace();
    }
    list_wanted_ = true;  // registration publishes what a fresh List says
    next_read(out);
}

actions core::on_file_read(const std::string& path, const std::optional<std::string>& content,
                           const std::string& error) {
    actions out;
    if (!registering_ || path != persistence_path_ || reg_persisted_) return out;
    reg_persisted_.emplace();
    if (!error.empty()) {
        say(out, log_level::warn, "cannot read " + path + ": " + error + "; stale Container features are not cleaned up");
    } else if (content) {
        auto parsed = parse_persisted(*content);
        if (auto* ids = std::get_if<std::set<std::string>>(&parsed)) {
            reg_persisted_ = std::move(*ids);
        } else {
            say(out, log_level::warn, "ignoring corrupt " + path + ": " + std::get<std::string>(parsed));
        }
    }
    try_finish_registration(out);
    return out;
}

void core::try_finish_registration(actions& out) {
    if (!registering_ || !reg_have_list_ || !reg_persisted_) return;
    registering_ = false;
    std::size_t stale = 0;
    if (enabled(features::container_factory)) {
        for (const auto& [id, c] : known_) {
            publish_modify(feature_path(features::container_feature_id(id)), container_feature_json(c), out);
        }
        for (const auto& id : *reg_persisted_) {
            if (known_.count(id) != 0) continue;
            out.push_back(publish{event_topic_, twin_delete(*thing_, feature_path(features::container_feature_id(id)))});
            ++stale;
        }
        persisted_.clear();
        for (const auto& [id, c] : known_) persisted_.insert(id);
        write_persisted(true, out);
        publish_modify(feature_path(features::container_factory), definition_only(features::container_factory_definition), out);
    }
    if (enabled(features::software_updatable)) {
        json::object status{{"softwareModuleType", features::software_module_type}};
        if (!known_.empty()) status["installedDependencies"] = installed_dependencies(sorted_containers());
        publish_modify(feature_path(features::software_updatable),
                       json::object{{"definition", json::array{features::software_updatable_definition}},
                                    {"properties", json::object{{"status", std::move(status)}}}},
                       out);
    }
    if (enabled(features::metrics)) {
        publish_modify(feature_path(features::metrics), definition_only(features::metrics_definition), out);
    }
    registered_ = true;
    thing_deleted_ = false;
    subscribe_commands(out);  // after the burst, like Kanto
    say(out, log_level::info,
        "registered " + thing_->str() + ": " + std::to_string(known_.size()) + " container(s), " +
            std::to_string(stale) + " stale feature(s) deleted");
}

actions core::on_resync_needed() {
    actions out;
    if (registered_ || registering_) {
        say(out, log_level::warn, "outbound messages were lost: publishing all features again");
        start_registration(out);
    }
    return out;
}

}  // namespace twin
