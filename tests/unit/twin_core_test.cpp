// The twin core's registration and reads: inputs in, actions out, no I/O at all.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "core.hpp"
#include "core_steps.hpp"
#include "recording.hpp"

using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

using steps::identity_json;
using steps::only;
using steps::summary;
constexpr const char* topic = steps::event_topic;
constexpr const char* prefix = "/features/Container:";

json::value value_of(const twin::publish& p) {
    return json::parse(p.payload).at("value");
}

using steps::container;

// A core that is connected and registered with `containers`.
struct registered_core {
    twin::core core;
    twin::actions burst;

    explicit registered_core(std::vector<kcm::types::Container> containers, twin::core_config cfg = {},
                             std::optional<std::string> persisted = std::nullopt)
        : core(std::move(cfg)) {
        core.on_start();
        core.on_containers_listed({});
        core.on_connected();
        auto a = core.on_message("edge/thing/response", identity_json);
        auto reads = only<twin::read_file>(a);
        for (auto& x : core.on_containers_listed(containers)) burst.push_back(x);
        if (!reads.empty()) {
            for (auto& x : core.on_file_read(reads[0].path, persisted)) burst.push_back(x);
        }
        REQUIRE(core.registered());
    }
};

}  // namespace

TEST_CASE("on connect: subscribe edge/thing/response, then the identity request") {
    twin::core core({});
    auto a = core.on_connected();
    REQUIRE(a.size() == 2);
    CHECK(std::get<twin::subscribe>(a[0]).filter == "edge/thing/response");
    CHECK(std::get<twin::subscribe>(a[0]).qos == 1);
    const auto& req = std::get<twin::publish>(a[1]);
    CHECK(req.topic == "edge/thing/request");
    CHECK(req.payload == R"({"topic":"","headers":null,"path":""})");
    CHECK(req.qos == 1);
}

TEST_CASE("nothing is published without an identity") {
    twin::core core({});
    CHECK(only<twin::list_containers>(core.on_start()).size() == 1);
    auto a = core.on_containers_listed({container("a", "Running", 10)});
    CHECK(only<twin::publish>(a).empty());
    CHECK(only<twin::schedule_poll>(a).size() == 1);
    core.on_connected();
    CHECK(only<twin::publish>(core.on_container_read("a", container("a", "Stopped"))).empty());
    auto bad = core.on_message("edge/thing/response", "{oops");
    CHECK(only<twin::publish>(bad).empty());
    REQUIRE(only<twin::log>(bad).size() == 1);
    CHECK(only<twin::log>(bad)[0].level == twin::log_level::warn);
    CHECK_FALSE(core.registered());
}

TEST_CASE(
    "registration burst: Container features, stale deletes, ContainerFactory, SoftwareUpdatable, Metrics") {
    registered_core rc({container("b", "Running", 7), container("a", "Created")}, {},
                       R"({"gone":"Container:gone","a":"Container:a"})");
    CHECK(summary(rc.burst) ==
          std::vector<std::string>{"modify /features/Container:a", "modify /features/Container:b",
                                   "delete /features/Container:gone", "modify /features/ContainerFactory",
                                   "modify /features/SoftwareUpdatable", "modify /features/Metrics"});
    for (const auto& p : only<twin::publish>(rc.burst)) {
        CHECK(p.topic == topic);
        CHECK(p.qos == 1);
        CHECK(json::parse(p.payload).at("headers") == json::parse(R"({"response-required":false})"));
    }
    // Write-ahead: before anything is published the file names every feature that may exist in
    // the cloud. The stale one stays in it: this burst's delete may be lost with the process or
    // the broker; it leaves once the burst has been out for a whole poll interval.
    CHECK(std::holds_alternative<twin::write_file>(rc.burst.front()));
    auto writes = only<twin::write_file>(rc.burst);
    REQUIRE(writes.size() == 1);
    CHECK(writes[0].path ==
          "/var/lib/container-management/sup_back_org.acme_gw-1_dev-7_edge_containers.json");
    CHECK(writes[0].content == R"({"a":"Container:a","b":"Container:b","gone":"Container:gone"})");
    auto pubs = only<twin::publish>(rc.burst);
    CHECK(value_of(pubs[3]) ==
          json::parse(R"({"definition":["com.bosch.iot.suite.edge.containers:ContainerFactory:1.3.0"]})"));
    CHECK(value_of(pubs[4]).at("properties").at("status").at("installedDependencies").as_object().size() ==
          2);
    CHECK(value_of(pubs[5]) ==
          json::parse(R"({"definition":["com.bosch.iot.suite.edge.metric:Metrics:1.0.0"]})"));
}

TEST_CASE("registration with zero containers") {
    registered_core rc({});
    CHECK(summary(rc.burst) == std::vector<std::string>{"modify /features/ContainerFactory",
                                                        "modify /features/SoftwareUpdatable",
                                                        "modify /features/Metrics"});
    CHECK(value_of(only<twin::publish>(rc.burst)[1]) ==
          json::parse(R"({"definition":["org.eclipse.hawkbit.swupdatable:SoftwareUpdatable:2.0.0"],)"
                      R"("properties":{"status":{"softwareModuleType":"oci:container"}}})"));
    CHECK(only<twin::write_file>(rc.burst)[0].content == "null");
}

TEST_CASE("registration waits for both the List and the persistence file; a corrupt file is ignored") {
    twin::core core({});
    core.on_connected();
    auto a = core.on_message("edge/thing/response", identity_json);
    auto reads = only<twin::read_file>(a);
    REQUIRE(reads.size() == 1);
    CHECK(reads[0].legacy_path ==
          "/var/lib/container-management/sup_back_org.acme_gw-1:dev-7:edge:containers.json");
    REQUIRE(only<twin::list_containers>(a).size() == 1);
    auto after_file = core.on_file_read(reads[0].path, std::string("{corrupt"));
    CHECK(only<twin::publish>(after_file).empty());
    CHECK(only<twin::log>(after_file).at(0).level == twin::log_level::warn);
    auto after_list = core.on_containers_listed({container("a", "Running", 3)});
    CHECK(summary(after_list).size() == 4);
    CHECK(core.registered());
}

TEST_CASE("only the configured features are registered") {
    twin::core_config cfg;
    cfg.features = {"Metrics"};
    registered_core rc({container("a", "Running", 3)}, cfg);
    CHECK(summary(rc.burst) == std::vector<std::string>{"modify /features/Metrics"});
    CHECK(only<twin::write_file>(rc.burst).empty());
    CHECK(only<twin::publish>(rc.core.on_containers_listed({})).empty());

    cfg.features = {};
    registered_core none({container("a", "Running", 3)}, cfg);
    CHECK(only<twin::publish>(none.burst).empty());
}

TEST_CASE("container changes map to Kanto's messages in order (things.md §6.4)") {
    registered_core rc({container("a", "Running", 10)});
    auto& core = rc.core;

    SUBCASE("created: full feature, state, persistence, installedDependencies") {
        auto a = core.on_container_read("b", container("b", "Created"));
        CHECK(summary(a) ==
              std::vector<std::string>{
                  "modify /features/Container:b", "modify /features/Container:b/properties/status/state",
                  "modify /features/SoftwareUpdatable/properties/status/installedDependencies"});
        CHECK(value_of(only<twin::publish>(a)[1]) == json::parse(R"({"status":"CREATED","pid":-1})"));
        CHECK(only<twin::write_file>(a).at(0).content == R"({"a":"Container:a","b":"Container:b"})");
    }
    SUBCASE("state changes: pause, resume, stop") {
        auto paused = container("a", "Paused", 10);
        auto a = core.on_container_read("a", paused);
        CHECK(summary(a) == std::vector<std::string>{"modify /features/Container:a/properties/status/state"});
        CHECK(value_of(only<twin::publish>(a)[0]) == json::parse(R"({"status":"PAUSED","pid":10})"));
        CHECK(only<twin::publish>(core.on_container_read("a", paused)).empty());  // unchanged: nothing
        auto stopped = container("a", "Stopped");
        stopped.mutable_state()->set_exit_code(143);
        a = core.on_container_read("a", stopped);
        CHECK(value_of(only<twin::publish>(a)[0]) ==
              json::parse(R"({"status":"STOPPED","pid":-1,"exitCode":143})"));
    }
    SUBCASE("rename: status/name only") {
        auto c = container("a", "Running", 10);
        c.set_name("renamed");
        auto a = core.on_container_read("a", c);
        CHECK(summary(a) == std::vector<std::string>{"modify /features/Container:a/properties/status/name"});
        CHECK(value_of(only<twin::publish>(a)[0]) == json::value("renamed"));
    }
    SUBCASE("update: the whole status/config") {
        auto c = container("a", "Running", 10);
        c.mutable_host_config()->mutable_restart_policy()->set_type("always");
        c.mutable_host_config()->mutable_resources()->set_memory("90M");
        auto a = core.on_container_read("a", c);
        CHECK(summary(a) ==
              std::vector<std::string>{"modify /features/Container:a/properties/status/config"});
        CHECK(
            value_of(only<twin::publish>(a)[0]) ==
            json::parse(
                R"({"restartPolicy":{"type":"ALWAYS"},"networkMode":"BRIDGE","resources":{"memory":"90M"}})"));
    }
    SUBCASE(
        "removed: DEAD keeping the last fields, delete, persistence; null dependencies for the last one") {
        auto a = core.on_container_read("a", std::nullopt);
        CHECK(summary(a) ==
              std::vector<std::string>{
                  "modify /features/Container:a/properties/status/state", "delete /features/Container:a",
                  "modify /features/SoftwareUpdatable/properties/status/installedDependencies"});
        auto pubs = only<twin::publish>(a);
        CHECK(value_of(pubs[0]) == json::parse(R"({"status":"DEAD","pid":10})"));
        CHECK(value_of(pubs[2]).is_null());
        // Unlike Kanto, the id stays in the persistence file until the next burst: a delete lost
        // with the connection or the process is sent again then.
        CHECK(only<twin::write_file>(a).empty());
        CHECK(only<twin::publish>(core.on_container_read("a", std::nullopt)).empty());
    }
    SUBCASE("a container seen Dead before it disappears gets one DEAD, not two") {
        auto a = core.on_container_read("a", container("a", "Dead", 10));
        CHECK(summary(a) == std::vector<std::string>{"modify /features/Container:a/properties/status/state"});
        a = core.on_container_read("a", std::nullopt);
        CHECK(summary(a) ==
              std::vector<std::string>{
                  "delete /features/Container:a",
                  "modify /features/SoftwareUpdatable/properties/status/installedDependencies"});
    }
    SUBCASE("a List diff: removed, created and changed at once, in id order") {
        auto a = core.on_containers_listed({container("c", "Created"), container("b", "Running", 5)});
        auto s = summary(a);
        REQUIRE(s.size() == 9);
        CHECK(s[0] == "modify /features/Container:a/properties/status/state");
        CHECK(s[1] == "delete /features/Container:a");
        CHECK(s[3] == "modify /features/Container:b");
        CHECK(s[6] == "modify /features/Container:c");
    }
}

TEST_CASE("identity repeats and changes (things.md §2.4)") {
    registered_core rc({container("a", "Running", 10)});
    auto& core = rc.core;
    CHECK(core.on_message("edge/thing/response", identity_json).size() == 1);  // a debug log only
    CHECK(only<twin::publish>(core.on_message("edge/thing/response", identity_json)).empty());

    SUBCASE("policy change: everything again on the same topic") {
        auto a = core.on_message("edge/thing/response",
                                 R"({"deviceId":"org.acme:gw-1:dev-7","tenantId":"t1","policyId":"p2"})");
        auto reads = only<twin::read_file>(a);
        REQUIRE(reads.size() == 1);
        auto b = core.on_containers_listed({container("a", "Running", 10)});
        auto c = core.on_file_read(reads[0].path, std::nullopt);
        CHECK(summary(c).size() == 4);
        CHECK(only<twin::publish>(c).at(0).topic == topic);
    }
    SUBCASE("device change: a new thing on a new topic") {
        auto a = core.on_message("edge/thing/response", R"({"deviceId":"org.acme:gw-9","tenantId":"t2"})");
        core.on_file_read(only<twin::read_file>(a).at(0).path, std::nullopt);
        auto b = core.on_containers_listed({container("a", "Running", 10)});
        auto pubs = only<twin::publish>(b);
        REQUIRE(pubs.size() == 4);
        CHECK(pubs[0].topic == "e/t2/org.acme:gw-9:edge:containers");
        CHECK(json::parse(pubs[0].payload).at("topic") ==
              "org.acme/gw-9:edge:containers/things/twin/commands/modify");
        CHECK(only<twin::write_file>(b).at(0).path ==
              "/var/lib/container-management/sup_back_org.acme_gw-9_edge_containers.json");
    }
    SUBCASE("a burst's deletes are repeated until a whole poll interval has passed without a reconnect") {
        // Published while the link was going down (or just before a SIGKILL), the delete of "a" may
        // never have reached the cloud; the persistence file still names it until the next burst.
        core.on_container_read("a", std::nullopt);
        auto burst = [&](const std::string& policy, const std::string& file) {
            auto a = core.on_message(
                "edge/thing/response",
                R"({"deviceId":"org.acme:gw-1:dev-7","tenantId":"t1","policyId":")" + policy + R"("})");
            core.on_containers_listed({});
            auto out = core.on_file_read(only<twin::read_file>(a).at(0).path, file);
            const auto lines = summary(out);
            return std::make_pair(std::count(lines.begin(), lines.end(), "delete /features/Container:a"),
                                  only<twin::write_file>(out).back().content);
        };
        auto [deletes, written] = burst("p3", R"({"a":"Container:a"})");
        CHECK(deletes == 1);
        // Still in the file: a daemon killed before this delete went out (or a broker that
        // restarted before delivering it) deletes it again at its next start.
        CHECK(written == R"({"a":"Container:a"})");
        // One tick, then the connection is lost: not confirmed, and the next burst deletes it again.
        CHECK(only<twin::write_file>(core.on_poll_due()).empty());
        core.on_disconnected();
        CHECK(only<twin::write_file>(core.on_poll_due()).empty());
        core.on_connected();
        std::tie(deletes, written) = burst("p4", written);
        CHECK(deletes == 1);
        CHECK(written == R"({"a":"Container:a"})");
        // Two ticks in the same session: the burst was out for a whole poll interval; it is dropped.
        CHECK(only<twin::write_file>(core.on_poll_due()).empty());
        const auto writes = only<twin::write_file>(core.on_poll_due());
        REQUIRE(writes.size() == 1);
        CHECK(writes[0].content == "null");
        CHECK(burst("p5", "null").first == 0);
    }
    SUBCASE("an identity without deviceId, or too large, changes nothing and says why") {
        for (const std::string& bad :
             {std::string("{}"), R"({"tenantId":"t9"})" + std::string(300 * 1024, ' ')}) {
            auto a = core.on_message("edge/thing/response", bad);
            REQUIRE(a.size() == 1);
            const auto& l = std::get<twin::log>(a[0]);
            CHECK(l.level == twin::log_level::warn);
            CHECK(l.text.find("edge/thing/response") != std::string::npos);
        }
        CHECK(core.registered());
        CHECK(only<twin::publish>(core.on_message("edge/thing/response", identity_json))
                  .empty());  // still the same
    }
    SUBCASE("a reconnect forgets the identity: the next one registers again") {
        core.on_disconnected();
        CHECK_FALSE(core.registered());
        core.on_connected();
        auto a = core.on_message("edge/thing/response", identity_json);
        CHECK(only<twin::read_file>(a).size() == 1);
    }
}

TEST_CASE("reads: one at a time, hints become Gets, many hints one List") {
    twin::core_config cfg;
    cfg.list_threshold = 2;
    twin::core core(cfg);
    auto a = core.on_start();
    REQUIRE(only<twin::list_containers>(a).size() == 1);
    CHECK(core.on_container_hint("x").empty());  // a read is in flight
    CHECK(core.on_container_hint("y").empty());
    a = core.on_containers_listed({});
    REQUIRE(only<twin::get_container>(a).size() == 1);
    CHECK(only<twin::get_container>(a)[0].id == "x");
    a = core.on_container_read("x", std::nullopt);
    CHECK(only<twin::get_container>(a).at(0).id == "y");
    a = core.on_container_read("y", std::nullopt);
    REQUIRE(only<twin::schedule_poll>(a).size() == 1);
    CHECK(only<twin::schedule_poll>(a)[0].after == 1000ms);
    CHECK(only<twin::get_container>(core.on_container_hint("z")).size() == 1);
    core.on_container_hint("1");
    core.on_container_hint("2");
    core.on_container_hint("3");
    a = core.on_container_read("z", std::nullopt);
    CHECK(only<twin::list_containers>(a).size() == 1);  // more than the threshold
    a = core.on_containers_listed({});
    CHECK(only<twin::schedule_poll>(a).empty());  // a poll is already armed
    a = core.on_poll_due();
    CHECK(only<twin::list_containers>(a).size() == 1);
}

TEST_CASE("Kanto-CM unreachable: log once, capped back-off, diff on return") {
    twin::core_config cfg;
    cfg.poll_interval = 1000ms;
    cfg.max_backoff = 5000ms;
    registered_core rc({container("a", "Running", 10), container("b", "Running", 11)}, cfg);
    auto& core = rc.core;
    std::vector<std::chrono::milliseconds> delays;
    int warnings = 0;
    for (int i = 0; i < 5; ++i) {
        core.on_poll_due();
        auto a = core.on_kanto_failed("connection refused");
        delays.push_back(only<twin::schedule_poll>(a).at(0).after);
        warnings += static_cast<int>(only<twin::log>(a).size());
        CHECK(only<twin::publish>(a).empty());
    }
    CHECK(warnings == 1);
    CHECK(delays == std::vector<std::chrono::milliseconds>{2000ms, 4000ms, 5000ms, 5000ms, 5000ms});
    CHECK(core.on_container_hint("a").empty());  // no extra retries while down
    auto a = core.on_poll_due();
    REQUIRE(only<twin::list_containers>(a).size() == 1);
    a = core.on_containers_listed({container("a", "Running", 10)});
    CHECK(only<twin::log>(a).at(0).text == "Kanto-CM is reachable again");
    CHECK(summary(a) == std::vector<std::string>{
                            "modify /features/Container:b/properties/status/state",
                            "delete /features/Container:b",
                            "modify /features/SoftwareUpdatable/properties/status/installedDependencies"});
    CHECK(only<twin::schedule_poll>(a).at(0).after == 1000ms);
}

TEST_CASE("lost outbound messages: everything is published again") {
    registered_core rc({container("a", "Running", 10)});
    auto a = rc.core.on_resync_needed();
    CHECK(only<twin::read_file>(a).size() == 1);
    CHECK_FALSE(rc.core.registered());
}

TEST_CASE("the real recording's containers give the recorded burst, message for message") {
    registered_core rc(recording::snapshot("a3-create-created-only"));
    std::multiset<std::string> ours, theirs;
    for (const auto& p : only<twin::publish>(rc.burst)) ours.insert(json::serialize(json::parse(p.payload)));
    for (const auto& m : recording::messages("b1-identity", "e/")) {
        theirs.insert(json::serialize(json::parse(json::serialize(m))));
    }
    // installedDependencies key order differs between runs of the real daemon: compare parsed values.
    REQUIRE(ours.size() == theirs.size());
    std::vector<json::value> a, b;
    for (auto& s : ours) a.push_back(json::parse(s));
    for (auto& s : theirs) b.push_back(json::parse(s));
    for (const auto& x : a) CHECK(std::count(b.begin(), b.end(), x) == 1);
}
