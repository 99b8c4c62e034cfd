// MQTT topic filter matching, used by the service host to route inbound messages.
#include <doctest/doctest.h>

#include "topic_filter.hpp"

using bridge::topic_matches;

TEST_CASE("topic filters: exact, '+', '#', and '$' topics") {
    CHECK(topic_matches("edge/thing/response", "edge/thing/response"));
    CHECK_FALSE(topic_matches("edge/thing/response", "edge/thing/request"));
    CHECK(topic_matches("command//#", "command//ns:dev:edge:containers/req/r1/start"));
    CHECK(topic_matches("command//#", "command//x/req/#"));
    CHECK(topic_matches("command/#", "command"));  // '#' includes the parent level
    CHECK_FALSE(topic_matches("command//#", "commands//x"));
    CHECK(topic_matches("containersupdate/+", "containersupdate/desiredstate"));
    CHECK_FALSE(topic_matches("containersupdate/+", "containersupdate/desiredstate/x"));
    CHECK(topic_matches("+/+/x", "a//x"));
    CHECK(topic_matches("#", "anything/at/all"));
    CHECK_FALSE(topic_matches("#", "$SYS/broker/uptime"));
    CHECK_FALSE(topic_matches("a/b", "a"));
    CHECK_FALSE(topic_matches("a", "a/b"));
}
