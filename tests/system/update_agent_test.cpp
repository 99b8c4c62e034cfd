// The update agent end to end: real mosquitto + kanto-cm-sim + kanto-twin-bridge. The recording of
// the real Kanto-CM update agent replayed message for message; Kanto's conformance vectors (the
// five-container fixture through every phase among them); the update manager's flow with a
// ROLLBACK; the current state retained and published again on reconnect; Kanto-CM failing during
// a phase; the seed's flow with auto_apply and the twin showing the result.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>

#include <google/protobuf/util/json_util.h>
#include <boost/json.hpp>

#include "../update_agent_vectors.hpp"
#include "harness.hpp"
#include "mqtt_client.hpp"
#include "twin_session.hpp"

using namespace std::chrono_literals;
namespace json = boost::json;
using harness::rpc_context;

namespace {

constexpr const char* feedback_topic = "containersupdate/desiredstatefeedback";
constexpr const char* current_topic = "containersupdate/currentstate";

std::vector<json::object> cua_recording() {
    std::ifstream in(TEST_SOURCE_DIR "/data/conformance/cua-real.jsonl");
    std::vector<json::object> out;
    for (std::string line; std::getline(in, line);) out.push_back(json::parse(line).as_object());
    return out;
}

bool is_input(const std::string& topic) {
    return topic == "containersupdate/desiredstate" || topic == "containersupdate/desiredstate/command" ||
           topic == "containersupdate/currentstate/get";
}

// What may differ between two runs: timestamps, times, container ids, the machine's pull error and
// the order of container nodes (Kanto lists them in map order; we sort by name).
std::string normalized(json::object env, bool without_state = false) {
    env.erase("timestamp");
    static const std::regex initial("^initial-current-state-[0-9]+$");
    const std::string activity(env.at("activityId").as_string());
    if (std::regex_match(activity, initial)) env["activityId"] = "initial-current-state-N";
    auto& payload = env.at("payload").as_object();
    if (auto* actions = payload.if_contains("actions")) {
        static const std::regex pull("^(failed to resolve reference \"[^\"]*\"): .*$");
        static const std::regex id("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
        for (auto& a : actions->as_array()) {
            if (auto* m = a.as_object().if_contains("message")) {
                std::string text(m->as_string());
                text = std::regex_replace(std::regex_replace(text, pull, "$1: <cause>"), id, "<id>");
                *m = text;
            }
        }
    }
    if (auto* nodes = payload.if_contains("softwareNodes")) {
        auto& list = nodes->as_array();
        for (auto& n : list) {
            auto* params = n.as_object().if_contains("parameters");
            if (params == nullptr) continue;
            auto& ps = params->as_array();
            for (auto& p : ps) {
                const auto key = p.at("key").as_string();
                if ((key == "created" || key == "finishedAt") && p.as_object().contains("value"))
                    p.as_object()["value"] = "T";
            }
            static const std::set<std::string> state_keys{"status",          "finishedAt",
                                                          "exitCode",        "restartCount",
                                                          "manuallyStopped", "startedSuccessfullyBefore"};
            if (without_state)
                ps.erase(std::remove_if(ps.begin(), ps.end(),
                                        [](const json::value& p) {
                                            return state_keys.count(std::string(p.at("key").as_string())) !=
                                                   0;
                                        }),
                         ps.end());
        }
        auto by_id = [](const json::value& a, const json::value& b) {
            return json::serialize(a.at("id")) < json::serialize(b.at("id"));
        };
        if (list.size() > 2) std::sort(list.begin() + 1, list.end(), by_id);
        if (auto* assoc = payload.if_contains("associations")) {
            auto& as = assoc->as_array();
            std::sort(as.begin(), as.end(), [](const json::value& a, const json::value& b) {
                return json::serialize(a.at("targetId")) < json::serialize(b.at("targetId"));
            });
        }
    }
    return json::serialize(env);
}

struct cm_client {
    std::unique_ptr<kcm::svc::Containers::Stub> stub;
    google::protobuf::Empty empty;

    std::string create(const std::string& container_json) {
        kcm::svc::CreateContainerRequest req;
        REQUIRE(google::protobuf::util::JsonStringToMessage(container_json, req.mutable_container()).ok());
        kcm::svc::CreateContainerResponse resp;
        auto st = stub->Create(rpc_context().get(), req, &resp);
        REQUIRE_MESSAGE(st.ok(), st.error_message());
        return resp.container().id();
    }
    void start(const std::string& id) {
        kcm::svc::StartContainerRequest req;
        req.set_id(id);
        REQUIRE(stub->Start(rpc_context().get(), req, &empty).ok());
    }
    void pause(const std::string& id) {
        kcm::svc::PauseContainerRequest req;
        req.set_id(id);
        REQUIRE(stub->Pause(rpc_context().get(), req, &empty).ok());
    }
    void stop(const std::string& id) {
        kcm::svc::StopContainerRequest req;
        req.set_id(id);
        req.mutable_stopoptions()->set_timeout(5);
        REQUIRE(stub->Stop(rpc_context(30s).get(), req, &empty).ok());
    }
    void remove(const std::string& id) {
        kcm::svc::RemoveContainerRequest req;
        req.set_id(id);
        req.set_force(true);
        REQUIRE(stub->Remove(rpc_context(30s).get(), req, &empty).ok());
    }
    std::vector<kcm::types::Container> list() {
        kcm::svc::ListContainersResponse resp;
        REQUIRE(stub->List(rpc_context().get(), {}, &resp).ok());
        return {resp.containers().begin(), resp.containers().end()};
    }
    std::string id_of(const std::string& name) {
        for (const auto& c : list()) {
            if (c.name() == name) return c.id();
        }
        FAIL("no container named " << name);
        return {};
    }
};

// Broker, simulator, the bridge with the update agent, an observer of its output and a driver.
struct ua_session {
    harness::mosquitto broker;
    harness::simulator sim;
    cm_client cm{sim.containers(), {}};
    std::unique_ptr<harness::mqtt_client> observer;
    std::unique_ptr<harness::mqtt_client> driver;
    std::vector<std::string> bridge_args;
    std::unique_ptr<harness::bridge_process> bridge;
    int probes = 0;

    ua_session(std::vector<std::string> sim_args, std::vector<std::string> args)
        : sim(std::move(sim_args)), bridge_args(std::move(args)) {
        observe();
    }
    // (Re)connects the test's clients: the observer of the agent's output and the driver.
    void observe() {
        driver = std::make_unique<harness::mqtt_client>(broker.url());
        observer = std::make_unique<harness::mqtt_client>(broker.url());
        observer->subscribe(feedback_topic);
        observer->subscribe(current_topic);
    }
    // Starts the bridge and returns its first current state (it is subscribed by then).
    json::object start_bridge() {
        bridge = std::make_unique<harness::bridge_process>(broker, sim, bridge_args);
        auto m = next();
        REQUIRE(m.first == current_topic);
        return m.second;
    }
    std::pair<std::string, json::object> next(std::chrono::milliseconds timeout = 15000ms) {
        auto m = observer->next(timeout);
        REQUIRE_MESSAGE(m.has_value(), "no message from the update agent; its log:\n"
                                           << (bridge ? bridge->log() : ""));
        return {m->topic, json::parse(m->payload).as_object()};
    }
    std::vector<json::object> feedback_until(const std::string& last_status) {
        std::vector<json::object> out;
        for (;;) {
            auto [topic, env] = next();
            if (topic != feedback_topic) continue;
            out.push_back(env);
            if (env.at("payload").at("status").as_string() == last_status) return out;
        }
    }
    void publish(const std::string& topic, const std::string& payload, int qos = 1) {
        driver->publish(topic, payload, qos);
    }
    void desired(const std::string& activity, const std::string& payload) {
        publish("containersupdate/desiredstate",
                R"({"activityId":")" + activity + R"(","payload":)" + payload + "}");
    }
    void command(const std::string& activity, const std::string& name) {
        publish("containersupdate/desiredstate/command",
                R"({"activityId":")" + activity + R"(","payload":{"command":")" + name + R"("}})");
    }
    // Asks for the current state; every message before its answer is returned (none expected).
    std::vector<std::string> probe() {
        const auto id = "probe-" + std::to_string(++probes);
        publish("containersupdate/currentstate/get", R"({"activityId":")" + id + R"(","payload":{}})");
        std::vector<std::string> extra;
        for (;;) {
            auto [topic, env] = next();
            if (topic == current_topic && env.at("activityId").as_string() == id) return extra;
            extra.push_back(topic + " " + json::serialize(env));
        }
    }
};

std::vector<std::string> statuses(const std::vector<json::object>& feedback) {
    std::vector<std::string> out;
    for (const auto& f : feedback) out.emplace_back(f.at("payload").at("status").as_string());
    return out;
}

const std::string hello_world_seed =
    R"({"domains":[{"id":"containers","config":[],"components":[{"id":"hello-world","version":"latest","config":[{"key":"image","value":"docker.io/library/hello-world:latest"}]}]}]})";

// The recording's last step ran into a race of the original (its restart manager started the
// container before ACTIVATE's Start): we make sure it runs instead, so ACTIVATE succeeds.
std::vector<std::string> fixed_race_step(const std::string& command) {
    const std::string hw = R"({"component":{"id":"containers:hello-world","version":"latest"},)";
    const std::string sensor = R"({"component":{"id":"containers:sensor","version":"2.0"},)";
    const std::string updated = R"("message":"Container instance is updated with new configuration."})";
    const std::string check =
        R"("message":"No changes detected, existing container will be check only if it is running."})";
    const std::string running = R"("message":"Existing container instance is running."})";
    auto env = [](const std::string& status, const std::string& actions) {
        return R"({"activityId":"rp-only-9","payload":{"status":")" + status + R"(","actions":[)" + actions +
               "]}}";
    };
    const auto done = hw + R"("status":"ACTIVATION_SUCCESS",)" + updated + "," + sensor +
                      R"("status":"ACTIVATION_SUCCESS",)" + running;
    if (command == "ACTIVATE") {
        return {env("ACTIVATING", hw + R"("status":"ACTIVATING",)" + updated + "," + sensor +
                                      R"("status":"IDENTIFIED",)" + check),
                env("ACTIVATING", hw + R"("status":"ACTIVATION_SUCCESS",)" + updated + "," + sensor +
                                      R"("status":"ACTIVATING",)" + check),
                env("ACTIVATION_SUCCESS", done)};
    }
    return {env("CLEANUP_SUCCESS", done), env("COMPLETED", done)};
}

}  // namespace

TEST_CASE("update agent conformance: the real Kanto-CM update agent's recording, message for message") {
    const auto lines = cua_recording();
    REQUIRE(lines.size() == 161);
    // Every image of the recording was the busybox image (trapping SIGTERM, exit 0) under another tag.
    ua_session s({"--fail-pull", "nope-not-here", "--graceful-term", "busybox-local", "--graceful-term",
                  "localhost:5000/", "--graceful-term", "ghcr.io/", "--graceful-term", "hello-world"},
                 {"--things-enable=false", "--ua-enable", "--ua-system-containers", "sua"});
    // Step 1: a daemon without containers publishes the agent node only.
    const auto first = s.start_bridge();
    CHECK(normalized(first) == normalized(lines[0].at("payload").as_object()));
    // The recording's fixture.
    s.cm.start(s.cm.create(
        R"({"name":"sua","image":{"name":"ghcr.io/eclipse-leda/leda-contrib-self-update-agent/self-update-agent:build-12"}})"));
    s.cm.start(s.cm.create(R"({"name":"plain","image":{"name":"docker.io/library/busybox-local:latest"}})"));
    s.cm.create(R"({"name":"rich",
        "image":{"name":"ghcr.io/eclipse/kuksa.val/databroker@sha256:7e4bf2914f8ab2340d974a3a1e2fbe65f2b41444fab0bd3dc88d8683f380832f"},
        "host_config":{"restart_policy":{"type":"on-failure","maximum_retry_count":3,"retry_timeout":10},
          "port_mappings":[{"host_ip":"127.0.0.1","host_port":30051,"host_port_end":30052,"container_port":50051,"protocol":"tcp"}],
          "extra_hosts":["databroker-host:host_ip"],
          "log_config":{"driver_config":{"type":"json-file","max_size":"1M"},"mode_config":{"mode":"non-blocking"}},
          "resources":{"memory":"100M","memory_reservation":"50M","memory_swap":"200M"}},
        "mounts":[{"source":"/tmp","destination":"/data","propagation_mode":"rshared"},
                  {"source":"/var","destination":"/v","propagation_mode":"rprivate"}],
        "config":{"env":["A=1","B=two"],"cmd":["sleep","3600"]}})");
    const auto stopped = s.cm.create(R"({"name":"stopped","image":{"name":"localhost:5000/app:1.0"}})");
    s.cm.start(stopped);
    s.cm.stop(stopped);

    for (std::size_t i = 1; i < lines.size();) {
        const auto& in = lines[i];
        const std::string topic(in.at("topic").as_string());
        REQUIRE_MESSAGE(is_input(topic), "line " << i + 1);
        std::vector<std::string> expected;
        std::size_t j = i + 1;
        bool restart = false;
        for (; j < lines.size() && !is_input(std::string(lines[j].at("topic").as_string())); ++j) {
            const auto& env = lines[j].at("payload").as_object();
            if (std::string(env.at("activityId").as_string()).rfind("initial-current-state-", 0) == 0) {
                restart = true;  // step 4: a daemon restart, after this input's own answers
                break;
            }
            expected.push_back(normalized(env));
        }
        const auto& payload = in.at("payload");
        const std::string activity = payload.is_object() && payload.as_object().contains("activityId")
                                         ? std::string(payload.at("activityId").as_string())
                                         : "";
        CAPTURE(i + 1);
        CAPTURE(activity);
        // What the recording script did to the containers before these inputs.
        if (activity == "cua-check-4" && topic == "containersupdate/desiredstate")
            s.cm.stop(s.cm.id_of("sensor"));
        if (activity == "rp-only-6" && topic == "containersupdate/desiredstate") {
            for (const auto& c : s.cm.list()) s.cm.remove(c.id());
        }
        if (activity == "rp-only-9" && topic == "containersupdate/desiredstate/command") {
            const std::string cmd(payload.at("payload").at("command").as_string());
            if (cmd == "ACTIVATE" || cmd == "CLEANUP") {
                expected.clear();
                for (const auto& e : fixed_race_step(cmd))
                    expected.push_back(normalized(json::parse(e).as_object()));
            }
        }
        s.publish(topic, payload.is_string() ? std::string(payload.as_string()) : json::serialize(payload),
                  static_cast<int>(in.at("qos").as_int64()));
        std::vector<std::string> got;
        for (std::size_t k = 0; k < expected.size(); ++k) got.push_back(normalized(s.next().second));
        for (std::size_t k = 0; k < expected.size(); ++k) {
            CAPTURE(k);
            CHECK(got[k] == expected[k]);
        }
        CHECK(s.probe().empty());
        if (restart) {
            // Kanto-CM stopped both containers on its way down; the agent comes back with a new
            // initial current state. The simulator cannot stop them the way a daemon shutdown does
            // (a Stop is a manual stop, and on-failure restarts a SIGTERMed one), so the containers'
            // configuration is compared, not their state.
            for (const auto& c : s.cm.list()) s.cm.stop(c.id());
            s.bridge->stop();
            const auto again = s.start_bridge();
            CHECK(normalized(again, true) == normalized(lines[j].at("payload").as_object(), true));
            ++j;
        }
        i = j;
    }
    CHECK(s.bridge->alive());
}

TEST_CASE("update agent: the update manager's flow, a ROLLBACK after a failed activation, then CLEANUP") {
    ua_session s({}, {"--things-enable=false", "--ua-enable"});
    s.start_bridge();
    const auto old = s.cm.create(R"({"name":"app","image":{"name":"registry.example/app:1"}})");
    s.cm.start(old);
    s.desired("u1", R"({"domains":[{"id":"containers","components":[
        {"id":"app","version":"2","config":[{"key":"image","value":"registry.example/app:2"}]},
        {"id":"broken","version":"1","config":[{"key":"image","value":"registry.example/start-fails:1"}]}]}]})");
    CHECK(statuses(s.feedback_until("IDENTIFIED")) == std::vector<std::string>{"IDENTIFYING", "IDENTIFIED"});
    s.command("u1", "DOWNLOAD");
    CHECK(statuses(s.feedback_until("DOWNLOAD_SUCCESS")) ==
          std::vector<std::string>{"DOWNLOADING", "DOWNLOADING", "DOWNLOAD_SUCCESS"});
    s.command("u1", "UPDATE");
    CHECK(statuses(s.feedback_until("UPDATE_SUCCESS")) ==
          std::vector<std::string>{"UPDATING", "UPDATE_SUCCESS"});
    s.command("u1", "ACTIVATE");
    auto activation = s.feedback_until("ACTIVATION_FAILURE");
    CHECK(statuses(activation) == std::vector<std::string>{"ACTIVATING", "ACTIVATING", "ACTIVATION_FAILURE"});
    const auto& failed = activation.back().at("payload").at("actions").as_array()[1];
    CHECK(failed.at("status") == "ACTIVATION_FAILURE");
    CHECK_FALSE(failed.at("message").as_string().empty());
    s.command("u1", "ROLLBACK");
    auto rollback = s.feedback_until("ROLLBACK_SUCCESS");
    CHECK(statuses(rollback) ==
          std::vector<std::string>{"ROLLBACK", "ROLLBACK", "ROLLBACK", "ROLLBACK_SUCCESS"});
    const auto& actions = rollback.back().at("payload").at("actions").as_array();
    CHECK(actions[0].at("message") ==
          "Update unsuccessful, but rollback succeeded - new container instance destroyed, old container "
          "instance "
          "restored.");
    CHECK(actions[1].at("message") ==
          "Update unsuccessful, but rollback succeeded - new container instance destroyed.");
    s.command("u1", "CLEANUP");
    CHECK(statuses(s.feedback_until("INCOMPLETE")) ==
          std::vector<std::string>{"CLEANUP_SUCCESS", "INCOMPLETE"});
    // Back where it started: only the old container, running again.
    const auto left = s.cm.list();
    REQUIRE(left.size() == 1);
    CHECK(left[0].id() == old);
    CHECK(left[0].state().status() == "Running");
    CHECK(s.probe().empty());
}

TEST_CASE("update agent: the current state is retained and published again after the broker comes back") {
    ua_session s({}, {"--things-enable=false", "--ua-enable"});
    s.cm.start(s.cm.create(R"({"name":"web","image":{"name":"registry.example/web:3.1"}})"));
    const auto first = s.start_bridge();
    CHECK(first.at("payload").at("softwareNodes").as_array().size() == 2);
    // A late subscriber gets the newest inventory from the broker.
    harness::mqtt_client late(s.broker.url());
    late.subscribe(current_topic);
    auto retained = late.next(15s);
    REQUIRE(retained.has_value());
    CHECK(retained->retained);
    CHECK(json::parse(retained->payload).at("activityId") == first.at("activityId"));
    // The broker restarts: the agent reconnects, subscribes again and publishes a new one.
    s.broker.restart();
    s.observe();
    REQUIRE(harness::eventually(
        [&] {
            auto m = s.observer->next(500ms);
            return m && m->topic == current_topic &&
                   std::string(json::parse(m->payload).at("activityId").as_string())
                           .rfind("initial-current-state-", 0) == 0;
        },
        30000ms));
    CHECK(s.probe().empty());  // and answers requests again
}

TEST_CASE(
    "update agent: Kanto-CM going away during DOWNLOAD gives DOWNLOAD_FAILURE, then the agent node only") {
    ua_session s({"--pull-delay", "slow-image=3000"}, {"--things-enable=false", "--ua-enable"});
    s.start_bridge();
    s.desired("k1", R"({"domains":[{"id":"containers","components":[
        {"id":"slow","version":"1","config":[{"key":"image","value":"registry.example/slow-image:1"}]}]}]})");
    s.feedback_until("IDENTIFIED");
    s.command("k1", "DOWNLOAD");
    CHECK(statuses(s.feedback_until("DOWNLOADING")) == std::vector<std::string>{"DOWNLOADING"});
    s.sim.stop(9);  // killed while the Create pulls
    auto result = s.feedback_until("DOWNLOAD_FAILURE");
    const auto& action = result.back().at("payload").at("actions").as_array()[0];
    CHECK(action.at("status") == "DOWNLOAD_FAILURE");
    CHECK_FALSE(action.at("message").as_string().empty());
    s.command("k1", "CLEANUP");
    CHECK(statuses(s.feedback_until("INCOMPLETE")) ==
          std::vector<std::string>{"CLEANUP_SUCCESS", "INCOMPLETE"});
    s.publish("containersupdate/currentstate/get", R"({"activityId":"after","payload":{}})");
    auto [topic, env] = s.next();
    CHECK(topic == current_topic);
    CHECK(env.at("activityId") == "after");
    CHECK(env.at("payload").at("softwareNodes").as_array().size() == 1);
    CHECK(s.bridge->alive());
    CHECK(s.bridge->log().find("listing the containers failed") != std::string::npos);
}

TEST_CASE("update agent: the seed's desired state with auto_apply deploys hello-world; the twin shows it") {
    ua_session s({}, {"--ua-enable", "--ua-auto-apply", "--ua-system-containers", "sua"});
    const auto sua = s.cm.create(R"({"name":"sua","image":{"name":"registry.example/sua:1"}})");
    s.cm.start(sua);
    s.cm.start(s.cm.create(R"({"name":"leftover","image":{"name":"registry.example/leftover:1"}})"));
    harness::twin_observer twin(s.broker);
    s.start_bridge();
    // Published as the tutorial does: QoS 0, no timestamp.
    s.publish("containersupdate/desiredstate",
              R"({"activityId":"test-correlation-activity-uuid","payload":)" + hello_world_seed + "}", 0);
    CHECK(statuses(s.feedback_until("COMPLETED")) ==
          std::vector<std::string>{"IDENTIFYING", "IDENTIFIED", "DOWNLOADING", "DOWNLOAD_SUCCESS", "UPDATING",
                                   "UPDATE_SUCCESS", "ACTIVATING", "ACTIVATION_SUCCESS", "CLEANUP_SUCCESS",
                                   "COMPLETED"});
    std::map<std::string, std::string> status;
    for (const auto& c : s.cm.list()) status[c.name()] = c.state().status();
    CHECK(status == std::map<std::string, std::string>{{"hello-world", "Running"}, {"sua", "Running"}});
    const auto hello = s.cm.id_of("hello-world");
    REQUIRE(twin.wait_for_request());
    twin.send_identity();
    auto seen = twin.until(
        [&](const harness::twin_message& m) { return m.path() == "/features/Container:" + hello; });
    REQUIRE_FALSE(seen.empty());
    CHECK(seen.back().path() == "/features/Container:" + hello);
    CHECK(seen.back().value().at("properties").at("status").at("state").at("status") == "RUNNING");
}

namespace {

// "<component id> <status> <message>" of each action of one feedback.
std::vector<std::string> action_lines(const json::object& feedback) {
    std::vector<std::string> out;
    const auto& p = feedback.at("payload").as_object();
    if (!p.contains("actions")) return out;
    for (const auto& a : p.at("actions").as_array()) {
        out.push_back(std::string(a.at("component").at("id").as_string()) + " " +
                      std::string(a.at("status").as_string()) + " " +
                      std::string(a.at("message").as_string()));
    }
    return out;
}

std::string components(const std::vector<std::pair<std::string, std::string>>& name_image) {
    std::string out;
    for (const auto& [name, image] : name_image) {
        const auto version = image.substr(image.rfind(':') + 1);
        out += std::string(out.empty() ? "" : ",") + R"({"id":")" + name + R"(","version":")" + version +
               R"(","config":[{"key":"image","value":")" + image + R"("}]})";
    }
    return out;
}

}  // namespace

TEST_CASE("update agent: the conformance vectors end to end") {
    ua_session s({}, {"--things-enable=false", "--ua-enable", "--ua-system-containers", "syslib"});
    s.start_bridge();
    const std::string destroy = "Existing container will be destroyed, no longer needed.";
    const std::string check = "No changes detected, existing container will be check only if it is running.";
    const std::string create = "New container will be created and started.";
    auto remove_all = [&] {
        for (const auto& c : s.cm.list()) s.cm.remove(c.id());
    };

    // 1: an empty desired state.
    s.publish("containersupdate/desiredstate", "{}");
    auto f = s.feedback_until("IDENTIFICATION_FAILED");
    REQUIRE(f.size() == 1);
    CHECK(
        json::serialize(f[0].at("payload")) ==
        R"({"status":"IDENTIFICATION_FAILED","message":"one domain expected in desired state specification, but got 0"})");

    // 2: nothing desired, nothing there.
    s.desired("v2", R"({"domains":[{"id":"containers","components":[]}]})");
    f = s.feedback_until("COMPLETED");
    CHECK(statuses(f) == std::vector<std::string>{"IDENTIFYING", "IDENTIFIED", "COMPLETED"});
    CHECK_FALSE(f[1].at("payload").as_object().contains("actions"));

    // 3: an existing container nobody wants.
    const auto tc = s.cm.create(R"({"name":"test-container","image":{"name":"test-container:1.2.3"}})");
    s.desired("v3", R"({"domains":[{"id":"containers"}]})");
    f = s.feedback_until("IDENTIFIED");
    CHECK(action_lines(f.back()) ==
          std::vector<std::string>{"containers:test-container IDENTIFIED " + destroy});
    CHECK(f.back().at("payload").at("actions").as_array()[0].at("component").at("version") == "1.2.3");

    // 4: a configured system container is left out.
    s.cm.remove(tc);
    s.cm.create(R"({"name":"syslib","image":{"name":"syslib:1.0.0"}})");
    s.cm.create(R"({"name":"test-container2","image":{"name":"test-container2:11.22.33"}})");
    s.desired("v4", R"({"domains":[{"id":"containers","components":[)" +
                        components({{"syslib", "syslib:1.2.0"},
                                    {"test-container", "test-container:1.2.3"},
                                    {"test-container2", "test-container2:11.22.33"}}) +
                        "]}]}");
    f = s.feedback_until("IDENTIFIED");
    CHECK(action_lines(f.back()) ==
          std::vector<std::string>{"containers:test-container IDENTIFIED " + create,
                                   "containers:test-container2 IDENTIFIED " + check});

    // 6 and 8: the domain's systemContainers replace the configured ones; versions from images.
    s.cm.create(R"({"name":"sys-container-1","image":{"name":"s:1"}})");
    s.cm.create(R"({"name":"corelib","image":{"name":"c:1"}})");
    s.cm.create(R"({"name":"digest","image":{"name":"localhost:5000/x@sha256:abc"}})");
    s.desired(
        "v6",
        R"({"domains":[{"id":"containers","config":[{"key":"systemContainers","value":"sys-container-1, corelib"}]}]})");
    f = s.feedback_until("IDENTIFIED");
    CHECK(action_lines(f.back()) ==
          std::vector<std::string>{"containers:digest IDENTIFIED " + destroy,
                                   "containers:syslib IDENTIFIED " + destroy,
                                   "containers:test-container2 IDENTIFIED " + destroy});
    CHECK(f.back().at("payload").at("actions").as_array()[0].at("component").at("version") == "sha256:abc");

    // 5: the five-container fixture through every phase, with baselines.
    remove_all();
    const auto c1 = s.cm.create(R"({"name":"c1","image":{"name":"c1:1"}})");
    s.cm.start(c1);
    s.cm.pause(c1);
    const auto c2 = s.cm.create(R"({"name":"c2","image":{"name":"c2:1"}})");
    s.cm.start(c2);
    const auto c3 = s.cm.create(R"({"name":"c3","image":{"name":"c3:1"}})");
    s.cm.start(c3);
    const auto c5 = s.cm.create(R"({"name":"c5","image":{"name":"c5:1"}})");
    s.cm.start(c5);
    s.cm.stop(c5);
    s.desired(
        "v5",
        R"({"baselines":[{"title":"a","components":["containers:c1","containers:c2"]},
                                     {"title":"b","components":["containers:c3","containers:c4"]}],
                        "domains":[{"id":"containers","components":[)" +
            components({{"c1", "c1:1"}, {"c2", "c2:2"}}) +
            R"(,{"id":"c3","version":"1","config":[{"key":"image","value":"c3:1"},{"key":"restartPolicy","value":"no"}]},)" +
            components({{"c4", "c4:1"}}) + "]}]}");
    f = s.feedback_until("IDENTIFIED");
    CHECK(action_lines(f.back()) == vectors::fixture_identified);
    s.command("v5", "DOWNLOAD");
    CHECK(statuses(s.feedback_until("DOWNLOAD_SUCCESS")) ==
          std::vector<std::string>{"DOWNLOADING", "DOWNLOADING", "DOWNLOAD_SUCCESS"});
    s.command("v5", "UPDATE");
    f = s.feedback_until("UPDATE_SUCCESS");
    CHECK(statuses(f) == std::vector<std::string>{"UPDATING", "UPDATING", "UPDATING", "UPDATE_SUCCESS"});
    s.command("v5", "ACTIVATE");
    f = s.feedback_until("ACTIVATION_SUCCESS");
    CHECK(statuses(f) == std::vector<std::string>{"ACTIVATING", "ACTIVATING", "ACTIVATING", "ACTIVATING",
                                                  "ACTIVATION_SUCCESS"});
    CHECK(action_lines(f.back()) == vectors::fixture_activated);
    s.command("v5", "CLEANUP");
    f = s.feedback_until("COMPLETED");
    CHECK(statuses(f) == std::vector<std::string>{"CLEANUP_SUCCESS", "COMPLETED"});
    std::map<std::string, std::string> state;
    for (const auto& c : s.cm.list()) {
        state[c.name()] = c.state().status() + (c.host_config().restart_policy().type() == "no" ? " no" : "");
        if (c.name() == "c1") CHECK(c.id() == c1);
        if (c.name() == "c2") CHECK(c.id() != c2);  // the new instance
    }
    CHECK(state == std::map<std::string, std::string>{
                       {"c1", "Running"}, {"c2", "Running"}, {"c3", "Running no"}, {"c4", "Running"}});
    CHECK(s.probe().empty());
}

TEST_CASE(
    "update agent: with the deployment service in the same daemon, the first IDENTIFIED makes it step "
    "aside") {
    harness::temp_dir dir;
    const auto ctr = dir.path() / "containers";
    std::filesystem::create_directories(ctr);
    ua_session s({}, {"--things-enable=false", "--ua-enable", "--deployment-enable", "--deployment-ctr-dir",
                      ctr.string(), "--deployment-home-dir", dir.path().string()});
    s.start_bridge();
    s.desired("takeover", R"({"domains":[{"id":"containers","components":[
        {"id":"app","version":"1","config":[{"key":"image","value":"registry.example/app:1"}]}]}]})");
    s.feedback_until("IDENTIFIED");
    const auto marker = dir.path() / "deployment" / "stepped-aside";
    CHECK(harness::eventually([&] { return std::filesystem::exists(marker); }, 15000ms));
    CHECK(harness::eventually([&] { return s.bridge->log().find("stepping aside") != std::string::npos; },
                              15000ms));
}

TEST_CASE("the daemon with all three services: SIGHUP is ignored, SIGTERM ends it cleanly with 0") {
    harness::temp_dir dir;
    ua_session s({}, {"--ua-enable", "--deployment-enable", "--deployment-ctr-dir", dir.path().string(),
                      "--deployment-home-dir", dir.path().string()});
    s.start_bridge();
    ::kill(s.bridge->pid(), SIGHUP);
    REQUIRE(harness::eventually([&] { return s.bridge->log().find("SIGHUP ignored") != std::string::npos; },
                                15000ms));
    CHECK(s.probe().empty());                    // still serving
    const int status = s.bridge->stop(SIGTERM);  // SIGKILL after 5 s: then the status is not an exit
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(s.bridge->log().find("sending what is queued, exiting") != std::string::npos);
}
