// Value mappings of the twin core: durations, thing ids, identity, dependencies, persistence, and
// the Container feature JSON compared with what the real Kanto-CM published (tests/data/conformance).
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "container_mapping.hpp"
#include "dependencies.hpp"
#include "envelope.hpp"
#include "go_duration.hpp"
#include "identity.hpp"
#include "persistence.hpp"
#include "recording.hpp"
#include "thing_id.hpp"

using namespace std::chrono_literals;
namespace json = boost::json;

TEST_CASE("Go durations") {
    CHECK(kanto::parse_go_duration("20s") == 20s);
    CHECK(kanto::parse_go_duration("250ms") == 250ms);
    CHECK(kanto::parse_go_duration("1m30s") == 90s);
    CHECK(kanto::parse_go_duration("1.5h") == 90min);
    CHECK(kanto::parse_go_duration("-2s") == -2s);
    CHECK(kanto::parse_go_duration("0") == 0s);
    CHECK(kanto::parse_go_duration("10us") == 10us);
    CHECK(kanto::parse_go_duration(".5s") == 500ms);
    CHECK_FALSE(kanto::parse_go_duration(""));
    CHECK_FALSE(kanto::parse_go_duration("20"));
    CHECK_FALSE(kanto::parse_go_duration("abc"));
    CHECK_FALSE(kanto::parse_go_duration("5d"));
    CHECK_FALSE(kanto::parse_go_duration("invalid frequency"));
    CHECK_FALSE(kanto::parse_go_duration("1s2"));
}

TEST_CASE("thing ids: <deviceId>:edge:containers, namespace before the first ':'") {
    auto t = twin::containers_thing("org.acme:gw-1:dev-7");
    CHECK(t.ns == "org.acme");
    CHECK(t.name == "gw-1:dev-7:edge:containers");
    CHECK(t.str() == "org.acme:gw-1:dev-7:edge:containers");
    CHECK(t.topic_prefix() == "org.acme/gw-1:dev-7:edge:containers");
    CHECK(twin::containers_thing("dev7").str() == "dev7::edge:containers");
    CHECK(twin::containers_thing("dev7").name == ":edge:containers");
    CHECK(twin::containers_thing("").str() == "::edge:containers");
    CHECK(twin::event_topic("t1", t) == "e/t1/org.acme:gw-1:dev-7:edge:containers");
    CHECK(twin::event_topic("", t) == "e//org.acme:gw-1:dev-7:edge:containers");
}

TEST_CASE("identity payloads and how a new one relates to the current one") {
    auto ok = twin::parse_identity(R"({"deviceId":"a:b","tenantId":"t","policyId":"p"})");
    REQUIRE(std::holds_alternative<twin::identity>(ok));
    CHECK(std::get<twin::identity>(ok) == twin::identity{"a:b", "t", "p"});
    auto minimal = twin::parse_identity(R"({"deviceId":"a:b","tenantId":"t","extra":1})");
    REQUIRE(std::holds_alternative<twin::identity>(minimal));
    CHECK(std::get<twin::identity>(minimal).policy_id.empty());
    CHECK(std::holds_alternative<std::string>(twin::parse_identity("{not json")));
    CHECK(std::holds_alternative<std::string>(twin::parse_identity("[1,2]")));
    CHECK(std::get<std::string>(twin::parse_identity(R"({"deviceId":7})")) == "deviceId is not a string");
    // Refused: no thing to register, or ids that would break the event topic.
    CHECK(std::get<std::string>(twin::parse_identity("{}")) == "no deviceId");
    CHECK(std::get<std::string>(twin::parse_identity(R"({"deviceId":"","tenantId":"t"})")) == "no deviceId");
    for (const char* bad :
         {R"({"deviceId":"a/b","tenantId":"t"})", R"({"deviceId":"a#","tenantId":"t"})",
          R"({"deviceId":"a","tenantId":"t+"})", R"({"deviceId":"a\u0001b","tenantId":"t"})"}) {
        CAPTURE(bad);
        CHECK(std::get<std::string>(twin::parse_identity(bad)).find("cannot be used in an MQTT topic") !=
              std::string::npos);
    }

    const twin::identity cur{"a:b", "t", "p"};
    CHECK(twin::classify(nullptr, cur) == twin::identity_change::first);
    CHECK(twin::classify(&cur, cur) == twin::identity_change::same);
    CHECK(twin::classify(&cur, {"a:b", "t", "q"}) == twin::identity_change::policy_changed);
    CHECK(twin::classify(&cur, {"a:c", "t", "p"}) == twin::identity_change::thing_changed);
    CHECK(twin::classify(&cur, {"a:b", "u", "p"}) == twin::identity_change::thing_changed);
}

TEST_CASE("installedDependencies keys keep Kanto's quirks (things.md §6.5.1)") {
    const std::string id = "ID";
    auto key = [&](const char* image) { return twin::dependency_of(id, image).first; };
    CHECK(key("ghcr.io/eclipse/kuksa.val/databroker:0.2.5") ==
          "ghcr.io%2Feclipse%2Fkuksa.val%2Fdatabroker.ID:0.2.5");
    CHECK(key("nginx") == "nginx.ID:");
    CHECK(key("localhost:5000/app:1.0") == "localhost.ID:5000%2Fapp:1.0");
    CHECK(key("docker.io/library/redis@sha256:ab12") == "docker.io%2Flibrary%2Fredis@sha256.ID:ab12");
    CHECK(key("repo/app:1.0@sha256:ab12") == "repo%2Fapp.ID:1.0@sha256:ab12");
    auto value = twin::dependency_of(id, "localhost:5000/app:1.0").second;
    CHECK(json::serialize(value) == R"({"group":"localhost","name":"ID","version":"5000/app:1.0"})");
    CHECK(json::serialize(twin::dependency_of(id, "nginx").second) ==
          R"({"group":"nginx","name":"ID","version":""})");
    CHECK(twin::installed_dependencies({}).is_null());
}

TEST_CASE("persistence file names and content (things.md §11)") {
    const auto t = twin::containers_thing("org.acme:gw-1:dev-7");
    CHECK(twin::persistence_path("/var/lib/cm", t) ==
          "/var/lib/cm/sup_back_org.acme_gw-1_dev-7_edge_containers.json");
    CHECK(twin::legacy_persistence_path("/var/lib/cm", t) ==
          "/var/lib/cm/sup_back_org.acme_gw-1:dev-7:edge:containers.json");
    CHECK(std::get<std::set<std::string>>(twin::parse_persisted("")).empty());
    CHECK(std::get<std::set<std::string>>(twin::parse_persisted("null")).empty());
    CHECK(std::get<std::set<std::string>>(twin::parse_persisted(
              R"({"a":"Container:a","b":"Container:b"})")) == std::set<std::string>{"a", "b"});
    CHECK(std::holds_alternative<std::string>(twin::parse_persisted("{broken")));
    CHECK(std::holds_alternative<std::string>(twin::parse_persisted(R"({"a":1})")));
    CHECK(twin::serialize_persisted({}, true) == "null");
    CHECK(twin::serialize_persisted({}, false) == "{}");
    CHECK(twin::serialize_persisted({"a"}, true) == R"({"a":"Container:a"})");
}

TEST_CASE("Container features equal the real daemon's registration burst (recording b1)") {
    const auto containers = recording::snapshot("a3-create-created-only");
    REQUIRE(containers.size() == 3);
    std::map<std::string, json::object> recorded;
    for (const auto& m : recording::messages("b1-identity", "e/")) {
        const std::string path(m.at("path").as_string());
        if (path.rfind("/features/Container:", 0) == 0) recorded[path.substr(20)] = m.at("value").as_object();
    }
    REQUIRE(recorded.size() == 3);
    for (const auto& c : containers) {
        CAPTURE(c.name());
        REQUIRE(recorded.count(c.id()) == 1);
        CHECK(json::serialize(twin::container_feature_json(c)) == json::serialize(recorded[c.id()]));
    }
}

TEST_CASE("SoftwareUpdatable installedDependencies equal the recording (keys sorted)") {
    const auto containers = recording::snapshot("a3-create-created-only");
    std::vector<const kcm::types::Container*> ptrs;
    for (const auto& c : containers) ptrs.push_back(&c);
    json::value recorded;
    for (const auto& m : recording::messages("b1-identity", "e/")) {
        if (m.at("path").as_string() == "/features/SoftwareUpdatable") {
            recorded = m.at("value").at("properties").at("status").at("installedDependencies");
        }
    }
    CHECK(twin::installed_dependencies(ptrs) == recorded);  // json::object equality ignores key order
}

TEST_CASE("state JSON: omit rules, pid -1, enum table F") {
    kcm::types::State s;
    s.set_status("Running");
    s.set_pid(4711);
    s.set_started_at("2024-03-01T10:11:14.000000001Z");
    CHECK(json::serialize(twin::container_state_json(s)) ==
          R"({"status":"RUNNING","pid":4711,"startedAt":"2024-03-01T10:11:14.000000001Z"})");
    s.Clear();
    s.set_status("Exited");
    s.set_pid(-1);
    s.set_exit_code(137);
    s.set_error("OOM Killed");
    s.set_oomkilled(true);
    s.set_finished_at("x");
    CHECK(
        json::serialize(twin::container_state_json(s)) ==
        R"({"status":"EXITED","pid":-1,"error":"OOM Killed","exitCode":137,"finishedAt":"x","oomKilled":true})");
    s.Clear();
    s.set_status("weird");
    CHECK(json::serialize(twin::container_state_json(s)) == R"({"status":"UNKNOWN"})");
    for (auto [in, out] : {std::pair{"Creating", "CREATING"},
                           {"Created", "CREATED"},
                           {"Stopped", "STOPPED"},
                           {"Paused", "PAUSED"},
                           {"Dead", "DEAD"},
                           {"Unknown", "UNKNOWN"}}) {
        CHECK(twin::status_to_twin(in) == out);
    }
}

TEST_CASE("config JSON: enum tables A-E, pass-through, uint16 ports, omit rules") {
    CHECK(twin::restart_policy_to_twin("on-failure") == "ON_FAILURE");
    CHECK(twin::restart_policy_to_twin("sometimes") == "sometimes");
    CHECK(twin::network_mode_to_twin("host") == "HOST");
    CHECK(twin::network_mode_to_twin("none") == "none");
    CHECK(twin::log_type_to_twin("none") == "NONE");
    CHECK(twin::log_mode_to_twin("non-blocking") == "NON_BLOCKING");
    for (auto [in, out] : {std::pair{"rprivate", "RPRIVATE"},
                           {"private", "PRIVATE"},
                           {"rshared", "RSHARED"},
                           {"shared", "SHARED"},
                           {"rslave", "RSLAVE"},
                           {"slave", "SLAVE"},
                           {"bogus", "RPRIVATE"},
                           {"", "RPRIVATE"}}) {
        CHECK(twin::propagation_to_twin(in) == out);
    }

    kcm::types::Container c;
    CHECK(json::serialize(twin::container_config_json(c)) == "{}");
    auto* hc = c.mutable_host_config();
    hc->set_privileged(true);
    hc->add_extra_capabilities("CAP_NET_ADMIN");  // hidden while privileged
    auto* pm = hc->add_port_mappings();
    pm->set_host_port(65536 + 80);  // truncated to uint16 like Kanto
    pm->set_container_port(80);
    c.mutable_io_config()->set_open_stdin(true);
    c.mutable_io_config()->set_tty(true);
    c.mutable_image()->mutable_decrypt_config()->add_keys("k1");
    hc->mutable_restart_policy()->set_type("no");
    hc->mutable_resources();
    CHECK(
        json::serialize(twin::container_config_json(c)) ==
        R"({"decryption":{"keys":["k1"]},"privileged":true,"restartPolicy":{"type":"NO"},)"
        R"("portMappings":[{"hostPort":80,"containerPort":80}],"openStdin":true,"tty":true,"resources":{}})");
    hc->set_privileged(false);
    CHECK(twin::container_config_json(c).at("extraCapabilities") == json::array{"CAP_NET_ADMIN"});
}

TEST_CASE("outbound twin commands: key order and headers (things.md §4.3)") {
    const auto t = twin::containers_thing("org.acme:gw-1:dev-7");
    CHECK(
        twin::twin_modify(t, "/features/Metrics", json::object{{"definition", json::array{"x"}}}) ==
        R"({"topic":"org.acme/gw-1:dev-7:edge:containers/things/twin/commands/modify",)"
        R"("headers":{"response-required":false},"path":"/features/Metrics","value":{"definition":["x"]}})");
    CHECK(twin::twin_modify(t, "/p", nullptr).find(R"("value":null)") != std::string::npos);
    CHECK(twin::twin_delete(t, "/features/Container:x") ==
          R"({"topic":"org.acme/gw-1:dev-7:edge:containers/things/twin/commands/delete",)"
          R"("headers":{"response-required":false},"path":"/features/Container:x"})");
}
