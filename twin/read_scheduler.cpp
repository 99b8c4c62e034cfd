#include "read_scheduler.hpp"

#include <algorithm>

namespace twin {

std::chrono::milliseconds read_scheduler::retry_delay() const {
    // From 1 s (or a shorter poll), whatever the safety-net poll's period: Kanto-CM's return is
    // noticed soon.
    auto delay = std::min(config_.poll_interval, std::chrono::milliseconds(1000));
    for (int i = 0; i < failures_ && delay < config_.max_backoff; ++i) delay *= 2;
    return std::min(delay, config_.max_backoff);
}

void read_scheduler::next(actions& out) {
    if (phase_ == phase::reading) return;
    if (list_wanted_ || dirty_.size() > config_.list_threshold) {
        list_wanted_ = false;
        dirty_.clear();
        phase_ = phase::reading;
        ++issued_;
        out.push_back(list_containers{});
    } else if (!dirty_.empty()) {
        auto id = *dirty_.begin();
        dirty_.erase(dirty_.begin());
        phase_ = phase::reading;
        ++issued_;
        out.push_back(get_container{std::move(id)});
    } else if (timer_ == poll_timer::off) {
        timer_ = poll_timer::armed;
        out.push_back(schedule_poll{reachable() ? config_.poll_interval : retry_delay()});
    }
}

void read_scheduler::want_list(actions& out) {
    list_wanted_ = true;
    next(out);
}

std::uint64_t read_scheduler::want(const std::string& id, actions& out) {
    const auto ticket = issued_ + 1;  // reads run one at a time: the next one issued
    dirty_.insert(id);
    if (reachable()) next(out);
    return ticket;
}

void read_scheduler::hint(const std::string& id, actions& out) {
    dirty_.insert(id);
    if (reachable()) next(out);
}

void read_scheduler::poll_due(actions& out) {
    timer_ = poll_timer::off;
    want_list(out);
}

void read_scheduler::succeeded(actions& out) {
    phase_ = phase::idle;
    if (availability_ == availability::unreachable) {
        availability_ = availability::reachable;
        failures_ = 0;
        out.push_back(log{log_level::info, "Kanto-CM is reachable again"});
    }
}

void read_scheduler::failed(const std::string& error, actions& out) {
    phase_ = phase::idle;
    list_wanted_ = true;  // after a failure, the next read is a full List
    if (availability_ == availability::reachable) {
        availability_ = availability::unreachable;
        out.push_back(log{log_level::warn, "Kanto-CM is not reachable: " + error +
                                               "; retrying with back-off, MQTT stays connected"});
    }
    ++failures_;
    timer_ = poll_timer::armed;
    out.push_back(schedule_poll{retry_delay()});
}

}  // namespace twin
