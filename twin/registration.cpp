#include "registration.hpp"

#include "envelope.hpp"
#include "features.hpp"
#include "persistence.hpp"

namespace twin {

void registration::on_connected(actions& out) {
    state_ = state::no_identity;
    identity_.reset();
    command_filter_.clear();
    out.push_back(subscribe{identity_response_topic, 1});
    out.push_back(publish{identity_request_topic, identity_request_payload, 1});
}

registration::next_step registration::on_identity(const std::string& payload, thing_model& model,
                                                  actions& out) {
    auto parsed = parse_identity(payload);
    if (auto* reason = std::get_if<std::string>(&parsed)) {
        out.push_back(log{log_level::warn, "ignoring the message on edge/thing/response: " + *reason});
        return next_step::nothing;
    }
    auto& next = std::get<identity>(parsed);
    const auto next_thing = containers_thing(next.device_id);
    switch (classify(identity_ ? &*identity_ : nullptr, next)) {
        case identity_change::same:
            out.push_back(log{log_level::debug, "identity unchanged: " + next_thing.str()});
            return next_step::nothing;
        case identity_change::first:
            out.push_back(log{log_level::info, "identity received: thing " + next_thing.str() + ", tenant '" +
                                                   next.tenant_id + "'"});
            break;
        case identity_change::policy_changed:
            out.push_back(log{log_level::info,
                              "policy changed for " + next_thing.str() + ": publishing all features again"});
            break;
        case identity_change::thing_changed:
            out.push_back(log{log_level::info,
                              "identity changed: thing " + model.thing()->str() + " -> " + next_thing.str()});
            if (!command_filter_.empty()) {  // the old thing is unknown from now on
                out.push_back(unsubscribe{command_filter_});
                command_filter_.clear();
            }
            break;
    }
    identity_ = std::move(next);
    model.set_thing(next_thing, identity_->tenant_id);
    return next_step::start;
}

void registration::start(thing_model& model, actions& out) {
    persisted_.clear();
    if (model.enabled(features::container_factory)) {
        state_ = state::awaiting_list_and_file;
        out.push_back(read_file{model.persistence_path(), model.legacy_persistence_path()});
    } else {
        state_ = state::awaiting_list;
    }
}

void registration::on_list(thing_model& model, actions& out) {
    if (state_ == state::awaiting_list_and_file) {
        state_ = state::awaiting_file;
    } else if (state_ == state::awaiting_list) {
        finish(model, out);
    }
}

void registration::on_file(const std::string& path, const std::optional<std::string>& content,
                           const std::string& error, thing_model& model, actions& out) {
    if ((state_ != state::awaiting_list_and_file && state_ != state::awaiting_file) ||
        path != model.persistence_path()) {
        return;
    }
    if (!error.empty()) {
        out.push_back(log{log_level::warn, "cannot read " + path + ": " + error +
                                               "; stale Container features are not cleaned up"});
    } else if (content) {
        auto parsed = parse_persisted(*content);
        if (auto* ids = std::get_if<std::set<std::string>>(&parsed)) {
            persisted_ = std::move(*ids);
        } else {
            out.push_back(
                log{log_level::warn, "ignoring corrupt " + path + ": " + std::get<std::string>(parsed)});
        }
    }
    if (state_ == state::awaiting_file) {
        finish(model, out);
    } else {
        state_ = state::awaiting_list;
    }
}

void registration::finish(thing_model& model, actions& out) {
    const auto stale = model.publish_all(persisted_, out);
    persisted_.clear();
    state_ = state::registered;
    subscribe_commands(model, out);  // after the burst, like Kanto
    out.push_back(log{log_level::info, "registered " + model.thing()->str() + ": " +
                                           std::to_string(model.containers().size()) + " container(s), " +
                                           std::to_string(stale) + " stale feature(s) deleted"});
}

void registration::on_subscribe_failed(const std::string& filter, const std::string& reason,
                                       const thing_model& model, actions& out) const {
    if (filter == command_filter_) {
        out.push_back(log{log_level::error, "cloud commands for " + model.thing()->str() +
                                                " are not received: subscribing " + filter + " failed (" +
                                                reason + "); retrying"});
    } else if (filter == identity_response_topic) {
        out.push_back(log{log_level::error, std::string("the identity cannot be received: subscribing ") +
                                                filter + " failed (" + reason + "); retrying"});
    }
}

void registration::on_stopping(actions& out) {
    stopping_ = true;
    if (!command_filter_.empty()) out.push_back(unsubscribe{command_filter_});
    command_filter_.clear();
}

void registration::subscribe_commands(const thing_model& model, actions& out) {
    if (stopping_) return;
    const auto filter = "command//" + model.thing()->str() + "/req/#";
    if (filter == command_filter_) return;  // a policy change keeps the subscription
    if (!command_filter_.empty()) out.push_back(unsubscribe{command_filter_});
    command_filter_ = filter;
    out.push_back(subscribe{filter, 1});
}

}  // namespace twin
