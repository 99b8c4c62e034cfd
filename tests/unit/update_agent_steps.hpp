// A step driver for the update agent core: its Kanto-CM actions are answered by the in-memory
// Kanto-CM (or fail at a chosen completion, for "fail at every step"), its publishes and log
// lines are collected.
#pragma once

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "agent.hpp"
#include "memory_kanto.hpp"

namespace steps {

struct ua_world {
    memory_kanto kanto;
    update_agent::agent agent;
    std::vector<update_agent::publish> published;
    std::vector<std::string> logs;
    std::optional<int> fail_at;  // the Kanto-CM completion (0-based) that fails
    int completions = 0;
    std::string failure_text = "injected failure";
    std::int64_t now = 1700000000000;

    explicit ua_world(update_agent::agent_config cfg = {}) : agent(std::move(cfg)) {
        kanto.apply_defaults = true;
    }

    // A container as Kanto-CM holds it (defaults applied), named `name`.
    kcm::types::Container add(const std::string& name, const std::string& image,
                              const std::string& status = "Running",
                              const std::function<void(kcm::types::Container&)>& tweak = {}) {
        kcm::svc::CreateContainerRequest req;
        req.mutable_container()->set_name(name);
        req.mutable_container()->mutable_image()->set_name(image);
        if (tweak) tweak(*req.mutable_container());
        auto r = kanto.call(req);
        auto& c = kanto.containers[r.container->id()];
        c.mutable_state()->set_status(status);
        return c;
    }

    // Feeds one message; returns the payloads published because of it (feedback and current state).
    std::vector<boost::json::object> send(const std::string& topic, const std::string& payload) {
        const auto before = published.size();
        settle(agent.on_message(topic, payload, ++now));
        std::vector<boost::json::object> out;
        for (auto i = before; i < published.size(); ++i)
            out.push_back(boost::json::parse(published[i].payload).as_object());
        return out;
    }
    std::vector<boost::json::object> desired(const std::string& payload_json,
                                             const std::string& activity = "a1") {
        return send("containersupdate/desiredstate",
                    R"({"activityId":")" + activity + R"(","timestamp":1,"payload":)" + payload_json + "}");
    }
    std::vector<boost::json::object> command(const std::string& name, const std::string& activity = "a1",
                                             const std::string& baseline = {}) {
        std::string p = R"({"command":")" + name + "\"";
        if (!baseline.empty()) p += R"(,"baseline":")" + baseline + "\"";
        return send("containersupdate/desiredstate/command",
                    R"({"activityId":")" + activity + R"(","timestamp":2,"payload":)" + p + "}}");
    }

    void settle(update_agent::actions pending) {
        for (std::size_t i = 0; i < pending.size(); ++i) {
            auto a = std::move(pending[i]);
            update_agent::actions more;
            if (auto* p = std::get_if<update_agent::publish>(&a)) {
                published.push_back(*p);
            } else if (auto* l = std::get_if<update_agent::log>(&a)) {
                logs.push_back(l->text);
            } else if (auto* l = std::get_if<update_agent::list_containers>(&a)) {
                if (failing()) {
                    more = agent.on_listed(l->tag, false, failure_text, {}, now);
                } else {
                    more = agent.on_listed(l->tag, true, {}, kanto.list(), now);
                }
            } else if (auto* c = std::get_if<update_agent::call_kanto>(&a)) {
                more = agent.on_kanto_done(
                    c->call,
                    failing() ? kanto::result{false, failure_text, std::nullopt} : kanto.call(c->request),
                    now);
            }
            pending.insert(pending.end(), std::make_move_iterator(more.begin()),
                           std::make_move_iterator(more.end()));
        }
    }

  private:
    bool failing() {
        const int n = completions++;
        return fail_at && n == *fail_at;
    }
};

inline std::string status_of(const boost::json::object& envelope) {
    return std::string(envelope.at("payload").at("status").as_string());
}

inline std::vector<std::string> statuses(const std::vector<boost::json::object>& envelopes) {
    std::vector<std::string> out;
    for (const auto& e : envelopes) out.push_back(status_of(e));
    return out;
}

// "<component id> <status> <message>" of each action of one feedback.
inline std::vector<std::string> action_lines(const boost::json::object& envelope) {
    std::vector<std::string> out;
    const auto& p = envelope.at("payload").as_object();
    if (!p.contains("actions")) return out;
    for (const auto& a : p.at("actions").as_array()) {
        const auto& o = a.as_object();
        std::string line = std::string(o.at("component").at("id").as_string()) + " " +
                           std::string(o.at("status").as_string());
        if (o.contains("message")) line += " " + std::string(o.at("message").as_string());
        out.push_back(line);
    }
    return out;
}

inline std::string component(const std::string& id, const std::string& version,
                             const std::string& config_json = "[]") {
    return R"({"id":")" + id + R"(","version":")" + version + R"(","config":)" + config_json + "}";
}

inline std::string domain_payload(const std::vector<std::string>& components,
                                  const std::string& domain_config = "[]",
                                  const std::string& baselines = {}) {
    std::string comps;
    for (const auto& c : components) comps += (comps.empty() ? "" : ",") + c;
    std::string p = "{";
    if (!baselines.empty()) p += R"("baselines":)" + baselines + ",";
    p += R"("domains":[{"id":"containers","config":)" + domain_config + R"(,"components":[)" + comps + "]}]}";
    return p;
}

}  // namespace steps
