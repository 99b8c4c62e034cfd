#include "echo_watch.hpp"

#include <algorithm>
#include <functional>
#include <string_view>

#include <boost/json.hpp>

namespace twin {
namespace {

std::uint64_t fingerprint(const std::string& payload) {
    return std::hash<std::string_view>{}(payload);
}

// The Ditto path of a message, for the warning; empty when it has none.
std::string ditto_path(const std::string& payload) {
    boost::system::error_code ec;
    const auto v = boost::json::parse(payload, ec);
    if (ec || !v.is_object()) return {};
    const auto* path = v.as_object().if_contains("path");
    return path && path->is_string() ? std::string(path->as_string()) : std::string();
}

}  // namespace

void echo_watch::watch(const std::string& topic, actions& out) {
    // A policy change keeps the subscription; a refused one stays off for this thing.
    if (topic == topic_ && state_ != state::off) return;
    if (state_ == state::watching) out.push_back(unsubscribe{topic_});
    if (topic != topic_) {
        topic_ = topic;
        expected_.clear();
        echoed_ = false;
    }
    state_ = state::watching;
    out.push_back(subscribe{topic_, 0});
}

void echo_watch::on_session_lost() {
    // What is queued now is still expected: the link may send it after the next subscription.
    if (state_ == state::watching) state_ = state::off;
}

void echo_watch::sent(actions& out) {
    if (state_ == state::given_up || topic_.empty()) return;
    const auto n = out.size();  // a give-up appends to `out`
    for (std::size_t i = 0; i < n && state_ != state::given_up; ++i) {
        const auto* p = std::get_if<publish>(&out[i]);
        if (p == nullptr || p->topic != topic_) continue;
        expected_.push_back(fingerprint(p->payload));
        if (expected_.size() <= capacity) continue;
        if (state_ == state::watching && !echoed_) {
            out.push_back(unsubscribe{topic_});
            give_up("none of the bridge's own messages on " + topic_ + " came back", out);
        } else {
            expected_.pop_front();
        }
    }
}

void echo_watch::on_message(const std::string& topic, const std::string& payload, actions& out) {
    if (state_ != state::watching || topic != topic_) return;
    const auto h = fingerprint(payload);
    const auto it = std::find(expected_.begin(), expected_.end(), h);
    if (it != expected_.end()) {
        // The broker keeps our order: older entries never came (superseded in the queue while the
        // link was down, or published before the subscription took effect).
        expected_.erase(expected_.begin(), it + 1);
        echoed_ = true;
        return;
    }
    if (++foreign_ == next_warning_) {
        next_warning_ *= 10;
        const auto path = ditto_path(payload);
        out.push_back(log{log_level::warn,
                          "another publisher sends twin messages on " + topic_ +
                              (path.empty() ? std::string() : " (" + path + ")") + ", " +
                              std::to_string(foreign_) +
                              " so far: most likely Kanto-CM's own things service. The twin shows two "
                              "views in turn until it is turned off (things.enable: false in Kanto-CM's "
                              "config.json, or the drop-in for container-management.service)"});
    }
}

void echo_watch::on_subscribe_failed(const std::string& filter, const std::string& reason, actions& out) {
    if (state_ != state::watching || filter != topic_) return;
    out.push_back(unsubscribe{topic_});  // the link would retry it
    give_up("subscribing " + topic_ + " failed (" + reason + ")", out);
}

void echo_watch::give_up(const std::string& why, actions& out) {
    state_ = state::given_up;
    expected_ = {};
    out.push_back(log{log_level::info, why + ": a second publisher of the twin (Kanto-CM's own things "
                                             "service left on) cannot be detected"});
}

}  // namespace twin
