// Helpers for system tests of the twin: an observer on the broker, the identity trigger, and
// waiting for the bridge's messages.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "harness.hpp"
#include "mqtt_client.hpp"

namespace harness {

inline constexpr const char* leda_identity =
    R"({"deviceId":"dummy-namespace:dummy-gateway:dummy-device-id","tenantId":"dummy-tenant-id"})";
inline constexpr const char* leda_topic =
    "e/dummy-tenant-id/dummy-namespace:dummy-gateway:dummy-device-id:edge:containers";

struct twin_message {
    std::string mqtt_topic;
    boost::json::object envelope;
    std::string path() const { return std::string(envelope.at("path").as_string()); }
    std::string action() const {  // modify | delete | ...
        const std::string t(envelope.at("topic").as_string());
        return t.substr(t.rfind('/') + 1);
    }
    const boost::json::value& value() const { return envelope.at("value"); }
};

// Watches e/# and edge/thing/request on the broker.
class twin_observer {
  public:
    explicit twin_observer(const mosquitto& broker) : client_(broker.url()), sender_(broker.url()) {
        client_.subscribe("e/#", 1);
        client_.subscribe("edge/thing/request", 1);
    }

    // Waits for the bridge's identity request (it is connected and subscribed then).
    bool wait_for_request(std::chrono::milliseconds timeout = 15000ms) {
        const auto end = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < end) {
            auto m = client_.next(100ms);
            if (m && m->topic == "edge/thing/request") return true;
            if (m) pending_.push_back(*m);
        }
        return false;
    }
    void send_identity(const std::string& payload = leda_identity) {
        sender_.publish("edge/thing/response", payload, 0);
    }
    void publish(const std::string& topic, const std::string& payload) { sender_.publish(topic, payload, 1); }

    // Twin messages until `done` holds for the last one, or the timeout.
    std::vector<twin_message> until(const std::function<bool(const twin_message&)>& done,
                                    std::chrono::milliseconds timeout = 15000ms) {
        std::vector<twin_message> out;
        const auto end = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < end) {
            auto m = next(50ms);
            if (!m) continue;
            out.push_back(std::move(*m));
            if (done(out.back())) break;
        }
        return out;
    }
    std::vector<twin_message> take(std::size_t n, std::chrono::milliseconds timeout = 15000ms) {
        std::size_t seen = 0;
        return until([&](const twin_message&) { return ++seen >= n; }, timeout);
    }
    // Everything that arrives within `quiet` of the previous message.
    std::vector<twin_message> drain(std::chrono::milliseconds quiet = 700ms) {
        std::vector<twin_message> out;
        while (auto m = next(quiet)) out.push_back(std::move(*m));
        return out;
    }
    std::vector<mqtt_message>& raw_log() { return raw_; }

  private:
    std::optional<twin_message> next(std::chrono::milliseconds timeout) {
        for (;;) {
            std::optional<mqtt_message> m;
            if (!pending_.empty()) {
                m = pending_.front();
                pending_.erase(pending_.begin());
            } else {
                m = client_.next(timeout);
            }
            if (!m) return std::nullopt;
            if (m->topic.rfind("e/", 0) != 0) continue;
            raw_.push_back(*m);
            return twin_message{m->topic, boost::json::parse(m->payload).as_object()};
        }
    }

    mqtt_client client_;
    mqtt_client sender_;
    std::vector<mqtt_message> pending_;
    std::vector<mqtt_message> raw_;
};

inline std::vector<std::string> paths(const std::vector<twin_message>& ms) {
    std::vector<std::string> out;
    for (const auto& m : ms) out.push_back(m.action() + " " + m.path());
    return out;
}

}  // namespace harness
