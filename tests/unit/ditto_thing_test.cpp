// The inspector's in-memory Ditto thing against Ditto's own protocol examples
// (tests/data/ditto-schemas/examples): modify/create, merge, delete, and their events.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>

#include "ditto_thing.hpp"

namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

std::vector<json::object> examples(const std::string& folder) {
    std::vector<json::object> out;
    for (const auto& e :
         fs::directory_iterator(std::string(TEST_DATA_DIR) + "/ditto-schemas/examples/" + folder)) {
        std::ifstream in(e.path());
        std::stringstream ss;
        ss << in.rdbuf();
        auto v = json::parse(ss.str());
        if (v.is_object() && !v.as_object().contains("status"))
            out.push_back(v.as_object());  // commands, not responses
    }
    return out;
}

std::string action_of(const json::object& env) {
    const std::string t(env.at("topic").as_string());
    return t.substr(t.rfind('/') + 1);
}

}  // namespace

TEST_CASE("JSON pointers and thing ids") {
    CHECK(twin::json_pointer("/") == std::vector<std::string>{});
    CHECK(twin::json_pointer("/features/Container:1/properties/status/state") ==
          std::vector<std::string>{"features", "Container:1", "properties", "status", "state"});
    CHECK(twin::json_pointer("/a~1b/c~0d") == std::vector<std::string>{"a/b", "c~d"});
    CHECK(twin::thing_of_topic("org.acme/gw-1:dev-7:edge:containers/things/twin/commands/modify") ==
          "org.acme:gw-1:dev-7:edge:containers");
    CHECK_FALSE(twin::thing_of_topic("nothing"));
}

TEST_CASE("every modify/create example puts its value at its path") {
    int n = 0;
    for (const auto& env : examples("commands/modify")) {
        const auto action = action_of(env);
        if (action != "modify" && action != "create") continue;
        CAPTURE(json::serialize(env));
        twin::ditto_thing thing(*twin::thing_of_topic(env.at("topic").as_string()));
        CHECK(thing.apply(env).empty());
        const auto tokens = twin::json_pointer(env.at("path").as_string());
        const auto* got = twin::at_pointer(thing.value(), tokens);
        REQUIRE(got != nullptr);
        if (tokens.empty()) {
            for (const auto& [k, v] : env.at("value").as_object()) {
                if (k != "thingId")
                    CHECK(got->at(k) == v);  // some examples' thingId differs from their topic
            }
        } else {
            CHECK(*got == env.at("value"));
        }
        ++n;
    }
    CHECK(n >= 15);
}

TEST_CASE("every merge example merges, a null deletes") {
    int n = 0;
    for (const auto& env : examples("commands/merge")) {
        if (action_of(env) != "merge") continue;
        CAPTURE(json::serialize(env));
        twin::ditto_thing thing(*twin::thing_of_topic(env.at("topic").as_string()));
        const auto tokens = twin::json_pointer(env.at("path").as_string());
        // Something to merge into or delete first.
        json::object seed{
            {"topic", env.at("topic")}, {"path", env.at("path")}, {"value", json::object{{"old", 1}}}};
        seed["topic"] = std::string(env.at("topic").as_string())
                            .replace(std::string(env.at("topic").as_string()).rfind("merge"), 5, "modify");
        CHECK(thing.apply(seed).empty());
        CHECK(thing.apply(env).empty());
        const auto* got = twin::at_pointer(thing.value(), tokens);
        const auto& patch = env.at("value");
        if (patch.is_null()) {
            CHECK(got == nullptr);
        } else if (patch.is_object()) {
            REQUIRE(got != nullptr);
            for (const auto& [k, v] : patch.as_object()) {
                if (v.is_null())
                    CHECK_FALSE(got->as_object().contains(k));
                else if (!v.is_object())
                    CHECK(got->at(k) == v);
            }
            if (!tokens.empty()) CHECK(got->at("old") == 1);  // kept: merge, not replace
        } else {
            REQUIRE(got != nullptr);
            CHECK(*got == patch);
        }
        ++n;
    }
    CHECK(n > 15);
}

TEST_CASE("every delete example removes its path; events apply like commands") {
    int n = 0;
    for (const auto& env : examples("commands/modify")) {
        if (action_of(env) != "delete") continue;
        CAPTURE(json::serialize(env));
        twin::ditto_thing thing(*twin::thing_of_topic(env.at("topic").as_string()));
        const auto tokens = twin::json_pointer(env.at("path").as_string());
        json::object seed{{"topic", "org.eclipse.ditto/fancy-thing/things/twin/commands/modify"},
                          {"path", env.at("path")},
                          {"value", 7}};
        if (!tokens.empty()) CHECK(thing.apply(seed).empty());
        CHECK(thing.apply(env).empty());
        if (tokens.empty()) {
            CHECK(thing.value() == json::parse(R"({"thingId":"org.eclipse.ditto:fancy-thing"})"));
        } else {
            CHECK(twin::at_pointer(thing.value(), tokens) == nullptr);
        }
        ++n;
    }
    CHECK(n > 10);
    int events = 0;
    for (const auto& env : examples("events")) {
        const auto action = action_of(env);
        if (action != "created" && action != "modified" && action != "merged" && action != "deleted")
            continue;
        twin::ditto_thing thing(*twin::thing_of_topic(env.at("topic").as_string()));
        CHECK(thing.apply(env).empty());
        ++events;
    }
    CHECK(events > 40);
}

TEST_CASE("what the bridge publishes builds the thing; responses and live messages are not applied") {
    twin::ditto_thing thing("org.acme:gw-1:dev-7:edge:containers");
    const std::string topic = "org.acme/gw-1:dev-7:edge:containers/things/twin/commands/";
    CHECK(
        thing
            .apply(
                json::parse(
                    R"({"topic":")" + topic +
                    R"(modify","headers":{},"path":"/features/Container:a","value":{"definition":["x"],"properties":{"status":{"name":"a","state":{"status":"CREATED","pid":-1}}}}})")
                    .as_object())
            .empty());
    CHECK(
        thing
            .apply(
                json::parse(
                    R"({"topic":")" + topic +
                    R"(modify","headers":{},"path":"/features/Container:a/properties/status/state","value":{"status":"RUNNING","pid":7}})")
                    .as_object())
            .empty());
    CHECK(*twin::at_pointer(thing.value(),
                            twin::json_pointer("/features/Container:a/properties/status/state/status")) ==
          "RUNNING");
    CHECK(*twin::at_pointer(thing.value(),
                            twin::json_pointer("/features/Container:a/properties/status/name")) == "a");
    CHECK(thing
              .apply(json::parse(R"({"topic":")" + topic +
                                 R"(delete","headers":{},"path":"/features/Container:a"})")
                         .as_object())
              .empty());
    CHECK(twin::at_pointer(thing.value(), twin::json_pointer("/features/Container:a")) == nullptr);
    CHECK_FALSE(
        thing
            .apply(
                json::parse(
                    R"({"topic":"o/t/things/live/messages/data","headers":{},"path":"/features/Metrics/outbox/messages/data","value":{}})")
                    .as_object())
            .empty());
    CHECK_FALSE(
        thing
            .apply(json::parse(
                       R"({"topic":"o/t/things/twin/commands/modify","headers":{},"path":"/x","status":204})")
                       .as_object())
            .empty());
}
