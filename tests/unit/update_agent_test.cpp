// The update agent core: the conformance vectors of Kanto's container update agent, every
// command's rules and texts, the allowed fixes, bad input and "fail at every step".
#include <doctest/doctest.h>

#include "../update_agent_vectors.hpp"
#include "component_config.hpp"
#include "go_duration.hpp"
#include "image_version.hpp"
#include "inventory.hpp"
#include "topics.hpp"
#include "update_agent_steps.hpp"

using namespace steps;
namespace json = boost::json;
namespace ua = update_agent;

namespace {

constexpr const char* check_text =
    "No changes detected, existing container will be check only if it is running.";
constexpr const char* create_text = "New container will be created and started.";
constexpr const char* recreate_text = "Existing container will be destroyed and replaced by a new one.";
constexpr const char* update_text = "Existing container will be updated with new configuration.";
constexpr const char* destroy_text = "Existing container will be destroyed, no longer needed.";

std::string image(const std::string& ref) {
    return R"([{"key":"image","value":")" + ref + R"("}])";
}

ua::agent_config with_system(std::vector<std::string> names) {
    ua::agent_config c;
    c.system_containers = std::move(names);
    return c;
}

}  // namespace

TEST_CASE("vector 1: an empty desired state fails identification once, without actions") {
    ua_world w;
    auto out = w.send("containersupdate/desiredstate", "{}");
    REQUIRE(out.size() == 1);
    CHECK(
        json::serialize(out[0].at("payload")) ==
        R"({"status":"IDENTIFICATION_FAILED","message":"one domain expected in desired state specification, but got 0"})");
    CHECK(out[0].at("activityId") == "");
    CHECK(w.published[0].topic == "containersupdate/desiredstatefeedback");
    CHECK_FALSE(w.published[0].retain);
}

TEST_CASE("vector 2: nothing desired and nothing there: IDENTIFYING, IDENTIFIED, COMPLETED, no operation") {
    ua_world w;
    auto out = w.desired(domain_payload({}));
    CHECK(statuses(out) == std::vector<std::string>{"IDENTIFYING", "IDENTIFIED", "COMPLETED"});
    CHECK_FALSE(out[1].at("payload").as_object().contains("actions"));
    CHECK(w.agent.current_operation() == nullptr);
    CHECK(w.command("DOWNLOAD").empty());  // no operation: ignored
}

TEST_CASE("vector 3: an existing container nobody wants is destroyed; the operation is kept") {
    ua_world w;
    w.add("test-container", "test-container:1.2.3");
    auto out = w.desired(domain_payload({}));
    REQUIRE(statuses(out) == std::vector<std::string>{"IDENTIFYING", "IDENTIFIED"});
    CHECK(
        json::serialize(out[1].at("payload")) ==
        R"({"status":"IDENTIFIED","actions":[{"component":{"id":"containers:test-container","version":"1.2.3"},"status":"IDENTIFIED","message":")" +
            std::string(destroy_text) + R"("}]})");
    REQUIRE(w.agent.current_operation() != nullptr);
}

TEST_CASE("vector 4: a system container gets no action; new and unchanged ones do") {
    ua_world w(with_system({"syslib"}));
    w.add("syslib", "syslib:1.0.0");
    w.add("test-container2", "test-container2:11.22.33");
    auto out = w.desired(
        domain_payload({component("syslib", "1.2.0", image("syslib:1.2.0")),
                        component("test-container", "1.2.3", image("test-container:1.2.3")),
                        component("test-container2", "11.22.33", image("test-container2:11.22.33"))}));
    REQUIRE(out.size() == 2);
    CHECK(action_lines(out[1]) ==
          std::vector<std::string>{"containers:test-container IDENTIFIED " + std::string(create_text),
                                   "containers:test-container2 IDENTIFIED " + std::string(check_text)});
    CHECK(w.kanto.containers.size() == 2);
}

TEST_CASE("vector 5: the five-container fixture through every phase, with baselines") {
    ua_world w;
    const auto c1 = w.add("c1", "c1:1", "Paused");
    const auto c2 = w.add("c2", "c2:1");
    const auto c3 = w.add("c3", "c3:1");
    const auto c5 = w.add("c5", "c5:1", "Stopped");
    auto out = w.desired(domain_payload(
        {component("c1", "1", image("c1:1")), component("c2", "2", image("c2:2")),
         component("c3", "1", R"([{"key":"image","value":"c3:1"},{"key":"restartPolicy","value":"no"}])"),
         component("c4", "1", image("c4:1"))},
        "[]",
        R"([{"title":"a","components":["containers:c1","containers:c2"]},
                                            {"title":"b","components":["containers:c3","containers:c4"]}])"));
    REQUIRE(statuses(out) == std::vector<std::string>{"IDENTIFYING", "IDENTIFIED"});
    CHECK(action_lines(out[1]) == vectors::fixture_identified);
    const auto* op = w.agent.current_operation();
    REQUIRE(op != nullptr);
    std::vector<std::string> titles;
    for (const auto& b : op->baselines) titles.push_back(b.title);
    CHECK(titles == std::vector<std::string>{"a", "b", "containers:remove-components"});

    out = w.command("DOWNLOAD");
    CHECK(statuses(out) == std::vector<std::string>{"DOWNLOADING", "DOWNLOADING", "DOWNLOAD_SUCCESS"});
    CHECK(action_lines(out[0])[1] == "containers:c2 DOWNLOADING " + std::string(recreate_text));
    CHECK(action_lines(out[1])[1] == "containers:c2 DOWNLOAD_SUCCESS New container created.");
    CHECK(action_lines(out[2])[3] == "containers:c4 DOWNLOAD_SUCCESS New container created.");
    CHECK(w.kanto.containers.size() == 6);
    for (const auto& [id, c] : w.kanto.containers) {
        if (c.name() == "c4") CHECK(c.state().status() == "Created");  // created, not started
    }

    out = w.command("UPDATE");
    CHECK(statuses(out) == std::vector<std::string>{"UPDATING", "UPDATING", "UPDATING", "UPDATE_SUCCESS"});
    CHECK(action_lines(out.back()) ==
          std::vector<std::string>{
              "containers:c1 IDENTIFIED " + std::string(check_text),
              "containers:c2 UPDATE_SUCCESS Old container instance is stopped.",
              "containers:c3 UPDATE_SUCCESS Container instance is updated with new configuration.",
              "containers:c4 DOWNLOAD_SUCCESS New container created.",
              "containers:c5 UPDATE_SUCCESS Old container instance is stopped."});
    CHECK(w.kanto.containers.at(c2.id()).state().status() == "Stopped");
    CHECK(w.kanto.containers.at(c3.id()).host_config().restart_policy().type() == "no");

    out = w.command("ACTIVATE");
    CHECK(statuses(out) == std::vector<std::string>{"ACTIVATING", "ACTIVATING", "ACTIVATING", "ACTIVATING",
                                                    "ACTIVATION_SUCCESS"});
    CHECK(action_lines(out.back()) == vectors::fixture_activated);
    CHECK(w.kanto.containers.at(c1.id()).state().status() == "Running");  // unpaused

    out = w.command("CLEANUP");
    CHECK(statuses(out) == std::vector<std::string>{"CLEANUP_SUCCESS", "COMPLETED"});
    CHECK(action_lines(out.back()).back() ==
          "containers:c5 REMOVAL_SUCCESS Old container instance is removed.");
    CHECK(w.kanto.containers.count(c2.id()) == 0);
    CHECK(w.kanto.containers.count(c5.id()) == 0);
    CHECK(w.kanto.containers.size() == 4);
    CHECK(w.agent.current_operation() == nullptr);
    CHECK(w.command("CLEANUP").empty());  // the operation is over: ignored
}

TEST_CASE("vector 6: the domain's systemContainers replace the configured ones for that desired state") {
    ua_world w(with_system({"configured"}));
    w.add("configured", "configured:1");
    w.add("sys-container-1", "s:1");
    w.add("corelib", "c:1");
    auto out =
        w.desired(domain_payload({}, R"([{"key":"systemContainers","value":"sys-container-1, corelib"}])"));
    CHECK(action_lines(out[1]) ==
          std::vector<std::string>{"containers:configured IDENTIFIED " + std::string(destroy_text)});
    ua::desired_state ds;
    REQUIRE(ua::decode_desired_state(
                json::parse(
                    domain_payload({}, R"([{"key":"systemContainers","value":"sys-container-1, corelib"}])")),
                ds)
                .empty());
    ua::prepared_state p;
    REQUIRE(ua::prepare(ds, "containers", {}, p).empty());
    CHECK(p.system_containers == std::vector<std::string>{"sys-container-1", "corelib"});
}

TEST_CASE("vector 7: malformed device, port and mount are dropped; booleans and integers as Go parses them") {
    ua::component c{"sensor",
                    "2.0",
                    {{"image", "localhost:5000/sensor:2.0"},
                     {"device", "/dev/xyz"},
                     {"port", "123.456.789.000:80:80"},
                     {"mount", "/TMP"},
                     {"terminal", "YES"},
                     {"interactive", "1"},
                     {"restartPolicy", "on-failure"},
                     {"restartTimeout", "X"}}};
    auto conv = ua::to_container(c);
    REQUIRE(conv.error.empty());
    CHECK(conv.warnings.size() == 5);
    const auto& x = conv.container;
    CHECK(x.host_config().devices_size() == 0);
    CHECK(x.host_config().port_mappings_size() == 0);
    CHECK(x.mounts_size() == 0);
    CHECK_FALSE(x.io_config().tty());
    CHECK(x.io_config().open_stdin());
    CHECK(x.host_config().restart_policy().retry_timeout() == 0);
    CHECK(x.name() == "sensor");
    CHECK(x.domain_name() == "sensor-domain");
    CHECK(x.host_name() == "sensor-host");
    CHECK(x.host_config().log_config().driver_config().max_size() == "100M");
    CHECK_FALSE(x.has_config());
    CHECK_FALSE(x.host_config().has_resources());
}

TEST_CASE("component config: every key, the defaults, and Kanto's validation texts") {
    ua::component c{"web",
                    "1.0",
                    {{"port", "127.0.0.1:8080-8081:80/udp"},
                     {"port", "70000:80"},
                     {"device", "/dev/ttyUSB0:/dev/ttyUSB0:rw"},
                     {"mount", "/data:/var/data"},
                     {"host", "mqtt:host_ip"},
                     {"env", "A=1"},
                     {"cmd", "--x"},
                     {"cmd", "1"},
                     {"network", "bridge"},
                     {"logMode", "non-blocking"},
                     {"memory", "200M"},
                     {"restartPolicy", "on-failure"},
                     {"restartMaxRetries", "5"},
                     {"restartTimeout", "30"}}};
    auto conv = ua::to_container(c);
    REQUIRE(conv.error.empty());
    const auto& x = conv.container;
    CHECK(x.image().name() == "web:1.0");  // no image key: <id>:<version>
    REQUIRE(x.host_config().port_mappings_size() == 2);
    const auto& p = x.host_config().port_mappings(0);
    CHECK(p.host_ip() == "127.0.0.1");
    CHECK(p.host_port() == 8080);
    CHECK(p.host_port_end() == 8081);
    CHECK(p.container_port() == 80);
    CHECK(p.protocol() == "udp");
    CHECK(x.host_config().port_mappings(1).host_port() == 4464);  // 70000 as uint16
    CHECK(x.host_config().port_mappings(1).protocol() == "tcp");
    CHECK(x.host_config().devices(0).cgroup_permissions() == "rw");
    CHECK(x.mounts(0).propagation_mode() == "rprivate");
    CHECK(x.config().cmd_size() == 2);
    CHECK(x.host_config().log_config().mode_config().max_buffer_size() == "1M");
    CHECK(x.host_config().resources().memory() == "200M");
    CHECK(x.host_config().resources().memory_swap().empty());  // Kanto-CM derives it at Create, not the agent
    CHECK(x.host_config().restart_policy().maximum_retry_count() == 5);
    CHECK(x.host_config().restart_policy().retry_timeout() == 30);

    auto error_of = [](std::vector<ua::key_value> config, std::string id = "web") {
        return ua::to_container({std::move(id), "1", std::move(config)}).error;
    };
    CHECK(error_of({{"image", ""}}) == "the containers image configuration is invalid");
    CHECK(error_of({{"restartPolicy", "sometimes"}}) == "unsupported restart policy type sometimes");
    CHECK(error_of({{"restartPolicy", ""}}) == "unsupported restart policy type ");
    CHECK(error_of({{"env", "1FOO=x"}}) == "invalid environmental variable declaration provided : 1FOO=x");
    CHECK(error_of({}, "containers:influxdb") == "invalid container name format : containers:influxdb");
    CHECK(error_of({{"network", "none"}}) == "unsupported network mode none");
    CHECK(error_of({{"logMaxSize", "1"}}) == "invalid format of max logs size - 1");
    CHECK(error_of({{"memory", "1M"}}) == "minimum memory allowed is 3M");
    CHECK(error_of({{"restartPolicy", "on-failure"}, {"restartMaxRetries", "-1"}}) ==
          "restart policy max retry count cannot be negative");
    CHECK(error_of({{"mount", "/a:/b:bogus"}}) ==
          "propagation mode must be set to one of the supported modes");
    CHECK(
        error_of({{"privileged", "true"}, {"device", "/dev/a:/dev/a"}}) ==
        "cannot create the container as privileged and with specified devices at the same time - choose one "
        "of the options");
    CHECK(error_of({{"network", "host"}, {"port", "80:80"}}) ==
          "cannot use port mappings when in host network mode");
    CHECK(error_of({}, "").empty());  // Kanto-CM names it after the id it generates
}

TEST_CASE("vector 8: the version derived from an image reference") {
    CHECK(ua::image_version("host:8080/x:v1") == "v1");
    CHECK(ua::image_version("x:branch:123") == "branch:123");
    CHECK(ua::image_version("x@sha256:abc") == "sha256:abc");
    CHECK(ua::image_version("x") == "n/a");
    CHECK(ua::image_version("x:") == "n/a");
    CHECK(ua::image_version("x@") == "n/a");
    CHECK(ua::image_version("") == "n/a");
    CHECK(ua::image_version("ghcr.io/eclipse/kuksa.val/databroker@sha256:7e4b") == "sha256:7e4b");
}

TEST_CASE("topics: the prefix from the domain name") {
    CHECK(ua::topic_prefix("containers") == "containersupdate");
    CHECK(ua::topic_prefix("my-apps") == "myappsupdate");
    CHECK(ua::topic_prefix("self-update") == "selfupdate");
    ua::agent_config cfg;
    cfg.domain = "my-apps";
    ua::agent a(cfg);
    CHECK(a.inbound_topics() == std::vector<std::string>{"myappsupdate/desiredstate",
                                                         "myappsupdate/desiredstate/command",
                                                         "myappsupdate/currentstate/get"});
}

TEST_CASE("identification failures: Kanto's texts, no IDENTIFYING, the current operation untouched") {
    ua_world w;
    w.add("keep", "keep:1");
    REQUIRE(statuses(w.desired(domain_payload({}), "op-1")) ==
            std::vector<std::string>{"IDENTIFYING", "IDENTIFIED"});
    auto failure = [&](const std::string& payload) {
        auto out = w.desired(payload, "bad");
        REQUIRE(out.size() == 1);
        CHECK(status_of(out[0]) == "IDENTIFICATION_FAILED");
        return std::string(out[0].at("payload").at("message").as_string());
    };
    CHECK(failure(R"({"domains":[{"id":"containers"},{"id":"containers"}]})") ==
          "one domain expected in desired state specification, but got 2");
    CHECK(failure(R"({"domains":[{"id":"apps"}]})") ==
          "domain id mismatch - expecting containers, received apps");
    CHECK(failure(domain_payload({component("containers:influxdb", "1.8.4", image("influxdb:1.8.4"))})) ==
          "cannot convert desired state components to container configurations: invalid configuration for "
          "container containers:influxdb: invalid container name format : containers:influxdb");
    CHECK(failure(domain_payload({component("web", "1", image("x/web:1"))}, "[]",
                                 R"([{"title":"b1","components":["containers:ghost"]}])")) ==
          "cannot process desired state baselines with containers: problem with baseline b1: cannot find "
          "container component containers:ghost");
    CHECK(failure("null") == "one domain expected in desired state specification, but got 0");
    REQUIRE(w.agent.current_operation() != nullptr);
    CHECK(w.agent.current_operation()->activity_id == "op-1");
}

TEST_CASE("dropped input: not JSON, empty, wrong types: no feedback, a log line naming the topic") {
    ua_world w;
    for (const char* bad :
         {"not json", "", R"({"activityId":"x","timestamp":"x","payload":{}})",
          R"({"activityId":"x","payload":{"domains":{}}})",
          R"({"activityId":"x","payload":{"domains":[{"id":"containers","components":{"id":"x"}}]}})",
          "[1,2]", R"({"activityId":7})"}) {
        CAPTURE(bad);
        const auto logs = w.logs.size();
        CHECK(w.send("containersupdate/desiredstate", bad).empty());
        REQUIRE(w.logs.size() == logs + 1);
        CHECK(w.logs.back().find("containersupdate/desiredstate") != std::string::npos);
    }
    CHECK(w.send("containersupdate/currentstate/get", "").empty());
    CHECK(w.send("containersupdate/desiredstate/command", "{").empty());
    // Keys match case-insensitively, as with Go's decoder.
    auto out = w.send("containersupdate/desiredstate",
                      R"({"ActivityID":"k","PAYLOAD":{"DOMAINS":[{"ID":"containers"}]}})");
    CHECK(statuses(out) == std::vector<std::string>{"IDENTIFYING", "IDENTIFIED", "COMPLETED"});
    CHECK(out[0].at("activityId") == "k");
}

TEST_CASE("a huge desired state gets a failure feedback, not a parse") {
    ua::agent_config cfg;
    cfg.max_payload = 1000;
    ua_world w(cfg);
    auto out = w.send("containersupdate/desiredstate", std::string(5000, ' ') + "{}");
    REQUIRE(out.size() == 1);
    CHECK(status_of(out[0]) == "IDENTIFICATION_FAILED");
    CHECK(out[0].at("payload").at("message") ==
          "the message is 5002 bytes, more than the limit of 1000 bytes");
}

TEST_CASE("commands: wrong activity, unknown command, out of order, unknown baseline") {
    ua_world w;
    w.add("old", "old:1");
    REQUIRE(w.desired(domain_payload({component("web", "1", image("web:1"))}), "op").size() == 2);
    CHECK(w.command("DOWNLOAD", "other").empty());
    CHECK(w.command("FROBNICATE", "op").empty());
    CHECK(w.command("download", "op").empty());  // case-sensitive
    auto out = w.command("ACTIVATE", "op");
    REQUIRE(out.size() == 1);
    CHECK(status_of(out[0]) == "ACTIVATION_FAILURE");
    CHECK(out[0].at("payload").at("message") ==
          "ACTIVATE is possible only after status UPDATE_SUCCESS is reported");
    CHECK(action_lines(out[0]).size() == 2);
    out = w.command("ROLLBACK", "op");
    CHECK(out[0].at("payload").at("message") ==
          "ROLLBACK is possible only after status "
          "DOWNLOAD_SUCCESS|UPDATE_SUCCESS|ACTIVATION_FAILURE|ACTIVATION_SUCCESS "
          "is reported");
    out = w.command("UPDATE", "op", "nope");
    CHECK(json::serialize(out[0].at("payload").at("baseline")) == "\"nope\"");
    CHECK(status_of(out[0]) == "UPDATE_FAILURE");
    CHECK(out[0].at("payload").at("message") == "Unknown baseline nope");
    out = w.command("CLEANUP", "op", "nope");
    CHECK(status_of(out[0]) == "CLEANUP");  // Kanto's quirk: the in-progress status
    // Per baseline: the named one moves, "all" keeps its status.
    out = w.command("DOWNLOAD", "op", "containers:web");
    CHECK(statuses(out) == std::vector<std::string>{"DOWNLOADING", "DOWNLOAD_SUCCESS"});
    CHECK(out[0].at("payload").at("baseline") == "containers:web");
    out = w.command("DOWNLOAD", "op", "*");
    CHECK(out.back().at("payload").at("baseline") == "*");
    CHECK(status_of(out.back()) == "DOWNLOAD_SUCCESS");
    CHECK(statuses(w.command("DOWNLOAD", "op")) == std::vector<std::string>{"DOWNLOAD_FAILURE"});
}

TEST_CASE("a new desired state replaces the operation; one without actions or a failing one does not") {
    ua_world w;
    w.add("old", "old:1");
    REQUIRE(w.desired(domain_payload({}), "first").size() == 2);
    REQUIRE(
        w.desired(domain_payload({}, R"([{"key":"systemContainers","value":"old"}])"), "nothing").size() ==
        3);
    CHECK(w.agent.current_operation()->activity_id == "first");
    REQUIRE(w.desired(R"({"domains":[]})", "broken").size() == 1);
    CHECK(w.agent.current_operation()->activity_id == "first");
    REQUIRE(w.desired(domain_payload({}), "second").size() == 2);
    CHECK(w.agent.current_operation()->activity_id == "second");
    CHECK(w.command("DOWNLOAD", "first").empty());
    CHECK(statuses(w.command("DOWNLOAD", "second")) == std::vector<std::string>{"DOWNLOAD_SUCCESS"});
}

TEST_CASE("input arriving while a command runs waits for it, in order") {
    ua_world w;
    REQUIRE(w.desired(domain_payload({component("web", "1", image("web:1"))}), "op").size() == 2);
    // DOWNLOAD's Create is left pending: feed the command without settling.
    auto started = w.agent.on_message("containersupdate/desiredstate/command",
                                      R"({"activityId":"op","payload":{"command":"DOWNLOAD"}})", ++w.now);
    REQUIRE(w.agent.current() == ua::agent::state::commanding);
    CHECK(w.agent
              .on_message("containersupdate/desiredstate/command",
                          R"({"activityId":"op","payload":{"command":"UPDATE"}})", ++w.now)
              .empty());
    CHECK(w.agent.pending() == 1);
    // A current-state request does not wait.
    auto get = w.agent.on_message("containersupdate/currentstate/get", R"({"activityId":"g"})", ++w.now);
    REQUIRE(get.size() == 1);
    CHECK(std::holds_alternative<ua::list_containers>(get[0]));
    w.settle(std::move(get));
    w.settle(std::move(started));
    std::vector<std::string> seen;
    for (const auto& p : w.published)
        seen.push_back(std::string(json::parse(p.payload).at("payload").as_object().contains("status")
                                       ? json::parse(p.payload).at("payload").at("status").as_string()
                                       : "inventory"));
    CHECK(seen == std::vector<std::string>{"IDENTIFYING", "IDENTIFIED", "inventory", "DOWNLOADING",
                                           "DOWNLOAD_SUCCESS", "UPDATE_SUCCESS"});
    CHECK(w.agent.current() == ua::agent::state::idle);
}

TEST_CASE("ROLLBACK after a failed activation removes the new container and restores the old one") {
    ua_world w;
    const auto old = w.add("app", "app:1");
    REQUIRE(w.desired(domain_payload(
                          {component("app", "2", image("app:2")), component("extra", "1", image("extra:1"))}))
                .size() == 2);
    REQUIRE(statuses(w.command("DOWNLOAD")).back() == "DOWNLOAD_SUCCESS");
    REQUIRE(statuses(w.command("UPDATE")).back() == "UPDATE_SUCCESS");
    // The new "extra" container vanishes before ACTIVATE: its Start fails.
    for (auto it = w.kanto.containers.begin(); it != w.kanto.containers.end();) {
        it = it->second.name() == "extra" ? w.kanto.containers.erase(it) : std::next(it);
    }
    auto out = w.command("ACTIVATE");
    REQUIRE(statuses(out).back() == "ACTIVATION_FAILURE");
    CHECK(action_lines(out.back())[1].find("containers:extra ACTIVATION_FAILURE container with ID = ") == 0);
    out = w.command("ROLLBACK");
    CHECK(statuses(out) == std::vector<std::string>{"ROLLBACK", "ROLLBACK", "ROLLBACK", "ROLLBACK_FAILURE"});
    CHECK(
        action_lines(out[1])[0] ==
        "containers:app UPDATE_FAILURE Update unsuccessful, but rollback succeeded - new container instance "
        "destroyed, old container instance restored.");
    CHECK(action_lines(out.back())[1].find("containers:extra UPDATE_FAILURE container with ID = ") == 0);
    CHECK(w.kanto.containers.size() == 1);
    CHECK(w.kanto.containers.at(old.id()).state().status() == "Running");
    CHECK(statuses(w.command("CLEANUP")) == std::vector<std::string>{"CLEANUP_SUCCESS", "INCOMPLETE"});
}

TEST_CASE("fix Q8: ROLLBACK right after DOWNLOAD keeps the running old container and succeeds") {
    ua_world w;
    const auto old = w.add("app", "app:1");
    REQUIRE(w.desired(domain_payload({component("app", "2", image("app:2"))})).size() == 2);
    REQUIRE(statuses(w.command("DOWNLOAD")).back() == "DOWNLOAD_SUCCESS");
    auto out = w.command("ROLLBACK");
    CHECK(statuses(out) == std::vector<std::string>{"ROLLBACK", "ROLLBACK_SUCCESS"});
    CHECK(w.kanto.containers.size() == 1);
    CHECK(w.kanto.containers.at(old.id()).state().status() == "Running");
}

TEST_CASE("fix: a Start refused because Kanto-CM's restart manager started it already counts as running") {
    ua_world w;
    const auto c = w.add("app", "app:1", "Stopped");
    REQUIRE(w.desired(domain_payload({component("app", "1", image("app:1"))})).size() == 2);
    REQUIRE(statuses(w.command("DOWNLOAD")).back() == "DOWNLOAD_SUCCESS");
    REQUIRE(statuses(w.command("UPDATE")).back() == "UPDATE_SUCCESS");
    auto started = w.agent.on_message("containersupdate/desiredstate/command",
                                      R"({"activityId":"a1","payload":{"command":"ACTIVATE"}})", ++w.now);
    // Get answers Stopped; then the restart manager starts it before our Start.
    auto* call = std::get_if<ua::call_kanto>(&started.back());
    REQUIRE(call != nullptr);
    auto after_get = w.agent.on_kanto_done(call->call, w.kanto.call(call->request), ++w.now);
    w.kanto.containers.at(c.id()).mutable_state()->set_status("Running");
    w.settle(std::move(after_get));
    CHECK(status_of(json::parse(w.published.back().payload).as_object()) == "ACTIVATION_SUCCESS");
}

TEST_CASE("fix Q6: a container removed before ACTIVATE fails the activation") {
    ua_world w;
    const auto c = w.add("app", "app:1", "Stopped");
    REQUIRE(w.desired(domain_payload({component("app", "1", image("app:1"))})).size() == 2);
    w.command("DOWNLOAD");
    w.command("UPDATE");
    w.kanto.containers.erase(c.id());
    auto out = w.command("ACTIVATE");
    CHECK(statuses(out).back() == "ACTIVATION_FAILURE");
    CHECK(action_lines(out.back())[0] ==
          "containers:app ACTIVATION_FAILURE the container with id = " + c.id() + " no longer exists");
}

TEST_CASE("fix Q4: dropping the memory keys clears the limits, so the next apply converges") {
    ua_world w;
    w.add("app", "app:1", "Running", [](kcm::types::Container& c) {
        c.mutable_host_config()->mutable_resources()->set_memory("100M");
        c.mutable_host_config()->mutable_resources()->set_memory_swap("200M");
    });
    auto out = w.desired(domain_payload({component("app", "1", image("app:1"))}));
    REQUIRE(action_lines(out[1])[0] == "containers:app IDENTIFIED " + std::string(update_text));
    for (const char* c : {"DOWNLOAD", "UPDATE", "ACTIVATE", "CLEANUP"}) w.command(c);
    out = w.desired(domain_payload({component("app", "1", image("app:1"))}), "again");
    CHECK(action_lines(out[1])[0] == "containers:app IDENTIFIED " + std::string(check_text));
}

TEST_CASE("quirk Q3 kept: memory without swap reports UPDATE once, then CHECK") {
    ua_world w;
    const std::string cfg = R"([{"key":"image","value":"app:1"},{"key":"memory","value":"100M"}])";
    REQUIRE(w.desired(domain_payload({component("app", "1", cfg)})).size() == 2);
    for (const char* c : {"DOWNLOAD", "UPDATE", "ACTIVATE", "CLEANUP"}) w.command(c);
    auto out = w.desired(domain_payload({component("app", "1", cfg)}), "a2");
    CHECK(action_lines(out[1])[0] == "containers:app IDENTIFIED " + std::string(update_text));
    for (const char* c : {"DOWNLOAD", "UPDATE", "ACTIVATE", "CLEANUP"}) w.command(c, "a2");
    out = w.desired(domain_payload({component("app", "1", cfg)}), "a3");
    CHECK(action_lines(out[1])[0] == "containers:app IDENTIFIED " + std::string(check_text));
}

TEST_CASE("auto_apply: the agent drives DOWNLOAD, UPDATE, ACTIVATE and CLEANUP itself") {
    ua::agent_config cfg = with_system({"sua"});
    cfg.auto_apply = true;
    ua_world w(cfg);
    w.add("sua", "sua:1");
    w.add("other", "other:1");
    auto out = w.send("containersupdate/desiredstate",
                      R"({"activityId":"test-correlation-activity-uuid","payload":)" +
                          domain_payload({component("hello-world", "latest",
                                                    image("docker.io/library/hello-world:latest"))}) +
                          "}");
    CHECK(statuses(out) == std::vector<std::string>{"IDENTIFYING", "IDENTIFIED", "DOWNLOADING",
                                                    "DOWNLOAD_SUCCESS", "UPDATING", "UPDATE_SUCCESS",
                                                    "ACTIVATING", "ACTIVATION_SUCCESS", "CLEANUP_SUCCESS",
                                                    "COMPLETED"});
    std::set<std::string> names;
    for (const auto& [id, c] : w.kanto.containers) names.insert(c.name() + ":" + c.state().status());
    CHECK(names == std::set<std::string>{"hello-world:Running", "sua:Running"});
    // A failure: CLEANUP right away, as the update manager does.
    w.fail_at = w.completions + 1;  // the List works, the Create fails
    out =
        w.send("containersupdate/desiredstate",
               R"({"activityId":"b","payload":)" + domain_payload({component("x", "1", image("x:1"))}) + "}");
    CHECK(statuses(out) == std::vector<std::string>{"IDENTIFYING", "IDENTIFIED", "DOWNLOADING",
                                                    "DOWNLOAD_FAILURE", "CLEANUP_SUCCESS", "INCOMPLETE"});
    CHECK(w.agent.current_operation() == nullptr);
}

TEST_CASE("fail at every step: each Kanto-CM completion failing ends in a failure feedback, the agent idle") {
    for (int at = 0; at < 40; ++at) {
        CAPTURE(at);
        ua_world w;
        w.add("keep", "keep:1");
        w.add("change", "change:1");
        w.add("gone", "gone:1");
        w.fail_at = at;
        w.completions = 0;
        auto out = w.desired(domain_payload({component("keep", "1", image("keep:1")),
                                             component("change", "2", image("change:2")),
                                             component("new", "1", image("new:1"))}));
        std::vector<std::string> all = statuses(out);
        if (w.agent.current_operation() != nullptr) {
            for (const char* c : {"DOWNLOAD", "UPDATE", "ACTIVATE", "CLEANUP"}) {
                for (const auto& s : statuses(w.command(c))) all.push_back(s);
            }
        }
        CHECK(w.agent.current() == ua::agent::state::idle);
        if (w.completions <= at) {  // every step done without reaching the failure: the flow is complete
            CHECK(all.back() == "COMPLETED");
            break;
        }
        const bool failed = std::any_of(all.begin(), all.end(), [](const std::string& s) {
            return s.find("FAILURE") != std::string::npos || s == "IDENTIFICATION_FAILED";
        });
        if (failed) {
            if (all.back() != "IDENTIFICATION_FAILED") CHECK(all.back() == "INCOMPLETE");
        } else {  // only the removal of a replaced container may fail quietly (Kanto's rule), but logged
            CHECK(all.back() == "COMPLETED");
            CHECK(std::any_of(w.logs.begin(), w.logs.end(), [](const std::string& l) {
                return l.find("stays (stopped)") != std::string::npos;
            }));
        }
    }
}

TEST_CASE("current state: on connect and on request, retained, containers by name, agent node first") {
    ua_world w;
    w.agent.set_agent_version("1.0.0");
    w.add("zeta", "docker.io/library/zeta:2.0");
    w.add("alpha", "localhost:5000/alpha@sha256:ab", "Stopped");
    w.settle(w.agent.on_connected(1795960478507));
    REQUIRE(w.published.size() == 1);
    CHECK(w.published[0].topic == "containersupdate/currentstate");
    CHECK(w.published[0].retain);
    const auto env = json::parse(w.published[0].payload).as_object();
    CHECK(env.at("activityId") == "initial-current-state-1795960478507");
    const auto& nodes = env.at("payload").at("softwareNodes").as_array();
    REQUIRE(nodes.size() == 3);
    CHECK(
        json::serialize(nodes[0]) ==
        R"({"id":"containers-update-agent","version":"1.0.0","name":"Eclipse Kanto Containers Update Agent","parameters":[{"key":"domain","value":"containers"}],"type":"APPLICATION"})");
    CHECK(nodes[1].at("id") == "containers:alpha");
    CHECK(nodes[1].at("version") == "sha256:ab");
    CHECK(nodes[2].at("id") == "containers:zeta");
    CHECK(env.at("payload").at("associations").as_array().size() == 2);
    auto out = w.send("containersupdate/currentstate/get", R"({"payload":{}})");
    REQUIRE(out.size() == 1);
    CHECK(out[0].at("activityId") == "");
    // Kanto-CM unreachable: the agent node only, as Kanto does, and a log line.
    w.fail_at = w.completions;
    out = w.send("containersupdate/currentstate/get", R"({"activityId":"x"})");
    REQUIRE(out.size() == 1);
    CHECK(out[0].at("payload").at("softwareNodes").as_array().size() == 1);
    CHECK_FALSE(out[0].at("payload").as_object().contains("associations"));
    CHECK(w.logs.back().find("injected failure") != std::string::npos);
}

TEST_CASE("inventory parameters: Kanto's order, defaults left out unless verbose") {
    ua::component comp{"rich",
                       "1",
                       {{"image", "ghcr.io/eclipse/kuksa.val/databroker@sha256:7e4b"},
                        {"restartPolicy", "on-failure"},
                        {"restartMaxRetries", "3"},
                        {"restartTimeout", "10"},
                        {"port", "127.0.0.1:30051-30052:50051"},
                        {"host", "databroker-host:host_ip"},
                        {"logMaxSize", "1M"},
                        {"logMode", "non-blocking"},
                        {"memory", "100M"},
                        {"memoryReservation", "50M"},
                        {"memorySwap", "200M"},
                        {"mount", "/tmp:/data:rshared"},
                        {"env", "A=1"},
                        {"cmd", "sleep"}}};
    auto c = ua::to_container(comp).container;
    c.set_created("2026-11-29T13:55:09.914754506Z");
    c.mutable_state()->set_status("Created");
    CHECK(
        json::serialize(ua::container_parameters(c, false)) ==
        R"([{"key":"image","value":"ghcr.io/eclipse/kuksa.val/databroker@sha256:7e4b"},{"key":"restartPolicy","value":"on-failure"},{"key":"restartMaxRetries","value":"3"},{"key":"restartTimeout","value":"10s"},{"key":"port","value":"127.0.0.1:30051-30052:50051/tcp"},{"key":"host","value":"databroker-host:host_ip"},{"key":"logMaxSize","value":"1M"},{"key":"logMode","value":"non-blocking"},{"key":"memory","value":"100M"},{"key":"memoryReservation","value":"50M"},{"key":"memorySwap","value":"200M"},{"key":"mount","value":"/tmp:/data:rshared"},{"key":"env","value":"A=1"},{"key":"cmd","value":"sleep"},{"key":"status","value":"Created"},{"key":"created","value":"2026-11-29T13:55:09.914754506Z"}])");
    const auto verbose = json::serialize(ua::container_parameters(c, true));
    CHECK(verbose.find(R"({"key":"terminal","value":"false"})") != std::string::npos);
    CHECK(verbose.find(R"({"key":"finishedAt"})") != std::string::npos);  // "" has no value key
    CHECK(verbose.find(R"({"key":"startedSuccessfullyBefore","value":"false"})") != std::string::npos);
    CHECK(kanto::format_go_seconds(0) == "0s");
    CHECK(kanto::format_go_seconds(90) == "1m30s");
    CHECK(kanto::format_go_seconds(180) == "3m0s");
    CHECK(kanto::format_go_seconds(3600) == "1h0m0s");
    CHECK(kanto::format_go_seconds(3661) == "1h1m1s");
}

TEST_CASE("current-state requests share one List at a time; a flood is bounded") {
    ua::agent_config cfg;
    cfg.max_pending = 3;
    ua_world w(cfg);
    auto get = [&](const std::string& id) {
        return w.agent.on_message("containersupdate/currentstate/get", R"({"activityId":")" + id + R"("})",
                                  ++w.now);
    };
    auto first = get("g1");
    REQUIRE(first.size() == 1);
    CHECK(std::holds_alternative<ua::list_containers>(first[0]));
    for (const char* id : {"g2", "g3", "g4"}) CHECK(get(id).empty());  // wait for the next List
    auto dropped = get("g5");
    REQUIRE(dropped.size() == 1);
    CHECK(std::get<ua::log>(dropped[0]).text.find("g5") != std::string::npos);
    w.settle(std::move(first));  // answers g1, then one List for g2-g4
    std::vector<std::string> answered;
    for (const auto& p : w.published)
        answered.emplace_back(json::parse(p.payload).at("activityId").as_string());
    CHECK(answered == std::vector<std::string>{"g1", "g2", "g3", "g4"});
    CHECK(w.completions == 2);
}

TEST_CASE("stopping: a running phase ends with its failure and the reason; waiting input is dropped") {
    ua_world w;
    REQUIRE(w.desired(domain_payload({component("web", "1", image("web:1"))}), "op").size() == 2);
    // DOWNLOAD's Create is left pending; an UPDATE waits behind it.
    w.agent.on_message("containersupdate/desiredstate/command",
                       R"({"activityId":"op","payload":{"command":"DOWNLOAD"}})", ++w.now);
    w.agent.on_message("containersupdate/desiredstate/command",
                       R"({"activityId":"op","payload":{"command":"UPDATE"}})", ++w.now);
    REQUIRE(w.agent.pending() == 1);
    const auto out = w.agent.on_stopping(++w.now);
    std::vector<std::string> seen;
    for (const auto& a : out) {
        CHECK_FALSE(std::holds_alternative<ua::call_kanto>(a));  // nothing is called any more
        if (const auto* p = std::get_if<ua::publish>(&a))
            seen.push_back(status_of(json::parse(p->payload).as_object()));
    }
    CHECK(seen == std::vector<std::string>{"DOWNLOAD_FAILURE"});
    const auto last = json::serialize(
        json::parse(std::get<ua::publish>(*std::find_if(out.begin(), out.end(), [](const auto& a) {
                        return std::holds_alternative<ua::publish>(a);
                    })).payload));
    CHECK(last.find("the bridge is stopping: the operation was interrupted") != std::string::npos);
    CHECK(w.agent.current() == ua::agent::state::idle);
    CHECK(w.agent.pending() == 0);
    CHECK(w.agent
              .on_message("containersupdate/desiredstate/command",
                          R"({"activityId":"op","payload":{"command":"UPDATE"}})", ++w.now)
              .empty());
}

TEST_CASE("stopping during identification: IDENTIFICATION_FAILED with the reason") {
    ua_world w;
    const auto pending = w.agent.on_message("containersupdate/desiredstate",
                                            R"({"activityId":"id-1","timestamp":1,"payload":)" +
                                                domain_payload({component("web", "1", image("web:1"))}) + "}",
                                            ++w.now);
    REQUIRE(w.agent.current() == ua::agent::state::identifying);
    std::vector<std::string> seen;
    for (const auto& a : w.agent.on_stopping(++w.now)) {
        if (const auto* p = std::get_if<ua::publish>(&a))
            seen.push_back(status_of(json::parse(p->payload).as_object()));
    }
    CHECK(seen == std::vector<std::string>{"IDENTIFICATION_FAILED"});
}
