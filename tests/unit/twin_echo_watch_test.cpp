// A second publisher of the thing: the core expects its own messages back on the event topic and
// warns about any other.
#include <doctest/doctest.h>

#include <algorithm>

#include "core.hpp"
#include "core_steps.hpp"

namespace {

using steps::container;
using steps::event_topic;
using steps::only;

std::vector<std::string> warnings(const twin::actions& a) {
    std::vector<std::string> out;
    for (const auto& l : only<twin::log>(a)) {
        if (l.level == twin::log_level::warn) out.push_back(l.text);
    }
    return out;
}

// Feeds every publish on the event topic back to the core, as the broker does.
void echo(twin::core& core, const twin::actions& a) {
    for (const auto& p : only<twin::publish>(a)) {
        if (p.topic == event_topic) CHECK(warnings(core.on_message(p.topic, p.payload)).empty());
    }
}

}  // namespace

TEST_CASE("the registration subscribes the event topic at QoS 0 before its burst") {
    steps::registered r({container("a", "Running", 10)});
    const auto subs = only<twin::subscribe>(r.burst);
    const auto it =
        std::find_if(subs.begin(), subs.end(), [](const auto& s) { return s.filter == event_topic; });
    REQUIRE(it != subs.end());
    CHECK(it->qos == 0);
    CHECK(r.core.echoes().current() == twin::echo_watch::state::watching);
    CHECK(r.core.echoes().expected() == only<twin::publish>(r.burst).size());
    CHECK(std::find(twin::core::topic_filters().begin(), twin::core::topic_filters().end(), "e/#") !=
          twin::core::topic_filters().end());
}

TEST_CASE("our own messages coming back are no warning; someone else's are, at 1, 10, 100, ...") {
    steps::registered r({container("a", "Running", 10)});
    echo(r.core, r.burst);
    CHECK(r.core.echoes().expected() == 0);

    // A change: published, echoed, quiet.
    r.world.containers["a"].mutable_state()->set_status("Stopped");
    auto change = r.world.settle(r.core, r.core.on_container_hint("a"));
    REQUIRE_FALSE(only<twin::publish>(change).empty());
    echo(r.core, change);
    CHECK(r.core.echoes().foreign() == 0);

    // The same message once more (Kanto-CM's things service publishes identical bytes): foreign.
    const auto copy = only<twin::publish>(change).front();
    auto w = warnings(r.core.on_message(copy.topic, copy.payload));
    REQUIRE(w.size() == 1);
    CHECK(w[0].find("another publisher sends twin messages on " + std::string(event_topic)) == 0);
    CHECK(w[0].find("/features/Container:a") != std::string::npos);
    CHECK(w[0].find("things.enable: false") != std::string::npos);
    int warned = 1;
    for (int i = 2; i <= 100; ++i)
        warned += static_cast<int>(warnings(r.core.on_message(copy.topic, "{}")).size());
    CHECK(warned == 3);  // the 1st, 10th and 100th
    CHECK(r.core.echoes().foreign() == 100);
}

TEST_CASE("a copy that arrives before our own echo is found too") {
    steps::registered r({container("a", "Running", 10)});
    echo(r.core, r.burst);
    r.world.containers["a"].mutable_state()->set_status("Stopped");
    const auto ours = only<twin::publish>(r.world.settle(r.core, r.core.on_container_hint("a")));
    REQUIRE(ours.size() == 1);
    CHECK(warnings(r.core.on_message(ours[0].topic, ours[0].payload)).empty());      // the other's copy first
    CHECK(warnings(r.core.on_message(ours[0].topic, ours[0].payload)).size() == 1);  // then ours
}

TEST_CASE("echoes that never come (superseded while offline) are skipped, not taken for someone else's") {
    steps::registered r({container("a", "Running", 10), container("b", "Running", 11)});
    const auto pubs = only<twin::publish>(r.burst);
    REQUIRE(pubs.size() > 3);
    // Only the last of the burst comes back: the earlier ones are forgotten.
    CHECK(warnings(r.core.on_message(event_topic, pubs.back().payload)).empty());
    CHECK(r.core.echoes().expected() == 0);
    CHECK(r.core.echoes().foreign() == 0);
}

TEST_CASE("what the link sends after reconnecting is expected, whether or not it comes back") {
    for (const bool offline_echoed : {false, true}) {
        CAPTURE(offline_echoed);
        steps::registered r({container("a", "Running", 10)});
        echo(r.core, r.burst);
        // Published just before the connection is lost: the link still holds it and sends it after
        // reconnecting, before or after the new subscription takes effect.
        r.world.containers["a"].mutable_state()->set_status("Stopped");
        const auto offline = only<twin::publish>(r.world.settle(r.core, r.core.on_container_hint("a")));
        REQUIRE(offline.size() == 1);
        r.core.on_disconnected();
        CHECK(r.core.echoes().current() == twin::echo_watch::state::off);
        r.world.settle(r.core, r.core.on_connected());
        auto again = r.world.settle(r.core, r.core.on_message("edge/thing/response", steps::identity_json));
        const auto subs = only<twin::subscribe>(again);
        CHECK(std::any_of(subs.begin(), subs.end(), [](const auto& s) { return s.filter == event_topic; }));
        if (offline_echoed) CHECK(warnings(r.core.on_message(event_topic, offline[0].payload)).empty());
        echo(r.core, again);
        CHECK(r.core.echoes().foreign() == 0);
        CHECK(r.core.echoes().expected() == 0);
    }
}

TEST_CASE("a refused subscription ends the watch with one line and no retry") {
    steps::registered r({container("a", "Running", 10)});
    auto a = r.core.on_subscribe_failed(event_topic, "not authorised");
    const auto unsubs = only<twin::unsubscribe>(a);
    REQUIRE(unsubs.size() == 1);
    CHECK(unsubs[0].filter == event_topic);
    const auto logs = only<twin::log>(a);
    REQUIRE(logs.size() == 1);
    CHECK(logs[0].level == twin::log_level::info);
    CHECK(logs[0].text.find("cannot be detected") != std::string::npos);
    CHECK(r.core.echoes().current() == twin::echo_watch::state::given_up);
    // It stays off across sessions for the same thing; nothing is remembered.
    r.world.settle(r.core, r.core.on_connected());
    auto again = r.world.settle(r.core, r.core.on_message("edge/thing/response", steps::identity_json));
    for (const auto& s : only<twin::subscribe>(again)) CHECK(s.filter != event_topic);
    CHECK(r.core.echoes().expected() == 0);
}

TEST_CASE("a broker that never delivers our messages back: the watch stops instead of growing") {
    std::vector<kcm::types::Container> many;
    for (int i = 0; i < 300; ++i) many.push_back(container("c" + std::to_string(i), "Running", 100 + i));
    steps::registered r(many);
    twin::actions all;
    for (int round = 0; r.core.echoes().current() == twin::echo_watch::state::watching && round < 200;
         ++round) {
        for (auto& c : r.world.containers) c.second.mutable_state()->set_pid(c.second.state().pid() + 1);
        auto a = r.world.settle(r.core, r.core.on_poll_due());
        all.insert(all.end(), a.begin(), a.end());
    }
    CHECK(r.core.echoes().current() == twin::echo_watch::state::given_up);
    CHECK(r.core.echoes().expected() == 0);
    const auto logs = only<twin::log>(all);
    CHECK(std::any_of(logs.begin(), logs.end(),
                      [](const auto& l) { return l.text.find("came back") != std::string::npos; }));
}

TEST_CASE("a changed identity moves the watch to the new thing's topic") {
    steps::registered r({container("a", "Running", 10)});
    auto a = r.world.settle(
        r.core, r.core.on_message("edge/thing/response", R"({"deviceId":"org.acme:gw-9","tenantId":"t2"})"));
    const auto unsubs = only<twin::unsubscribe>(a);
    CHECK(std::any_of(unsubs.begin(), unsubs.end(), [](const auto& u) { return u.filter == event_topic; }));
    CHECK(r.core.echoes().topic() == "e/t2/org.acme:gw-9:edge:containers");
    // A late echo of the old topic is not looked at.
    CHECK(warnings(r.core.on_message(event_topic, "{}")).empty());
}

TEST_CASE("switched off (watch_other_publishers: false): no subscription, nothing remembered") {
    twin::core_config cfg;
    cfg.watch_other_publishers = false;
    steps::registered r({container("a", "Running", 10)}, cfg);
    for (const auto& s : only<twin::subscribe>(r.burst)) CHECK(s.filter != event_topic);
    CHECK(r.core.echoes().current() == twin::echo_watch::state::off);
    CHECK(r.core.echoes().expected() == 0);
    CHECK(warnings(r.core.on_message(event_topic, "{}")).empty());
}
