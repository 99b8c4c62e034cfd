// The harness's broker is a real mosquitto on loopback: a message goes through it.
#include <doctest/doctest.h>

#include "harness.hpp"
#include "mqtt_client.hpp"

using namespace std::chrono_literals;

TEST_CASE("a real mosquitto on a free loopback port relays QoS 1 messages") {
    harness::mosquitto broker;
    CHECK(broker.port() > 0);
    harness::mqtt_client sub(broker.url()), pub(broker.url());
    sub.subscribe("edge/thing/#", 1);
    pub.publish("edge/thing/response", R"({"deviceId":"a:b","tenantId":"t"})", 1);
    auto m = sub.next(5s);
    REQUIRE(m.has_value());
    CHECK(m->topic == "edge/thing/response");
    CHECK(m->payload == R"({"deviceId":"a:b","tenantId":"t"})");
    CHECK(m->qos == 1);
    CHECK_FALSE(sub.next(100ms).has_value());
}

TEST_CASE("two brokers get different ports and stop cleanly") {
    harness::mosquitto a, b;
    CHECK(a.port() != b.port());
    a.stop();
    harness::mqtt_client c(b.url());
    c.subscribe("x", 0);
}
