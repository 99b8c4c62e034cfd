// The twin end to end: real mosquitto + kanto-cm-sim + kanto-twin-bridge, asserting exact JSON
// (things.md §2, §4.3, §6, §11, §13; issue "The digital twin").
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include <google/protobuf/util/json_util.h>
#include <boost/json.hpp>

#include "harness.hpp"
#include "recording.hpp"
#include "twin_session.hpp"

using namespace std::chrono_literals;
namespace json = boost::json;
using harness::paths;
using harness::rpc_context;

namespace {

struct cm_client {
    explicit cm_client(const harness::simulator& sim) : stub(sim.containers()) {}
    std::unique_ptr<kcm::svc::Containers::Stub> stub;
    google::protobuf::Empty empty;

    kcm::types::Container create(const kcm::types::Container& c) {
        kcm::svc::CreateContainerRequest req;
        *req.mutable_container() = c;
        kcm::svc::CreateContainerResponse resp;
        auto st = stub->Create(rpc_context().get(), req, &resp);
        REQUIRE_MESSAGE(st.ok(), st.error_message());
        return resp.container();
    }
    kcm::types::Container create(const std::string& name,
                                 const std::string& image = "docker.io/library/busybox:1.36") {
        kcm::types::Container c;
        c.set_name(name);
        c.mutable_image()->set_name(image);
        return create(c);
    }
    kcm::types::Container get(const std::string& id) {
        kcm::svc::GetContainerRequest req;
        req.set_id(id);
        kcm::svc::GetContainerResponse resp;
        REQUIRE(stub->Get(rpc_context().get(), req, &resp).ok());
        return resp.container();
    }
    template <class Req, class Call>
    void call(Call method, const std::string& id, std::function<void(Req&)> fill = {}) {
        Req req;
        req.set_id(id);
        if (fill) fill(req);
        auto st = (stub.get()->*method)(rpc_context(60s).get(), req, &empty);
        REQUIRE_MESSAGE(st.ok(), st.error_message());
    }
    void start(const std::string& id) {
        call<kcm::svc::StartContainerRequest>(&kcm::svc::Containers::Stub::Start, id);
    }
    void stop(const std::string& id) {
        call<kcm::svc::StopContainerRequest>(&kcm::svc::Containers::Stub::Stop, id);
    }
    void pause(const std::string& id) {
        call<kcm::svc::PauseContainerRequest>(&kcm::svc::Containers::Stub::Pause, id);
    }
    void unpause(const std::string& id) {
        call<kcm::svc::UnpauseContainerRequest>(&kcm::svc::Containers::Stub::Unpause, id);
    }
    void remove(const std::string& id) {
        call<kcm::svc::RemoveContainerRequest>(&kcm::svc::Containers::Stub::Remove, id,
                                               [](auto& r) { r.set_force(true); });
    }
    void rename(const std::string& id, const std::string& name) {
        call<kcm::svc::RenameContainerRequest>(&kcm::svc::Containers::Stub::Rename, id,
                                               [&](auto& r) { r.set_name(name); });
    }
    void update(const std::string& id, const kcm::types::UpdateOptions& o) {
        call<kcm::svc::UpdateContainerRequest>(&kcm::svc::Containers::Stub::Update, id,
                                               [&](auto& r) { *r.mutable_updateoptions() = o; });
    }
};

using harness::replace_all;

json::value expected(std::string text, const std::map<std::string, std::string>& vars) {
    for (const auto& [k, v] : vars) text = replace_all(text, k, v);
    return json::parse(text);
}

bool is_path(const harness::twin_message& m, const std::string& p) {
    return m.path() == p;
}

// A running session: broker, simulator, bridge, observer; the bridge is connected when it returns.
struct session {
    harness::mosquitto broker;
    harness::simulator sim;
    cm_client cm{sim};
    std::unique_ptr<harness::bridge_process> bridge;
    harness::twin_observer observer{broker};

    void start_bridge(std::vector<std::string> args = {}, std::filesystem::path things_home = {}) {
        bridge =
            std::make_unique<harness::bridge_process>(broker, sim, std::move(args), std::move(things_home));
        REQUIRE_MESSAGE(observer.wait_for_request(), bridge->log());
    }
    // Sends the identity and returns the registration burst (up to the Metrics feature).
    std::vector<harness::twin_message> register_twin(const std::string& identity = harness::leda_identity) {
        observer.send_identity(identity);
        auto burst = observer.until([](const auto& m) { return m.path() == "/features/Metrics"; });
        REQUIRE_MESSAGE(!burst.empty(), bridge->log());
        REQUIRE(burst.back().path() == "/features/Metrics");
        return burst;
    }
};

constexpr const char* factory_value =
    R"({"definition":["com.bosch.iot.suite.edge.containers:ContainerFactory:1.3.0"]})";
constexpr const char* metrics_value = R"({"definition":["com.bosch.iot.suite.edge.metric:Metrics:1.0.0"]})";

}  // namespace

TEST_CASE("registration burst: rich configurations, exact JSON, topics and headers") {
    session s;
    kcm::types::Container rich;
    rich.set_name("rich");
    rich.mutable_image()->set_name("ghcr.io/eclipse/kuksa.val/databroker:0.2.5");
    rich.mutable_image()->mutable_decrypt_config()->add_keys("/keys/k1.pem");
    rich.mutable_image()->mutable_decrypt_config()->add_recipients("jwe:/keys/pub.pem");
    rich.set_host_name("rich-host");
    rich.set_domain_name("rich.example.org");
    for (const char* mode : {"rprivate", "private", "rshared", "shared", "rslave", "slave"}) {
        auto* m = rich.add_mounts();
        m->set_source(std::string("/srv/") + mode);
        m->set_destination(std::string("/mnt/") + mode);
        m->set_propagation_mode(mode);
    }
    for (const char* e : {"FOO=bar", "EMPTY=", "MULTI=a b c"}) rich.mutable_config()->add_env(e);
    for (const char* a : {"sleep", "3600"}) rich.mutable_config()->add_cmd(a);
    auto* hc = rich.mutable_host_config();
    auto* dev = hc->add_devices();
    dev->set_path_on_host("/dev/null");
    dev->set_path_in_container("/dev/mynull");
    dev->set_cgroup_permissions("rwm");
    hc->set_network_mode("bridge");
    hc->mutable_restart_policy()->set_type("on-failure");
    hc->mutable_restart_policy()->set_maximum_retry_count(3);
    hc->mutable_restart_policy()->set_retry_timeout(10);
    hc->add_extra_hosts("db.local:10.1.2.3");
    hc->add_extra_capabilities("CAP_NET_ADMIN");
    auto* p1 = hc->add_port_mappings();
    p1->set_host_port(8080);
    p1->set_container_port(80);
    auto* p2 = hc->add_port_mappings();
    p2->set_protocol("udp");
    p2->set_host_ip("127.0.0.1");
    p2->set_host_port(5000);
    p2->set_host_port_end(5003);
    p2->set_container_port(5000);
    auto* log = hc->mutable_log_config();
    log->mutable_driver_config()->set_type("json-file");
    log->mutable_driver_config()->set_max_files(2);
    log->mutable_driver_config()->set_max_size("1M");
    log->mutable_driver_config()->set_root_dir("/var/log/rich");
    log->mutable_mode_config()->set_mode("non-blocking");
    log->mutable_mode_config()->set_max_buffer_size("2M");
    hc->mutable_resources()->set_memory("100M");
    hc->mutable_resources()->set_memory_reservation("50M");
    rich.mutable_io_config()->set_open_stdin(true);
    rich.mutable_io_config()->set_tty(true);
    const auto rich_id = s.cm.create(rich).id();
    s.cm.start(rich_id);

    kcm::types::Container priv;
    priv.set_name("priv");
    priv.mutable_image()->set_name("localhost:5000/app:1.0");
    priv.mutable_host_config()->set_privileged(true);
    priv.mutable_host_config()->set_network_mode("host");
    priv.mutable_host_config()->mutable_restart_policy()->set_type("no");
    priv.mutable_host_config()->mutable_log_config()->mutable_driver_config()->set_type("none");
    const auto priv_id = s.cm.create(priv).id();

    s.start_bridge();
    auto burst = s.register_twin();
    const auto r = s.cm.get(rich_id);
    const auto p = s.cm.get(priv_id);
    const std::map<std::string, std::string> vars{{"$RID", rich_id},
                                                  {"$PID", priv_id},
                                                  {"$RCREATED", r.created()},
                                                  {"$PCREATED", p.created()},
                                                  {"$RPID", std::to_string(r.state().pid())},
                                                  {"$RSTARTED", r.state().started_at()}};

    const auto rich_feature =
        expected(R"({"definition":["com.bosch.iot.suite.edge.containers:Container:1.5.0"],
      "properties":{"status":{"name":"rich","imageRef":"ghcr.io/eclipse/kuksa.val/databroker:0.2.5","config":{
        "domainName":"rich.example.org",
        "mountPoints":[{"source":"/srv/rprivate","destination":"/mnt/rprivate","propagationMode":"RPRIVATE"},
                       {"source":"/srv/private","destination":"/mnt/private","propagationMode":"PRIVATE"},
                       {"source":"/srv/rshared","destination":"/mnt/rshared","propagationMode":"RSHARED"},
                       {"source":"/srv/shared","destination":"/mnt/shared","propagationMode":"SHARED"},
                       {"source":"/srv/rslave","destination":"/mnt/rslave","propagationMode":"RSLAVE"},
                       {"source":"/srv/slave","destination":"/mnt/slave","propagationMode":"SLAVE"}],
        "hostName":"rich-host","env":["FOO=bar","EMPTY=","MULTI=a b c"],"cmd":["sleep","3600"],
        "decryption":{"keys":["/keys/k1.pem"],"recipients":["jwe:/keys/pub.pem"]},
        "devices":[{"pathOnHost":"/dev/null","pathInContainer":"/dev/mynull","cgroupPermissions":"rwm"}],
        "restartPolicy":{"maxRetryCount":3,"retryTimeout":10,"type":"ON_FAILURE"},
        "extraHosts":["db.local:10.1.2.3"],"extraCapabilities":["CAP_NET_ADMIN"],
        "portMappings":[{"proto":"tcp","hostPort":8080,"hostPortEnd":8080,"containerPort":80,"hostIP":"0.0.0.0"},
                        {"proto":"udp","hostPort":5000,"hostPortEnd":5003,"containerPort":5000,"hostIP":"127.0.0.1"}],
        "networkMode":"BRIDGE","openStdin":true,"tty":true,
        "log":{"type":"JSON_FILE","maxFiles":2,"maxSize":"1M","rootDir":"/var/log/rich","mode":"NON_BLOCKING","maxBufferSize":"2M"},
        "resources":{"memory":"100M","memoryReservation":"50M","memorySwap":"200M"}},
      "createdAt":"$RCREATED","state":{"status":"RUNNING","pid":$RPID,"startedAt":"$RSTARTED"}}}})",
                 vars);
    const auto priv_feature =
        expected(R"({"definition":["com.bosch.iot.suite.edge.containers:Container:1.5.0"],
      "properties":{"status":{"name":"priv","imageRef":"localhost:5000/app:1.0","config":{
        "domainName":"priv-domain","hostName":"priv-host","privileged":true,"restartPolicy":{"type":"NO"},
        "networkMode":"HOST","log":{"type":"NONE","mode":"BLOCKING"}},
      "createdAt":"$PCREATED","state":{"status":"CREATED","pid":-1}}}})",
                 vars);
    const auto su_feature =
        expected(R"({"definition":["org.eclipse.hawkbit.swupdatable:SoftwareUpdatable:2.0.0"],
      "properties":{"status":{"softwareModuleType":"oci:container","installedDependencies":{
        "ghcr.io%2Feclipse%2Fkuksa.val%2Fdatabroker.$RID:0.2.5":{"group":"ghcr.io/eclipse/kuksa.val/databroker","name":"$RID","version":"0.2.5"},
        "localhost.$PID:5000%2Fapp:1.0":{"group":"localhost","name":"$PID","version":"5000/app:1.0"}}}}})",
                 vars);

    REQUIRE(burst.size() == 5);
    std::map<std::string, json::value> by_path;
    for (const auto& m : burst) {
        CHECK(m.mqtt_topic == harness::leda_topic);
        CHECK(m.action() == "modify");
        CHECK(m.envelope.at("topic") ==
              "dummy-namespace/dummy-gateway:dummy-device-id:edge:containers/things/twin/commands/modify");
        CHECK(json::serialize(m.envelope.at("headers")) == R"({"response-required":false})");
        CHECK(m.envelope.size() == 4);  // topic, headers, path, value
        by_path[m.path()] = m.value();
    }
    // Container features first (by id), then ContainerFactory, SoftwareUpdatable, Metrics.
    const auto first = std::min(rich_id, priv_id), second = std::max(rich_id, priv_id);
    CHECK(paths(burst) == std::vector<std::string>{
                              "modify /features/Container:" + first, "modify /features/Container:" + second,
                              "modify /features/ContainerFactory", "modify /features/SoftwareUpdatable",
                              "modify /features/Metrics"});
    CHECK(by_path["/features/Container:" + rich_id] == rich_feature);
    CHECK(by_path["/features/Container:" + priv_id] == priv_feature);
    CHECK(by_path["/features/ContainerFactory"] == json::parse(factory_value));
    CHECK(by_path["/features/SoftwareUpdatable"] == su_feature);
    CHECK(by_path["/features/Metrics"] == json::parse(metrics_value));
    // Kanto's key order in the serialized envelope.
    CHECK(s.observer.raw_log().front().payload.rfind(R"({"topic":)", 0) == 0);
    CHECK(s.observer.raw_log().front().payload.find(R"("headers":{"response-required":false},"path":)") !=
          std::string::npos);
    CHECK(s.observer.raw_log().front().qos == 1);
    CHECK_FALSE(s.observer.raw_log().front().retained);

    // Persistence file (things.md §11).
    const auto file = s.bridge->things_home() /
                      "sup_back_dummy-namespace_dummy-gateway_dummy-device-id_edge_containers.json";
    CHECK(json::parse(harness::read_file(file)) ==
          expected(R"({"$RID":"Container:$RID","$PID":"Container:$PID"})", vars));
}

// Registration with zero containers is a core test (twin_core_test.cpp): the same burst and file.

TEST_CASE("every container transition, in order, validated against Ditto's schemas") {
    session s;
    s.start_bridge();
    s.register_twin();
    const auto feature = [](const std::string& id) { return "/features/Container:" + id; };
    const auto state = [&](const std::string& id) { return feature(id) + "/properties/status/state"; };
    const std::string deps = "/features/SoftwareUpdatable/properties/status/installedDependencies";

    auto c = s.cm.create("web");
    const auto id = c.id();
    auto ms = s.observer.until([&](const auto& m) { return is_path(m, deps); });
    // Kanto publishes installedDependencies before or after the feature; we always send it last.
    CHECK(paths(ms) ==
          std::vector<std::string>{"modify " + feature(id), "modify " + state(id), "modify " + deps});
    CHECK(ms[0].value().at("properties").at("status").at("state") ==
          json::parse(R"({"status":"CREATED","pid":-1})"));
    CHECK(ms[1].value() == json::parse(R"({"status":"CREATED","pid":-1})"));
    CHECK(ms[2].value().as_object().size() == 1);

    auto next_state = [&] {
        auto m = s.observer.until([&](const auto& x) { return is_path(x, state(id)); });
        REQUIRE(!m.empty());
        CHECK(m.size() == 1);
        return m.back().value().as_object();
    };
    s.cm.start(id);
    auto running = next_state();
    CHECK(running.at("status") == "RUNNING");
    const auto pid = running.at("pid").as_int64();
    CHECK(pid > 0);
    s.cm.pause(id);
    CHECK(next_state() ==
          json::object{{"status", "PAUSED"}, {"pid", pid}, {"startedAt", running.at("startedAt")}});
    s.cm.unpause(id);
    CHECK(next_state().at("status") == "RUNNING");
    s.cm.stop(id);
    auto stopped = next_state();
    CHECK(stopped.at("status") == "STOPPED");
    CHECK(stopped.at("pid") == -1);
    CHECK(stopped.at("exitCode") == 143);
    CHECK(stopped.contains("finishedAt"));

    s.cm.rename(id, "web-renamed");
    ms = s.observer.until([&](const auto& m) { return is_path(m, feature(id) + "/properties/status/name"); });
    REQUIRE(ms.size() == 1);
    CHECK(ms[0].value() == "web-renamed");

    kcm::types::UpdateOptions up;
    up.mutable_restart_policy()->set_type("always");
    up.mutable_resources()->set_memory("90M");
    s.cm.update(id, up);
    ms = s.observer.until(
        [&](const auto& m) { return is_path(m, feature(id) + "/properties/status/config"); });
    REQUIRE(!ms.empty());
    CHECK(ms.back().value() ==
          json::parse(R"({"domainName":"web-domain","hostName":"web-host","restartPolicy":{"type":"ALWAYS"},
        "networkMode":"BRIDGE","log":{"type":"JSON_FILE","maxFiles":2,"maxSize":"100M","mode":"BLOCKING"},"resources":{"memory":"90M"}})"));
    // 'always' restarts the stopped container at once (kanto-cm-grpc.md §3.4).
    CHECK(
        s.observer.until([&](const auto& m) { return is_path(m, state(id)); }).back().value().at("status") ==
        "RUNNING");

    s.cm.remove(id);
    ms = s.observer.until([&](const auto& m) { return is_path(m, deps); });
    REQUIRE(ms.size() == 3);
    CHECK(paths(ms) ==
          std::vector<std::string>{"modify " + state(id), "delete " + feature(id), "modify " + deps});
    CHECK(ms[0].value().at("status") == "DEAD");
    CHECK(ms[0].value().at("pid").as_int64() > 0);  // DEAD keeps the last pid
    CHECK(ms[1].envelope.size() == 3);              // a delete has no value
    CHECK(ms[2].value().is_null());                 // the last container: null, like Kanto (B8)
    CHECK(s.observer.drain(700ms).empty());
    CHECK(s.bridge->log().find("another publisher") == std::string::npos);  // its own echoes are known

    // Every envelope published in this test against Ditto's schemas.
    harness::temp_dir dir;
    {
        std::ofstream out(dir.path() / "messages.jsonl");
        for (const auto& m : s.observer.raw_log()) out << m.payload << "\n";
    }
    harness::child_process validator(
        {harness::find_program("KTB_PYTHON", "python3"), TEST_SOURCE_DIR "/system/validate_ditto.py",
         TEST_SOURCE_DIR "/data/ditto-schemas", (dir.path() / "messages.jsonl").string()},
        dir.path() / "validator.log");
    REQUIRE(harness::eventually([&] { return !validator.alive(); }, 30s));
    const auto status = validator.stop();
    INFO(harness::read_file(dir.path() / "validator.log"));
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("identity: a repeat publishes nothing, a policy change everything, a device change a new thing") {
    session s;
    s.cm.create("one");
    s.start_bridge();
    s.register_twin();
    s.observer.send_identity();
    CHECK(s.observer.drain(700ms).empty());

    s.observer.send_identity(
        R"({"deviceId":"dummy-namespace:dummy-gateway:dummy-device-id","tenantId":"dummy-tenant-id","policyId":"p2"})");
    auto again = s.observer.until([](const auto& m) { return m.path() == "/features/Metrics"; });
    CHECK(again.size() == 4);
    CHECK(again.front().mqtt_topic == harness::leda_topic);

    s.observer.send_identity(R"({"deviceId":"org.acme:gw-9","tenantId":"t9"})");
    auto moved = s.observer.until([](const auto& m) { return m.path() == "/features/Metrics"; });
    REQUIRE(moved.size() == 4);
    for (const auto& m : moved) {
        CHECK(m.mqtt_topic == "e/t9/org.acme:gw-9:edge:containers");
        CHECK(m.envelope.at("topic") == "org.acme/gw-9:edge:containers/things/twin/commands/modify");
    }
    CHECK(std::filesystem::exists(s.bridge->things_home() / "sup_back_org.acme_gw-9_edge_containers.json"));

    // Invalid identities are logged and ignored; the bridge keeps running.
    s.observer.send_identity("{not json");
    s.observer.send_identity(R"({"deviceId":42})");
    CHECK(s.observer.drain(500ms).empty());
    CHECK(s.bridge->alive());
    CHECK(s.bridge->log().find("ignoring the message on edge/thing/response") != std::string::npos);
}

TEST_CASE("persistence: a container removed while the bridge was down gets its feature deleted") {
    session s;
    const auto keep = s.cm.create("keep").id();
    const auto gone = s.cm.create("gone").id();
    harness::temp_dir things;
    s.start_bridge({}, things.path());
    s.register_twin();
    s.bridge->stop();

    s.cm.remove(gone);
    // A legacy-named file is renamed on restore (things.md §11).
    const auto current =
        things.path() / "sup_back_dummy-namespace_dummy-gateway_dummy-device-id_edge_containers.json";
    const auto legacy =
        things.path() / "sup_back_dummy-namespace_dummy-gateway:dummy-device-id:edge:containers.json";
    std::filesystem::rename(current, legacy);

    s.start_bridge({"--poll-interval", "300ms"}, things.path());
    auto burst = s.register_twin();
    CHECK(paths(burst) ==
          std::vector<std::string>{"modify /features/Container:" + keep, "delete /features/Container:" + gone,
                                   "modify /features/ContainerFactory", "modify /features/SoftwareUpdatable",
                                   "modify /features/Metrics"});
    CHECK_FALSE(std::filesystem::exists(legacy));
    // The stale id leaves the file once the burst has been out for a whole poll interval.
    CHECK(harness::eventually([&] {
        return json::parse(harness::read_file(current)) == json::object{{keep, "Container:" + keep}};
    }));

    SUBCASE("a corrupt persistence file is logged and ignored") {
        s.bridge->stop();
        std::ofstream(current) << "{corrupt";
        s.start_bridge({}, things.path());
        CHECK(s.register_twin().size() == 4);
        CHECK(s.bridge->log().find("ignoring corrupt") != std::string::npos);
    }
}

TEST_CASE("1000 containers: every feature arrives, in order") {
    session s;
    std::vector<std::string> ids;
    for (int i = 0; i < 1000; ++i) ids.push_back(s.cm.create("c" + std::to_string(i)).id());
    std::sort(ids.begin(), ids.end());
    s.start_bridge();
    auto burst = s.register_twin();
    REQUIRE(burst.size() == 1003);
    for (std::size_t i = 0; i < ids.size(); ++i) CHECK(burst[i].path() == "/features/Container:" + ids[i]);
    CHECK(burst[1000].path() == "/features/ContainerFactory");
    CHECK(burst[1001].value().at("properties").at("status").at("installedDependencies").as_object().size() ==
          1000);

    // Kanto-CM's own things service left on publishes the same thing. The broker delivers the
    // marker to the bridge after every echo of its burst, so the first warning, and no earlier
    // false alarm on an echo, names the marker.
    s.observer.publish(
        harness::leda_topic,
        R"({"topic":"dummy-namespace/dummy-gateway:dummy-device-id:edge:containers/things/twin/)"
        R"(commands/modify","headers":{"response-required":false},"path":"/features/)"
        R"(ContainerFactory","value":{"definition":["com.bosch.iot.suite.edge.containers:)"
        R"(ContainerFactory:1.3.0"]}})");
    REQUIRE_MESSAGE(
        harness::eventually([&] { return s.bridge->log().find("another publisher") != std::string::npos; }),
        s.bridge->log());
    const auto log = s.bridge->log();
    CHECK(log.find(std::string("another publisher sends twin messages on ") + harness::leda_topic +
                   " (/features/ContainerFactory), 1 so far: most likely Kanto-CM's own things service") !=
          std::string::npos);
}

TEST_CASE("Kanto-CM unreachable: MQTT stays up, one log line, diff when it is back") {
    session s;
    const auto a = s.cm.create("a").id();
    const auto b = s.cm.create("b").id();
    s.start_bridge();
    s.register_twin();

    const auto home = s.sim.home();
    const auto socket = s.sim.socket();
    s.sim.stop();
    // Noticed at the next read: the safety-net poll (10 s with the watch) at the latest.
    REQUIRE(harness::eventually(
        [&] { return s.bridge->log().find("Kanto-CM is not reachable") != std::string::npos; }, 30000ms));
    CHECK(s.bridge->alive());

    // Kanto-CM comes back without container b (removed meanwhile).
    std::filesystem::remove_all(home / "containers" / b);
    harness::child_process again({harness::find_program("KANTO_CM_SIM", "kanto-cm-sim"), "--socket",
                                  socket.string(), "--home", home.string()},
                                 home.parent_path() / "sim2.log");
    auto ms = s.observer.until(
        [&](const auto& m) {
            return m.path() == "/features/SoftwareUpdatable/properties/status/installedDependencies";
        },
        30000ms);
    CHECK(paths(ms) == std::vector<std::string>{
                           "modify /features/Container:" + b + "/properties/status/state",
                           "delete /features/Container:" + b,
                           "modify /features/SoftwareUpdatable/properties/status/installedDependencies"});
    const auto log = s.bridge->log();
    CHECK(log.find("Kanto-CM is reachable again") != std::string::npos);
    const auto first = log.find("Kanto-CM is not reachable");
    CHECK(log.find("Kanto-CM is not reachable", first + 1) == std::string::npos);  // once, not per retry
    (void)a;
}

TEST_CASE("Kanto-CM down at start: the identity waits for the first List") {
    harness::mosquitto broker;
    harness::temp_dir dir;
    const auto socket = dir.path() / "cm.sock";
    harness::twin_observer observer(broker);
    // The simulator object is only used for paths here: start the bridge against a socket that is not there
    // yet.
    std::ofstream(dir.path() / "config.json")
        << R"({"connection":{"broker_url":")" << broker.url() << R"("},"grpc_server":{"address_path":")"
        << socket.string() << R"("},"things":{"home_dir":")" << (dir.path() / "things").string()
        << R"("},"manager":{"home_dir":")" << (dir.path() / "cm").string() << R"("}})";
    harness::child_process bridge({harness::find_program("KANTO_TWIN_BRIDGE", "kanto-twin-bridge"),
                                   "--cfg-file", (dir.path() / "config.json").string()},
                                  dir.path() / "bridge.log");
    REQUIRE(observer.wait_for_request());
    observer.send_identity();
    CHECK(observer.drain(1000ms).empty());
    harness::child_process sim({harness::find_program("KANTO_CM_SIM", "kanto-cm-sim"), "--socket",
                                socket.string(), "--home", (dir.path() / "cm").string()},
                               dir.path() / "sim.log");
    auto burst = observer.until([](const auto& m) { return m.path() == "/features/Metrics"; }, 30000ms);
    INFO(harness::read_file(dir.path() / "bridge.log"));
    REQUIRE(burst.size() == 3);
}

TEST_CASE("conformance: the recording's containers give the recorded burst (b1)") {
    // Recreate the containers of steps a1-a3 from the recorded Create requests.
    session s;
    const auto lines = harness::recording_lines();
    const auto recorded_to_ours = harness::recreate_recorded_containers(lines, *s.cm.stub);
    REQUIRE(recorded_to_ours.size() == 3);
    s.start_bridge();
    auto burst = s.register_twin(R"({"deviceId":"org.acme:gw-1:dev-7","tenantId":"t1"})");

    // Normalise what varies between runs: ids, pids, timestamps (conformance README).
    const std::regex pid(R"re("pid":\d+)re"), time(R"re("(createdAt|startedAt|finishedAt)":"[^"]+")re");
    auto normalise = [&](std::string text, bool ours) {
        int n = 0;
        for (const auto& [theirs, mine] : recorded_to_ours) {
            text = replace_all(text, ours ? mine : theirs, "ID" + std::to_string(n++));
        }
        text = std::regex_replace(text, pid, R"("pid":"PID")");
        return std::regex_replace(text, time, R"("$1":"TIME")");
    };
    std::multiset<std::string> mine, theirs;
    for (const auto& m : burst) {
        CHECK(m.mqtt_topic == "e/t1/org.acme:gw-1:dev-7:edge:containers");
        mine.insert(json::serialize(json::parse(normalise(json::serialize(m.envelope), true))));
    }
    std::string step;
    for (const auto& o : lines) {
        if (!o.contains("topic")) continue;
        if (o.at("topic") == "zz/marker") {
            step = std::string(o.at("payload").at("step").as_string());
            continue;
        }
        if (step == "b1-identity" && o.at("topic").as_string().starts_with("e/")) {
            // Parse after normalising so key order inside installedDependencies does not matter.
            theirs.insert(json::serialize(json::parse(normalise(json::serialize(o.at("payload")), false))));
        }
    }
    REQUIRE(mine.size() == theirs.size());
    std::vector<json::value> a, b;
    for (const auto& x : mine) a.push_back(json::parse(x));
    for (const auto& x : theirs) b.push_back(json::parse(x));
    for (const auto& x : a) {
        CAPTURE(json::serialize(x));
        CHECK(std::count(b.begin(), b.end(), x) == 1);
    }
}

TEST_CASE("without the state-file watch, polling alone keeps the twin right (incl. a process exiting)") {
    session s;
    s.start_bridge({"--watch-state-files=false", "--poll-interval", "300ms"});
    s.register_twin();
    kcm::types::Container c;
    c.set_name("oneshot");
    c.mutable_image()->set_name("busybox");
    for (const char* a : {"sh", "-c", "sleep 0.5; exit 3"}) c.mutable_config()->add_cmd(a);
    c.mutable_host_config()->mutable_restart_policy()->set_type("no");
    const auto id = s.cm.create(c).id();
    const auto state = "/features/Container:" + id + "/properties/status/state";
    s.cm.start(id);
    auto ms = s.observer.until(
        [&](const auto& m) { return m.path() == state && m.value().at("status") == "EXITED"; });
    REQUIRE(!ms.empty());
    CHECK(ms.back().value().at("exitCode") == 3);
    CHECK(ms.back().value().at("pid") == -1);
    s.cm.remove(id);
    ms = s.observer.until([&](const auto& m) { return m.action() == "delete"; });
    REQUIRE(!ms.empty());
    CHECK(ms.back().path() == "/features/Container:" + id);
    CHECK(s.bridge->log().find("watching") == std::string::npos);
}

TEST_CASE("invalid configuration: exit code 2 and a message naming the key and the reason") {
    harness::temp_dir dir;
    auto run = [&](const std::string& config_json, std::vector<std::string> flags = {}) {
        std::ofstream(dir.path() / "c.json") << config_json;
        std::vector<std::string> argv{harness::find_program("KANTO_TWIN_BRIDGE", "kanto-twin-bridge"),
                                      "--cfg-file", (dir.path() / "c.json").string()};
        argv.insert(argv.end(), flags.begin(), flags.end());
        std::filesystem::remove(dir.path() / "out.log");
        harness::child_process p(argv, dir.path() / "out.log");
        REQUIRE(harness::eventually([&] { return !p.alive(); }, 10s));
        const int st = p.stop();
        return std::pair{WIFEXITED(st) ? WEXITSTATUS(st) : -1, harness::read_file(dir.path() / "out.log")};
    };
    auto [code, out] = run(R"({"connection":{"keep_alive":"abc"}})");
    CHECK(code == 2);
    CHECK(out.find("connection.keep_alive: invalid duration \"abc\"") != std::string::npos);
    std::tie(code, out) = run(R"({"things":{"enable":"yes"}})");
    CHECK(code == 2);
    CHECK(out.find("things.enable: expected true or false") != std::string::npos);
    std::tie(code, out) = run(R"({"things":{"features":["ContainerFactory","Teleporter"]}})");
    CHECK(code == 2);
    CHECK(out.find("unknown feature \"Teleporter\"") != std::string::npos);
    std::tie(code, out) = run(R"({"connection":{"broker_url":"ssl://broker:8883"}})");
    CHECK(code == 2);
    CHECK(out.find("connection.transport.root_ca: required") != std::string::npos);
    std::tie(code, out) = run(R"({"connection":{"client_password":["s3cr3t-value"]}})");
    CHECK(code == 2);
    CHECK(out.find("connection.client_password: expected a string") != std::string::npos);
    CHECK(out.find("s3cr3t-value") == std::string::npos);  // a secret is never echoed
    std::tie(code, out) = run(R"({"update_agent":{"system_containers":"sua"}})");
    CHECK(code == 2);
    CHECK(out.find("update_agent.system_containers: expected an array of strings") != std::string::npos);
    std::tie(code, out) = run(R"({"twin_bridge":{"poll_interval":1e300}})");  // found by fuzzing
    CHECK(code == 2);
    CHECK(out.find("twin_bridge.poll_interval: a duration of at most a year") != std::string::npos);
    std::tie(code, out) = run("{oops");
    CHECK(code == 2);
    CHECK(out.find("not valid JSON") != std::string::npos);
    std::tie(code, out) = run("{}", {"--conn-ack-timeout", "soon"});
    CHECK(code == 2);
    CHECK(out.find("--conn-ack-timeout: invalid duration \"soon\"") != std::string::npos);
    std::tie(code, out) = run("{}", {"--no-such-flag"});
    CHECK(code == 2);
    CHECK(out.find("no-such-flag") != std::string::npos);
    // A real device config with sections the bridge does not use is fine (then --help exits 0).
    std::tie(code, out) =
        run(R"({"log":{"log_level":"DEBUG"},"containers":{"insecure_registries":["localhost:5000"]},
                                  "things":{"enable":true,"features":["ContainerFactory"]},"manager":{"default_ctrs_stop_timeout":"30s"}})",
            {"--help"});
    CHECK(code == 0);
    CHECK(out.find("--conn-broker-url") != std::string::npos);
    CHECK(out.find("--things-features") != std::string::npos);
}

namespace {

// Runs a program to its end: exit code and its stdout+stderr. `env` entries are NAME=value.
std::pair<int, std::string> run_to_end(std::vector<std::string> argv, const std::filesystem::path& log) {
    std::filesystem::remove(log);
    harness::child_process p(std::move(argv), log);
    REQUIRE(harness::eventually([&] { return !p.alive(); }, 10s));
    const int st = p.stop();
    return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, harness::read_file(log)};
}

}  // namespace

TEST_CASE("command-line conventions: --version, stray words, negative sizes, empty URLs, misspelt keys") {
    harness::temp_dir dir;
    const auto log = dir.path() / "out.log";
    const auto bridge = harness::find_program("KANTO_TWIN_BRIDGE", "kanto-twin-bridge");
    for (const auto& [program, name] :
         {std::pair{bridge, "kanto-twin-bridge"},
          std::pair{harness::find_program("KANTO_TWIN", "kanto-twin"), "kanto-twin"}}) {
        const auto [code, out] = run_to_end({program, "--version"}, log);
        CHECK(code == 0);
        CHECK(out == std::string(name) + " " + KTB_VERSION + "\n");
    }
    // A config file given without --cfg-file used to be ignored: the defaults ran silently.
    auto [code, out] = run_to_end({bridge, "/etc/container-management/config.json"}, log);
    CHECK(code == 2);
    CHECK(out.find(
              "unexpected argument \"/etc/container-management/config.json\" (a configuration file is given "
              "with --cfg-file") != std::string::npos);
    std::tie(code, out) = run_to_end({bridge, "--queue-limit", "-1"}, log);
    CHECK(code == 2);
    CHECK(out.find("--queue-limit: expected a whole number of at least 1, got \"-1\"") != std::string::npos);
    std::tie(code, out) = run_to_end({bridge, "--conn-broker-url", "tcp://"}, log);
    CHECK(code == 2);
    CHECK(out.find("connection.broker_url: no host in \"tcp://\"") != std::string::npos);
    std::tie(code, out) = run_to_end({bridge, "--help"}, log);
    CHECK(code == 0);
    CHECK(out.rfind("usage: kanto-twin-bridge [--cfg-file FILE] [OPTIONS]", 0) == 0);
    CHECK(out.find("exit status: 0") != std::string::npos);
    CHECK(out.find("stray") == std::string::npos);  // internal options are not shown
    std::tie(code, out) = run_to_end({harness::find_program("KANTO_TWIN", "kanto-twin"), "--help"}, log);
    CHECK(code == 0);
    CHECK(out.find("exit status: 0 done") != std::string::npos);
    CHECK(out.find("--command") == std::string::npos);  // the command line's words are not options
    std::tie(code, out) =
        run_to_end({harness::find_program("KANTO_AUTO_DEPLOYER", "kanto-auto-deployer"), "--help"}, log);
    CHECK(code == 0);
    CHECK(out.find("USAGE:\n    kanto-auto-deployer [OPTIONS] [MANIFESTS_PATH]") != std::string::npos);
    CHECK(out.find("EXIT STATUS:\n    0 ") != std::string::npos);
    CHECK(out.find("--manifests") == std::string::npos);

    // An error found by validation names the file its settings came from.
    std::ofstream(dir.path() / "c.json") << R"({"connection":{"broker_url":"tcp://"}})";
    std::tie(code, out) = run_to_end({bridge, "--cfg-file", (dir.path() / "c.json").string()}, log);
    CHECK(code == 2);
    CHECK(out.find("(settings of " + (dir.path() / "c.json").string()) != std::string::npos);
}

TEST_CASE("the bridge's own switches: Kanto-CM's things.enable=false does not stop it; warnings at start") {
    harness::mosquitto broker;
    harness::simulator sim;
    harness::temp_dir dir;
    const auto log = dir.path() / "out.log";
    const auto bridge = harness::find_program("KANTO_TWIN_BRIDGE", "kanto-twin-bridge");
    const auto file = (dir.path() / "config.json").string();
    // Nothing of ours enabled: it says so and exits 0 (Restart=on-failure leaves it stopped).
    std::ofstream(file) << R"({"twin_bridge":{"things_enable":false}})";
    auto [code, out] = run_to_end({bridge, "--cfg-file", file}, log);
    CHECK(code == 0);
    CHECK(out.find("services: none") != std::string::npos);
    CHECK(out.find("nothing to do") != std::string::npos);

    // The shared file switches Kanto-CM's own twin off: ours runs; a misspelt key of our section
    // and a Kanto-CM update agent running beside ours are reported.
    std::ofstream(file) << R"({"things":{"enable":false,"home_dir":")" + dir.path().string() + R"("},
        "update_agent":{"enable":true},
        "twin_bridge":{"update_agent_enable":true,"pol_interval":"5s"},
        "connection":{"broker_url":")" +
                               broker.url() + R"("},
        "grpc_server":{"address_path":")" +
                               sim.socket().string() + R"("},
        "things_home":"x"})";
    harness::twin_observer observer(broker);
    harness::child_process p({bridge, "--cfg-file", file}, log);
    REQUIRE(observer.wait_for_request());  // the twin runs
    out = harness::read_file(log);
    CHECK(out.find(std::string("INFO  kanto-twin-bridge ") + KTB_VERSION + "; configuration: " + file +
                   "; services: twin (things), update agent") != std::string::npos);
    CHECK(out.find("WARN  " + file + ": twin_bridge.pol_interval is not a setting of kanto-twin-bridge") !=
          std::string::npos);
    CHECK(out.find("update_agent.enable is true: unless Kanto-CM is started with --ua-enable=false") !=
          std::string::npos);
    CHECK(out.find("things.enable is") == std::string::npos);  // Kanto-CM's twin is off
    CHECK(p.stop() == 0);
}

TEST_CASE("under systemd, every line starts with its journal priority so journalctl -p can filter") {
    harness::temp_dir dir;
    const auto log = dir.path() / "out.log";
    std::ofstream(log).flush();
    struct stat st {};
    REQUIRE(::stat(log.c_str(), &st) == 0);
    // JOURNAL_STREAM names stderr's device and inode, as systemd sets it for the journal.
    const auto stream = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
    ::setenv("JOURNAL_STREAM", stream.c_str(), 1);
    std::ofstream(dir.path() / "c.json") << R"({"twin_bridge":{"things_enable":false,"bogus":1}})";
    harness::child_process p({harness::find_program("KANTO_TWIN_BRIDGE", "kanto-twin-bridge"), "--cfg-file",
                              (dir.path() / "c.json").string()},
                             log);
    ::unsetenv("JOURNAL_STREAM");
    REQUIRE(harness::eventually([&] { return !p.alive(); }, 10s));
    const auto out = harness::read_file(log);
    CHECK(out.find("<6>INFO  kanto-twin-bridge ") != std::string::npos);
    CHECK(out.find("<4>WARN  ") != std::string::npos);
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) CHECK_MESSAGE(line.rfind("<", 0) == 0, line);
}

TEST_CASE("systemd Type=notify: READY=1 once MQTT and Kanto-CM answer, watchdog pings, STOPPING=1") {
    harness::mosquitto broker;
    harness::simulator sim;
    harness::temp_dir dir;
    harness::notify_socket notify(dir.path() / "notify.sock");
    // What systemd sets for the unit's process (the watchdog at 0.4 s: a ping every 0.2 s).
    ::setenv("NOTIFY_SOCKET", notify.path().c_str(), 1);
    ::setenv("WATCHDOG_USEC", "400000", 1);
    auto bridge = std::make_unique<harness::bridge_process>(broker, sim);
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
    CHECK(notify.until("READY=1"));
    CHECK(notify.received().back().find("STATUS=connected to the MQTT broker and to Kanto-CM") !=
          std::string::npos);
    CHECK(notify.until("WATCHDOG=1"));
    CHECK(notify.until("WATCHDOG=1"));
    bridge->stop();
    CHECK(notify.until("STOPPING=1"));
}

TEST_CASE(
    "log.log_file: the bridge logs beside Kanto-CM's file, and rotated files past log_file_max_age go") {
    harness::temp_dir dir;
    const auto log = dir.path() / "out.log";
    const auto logs = dir.path() / "logs";
    std::filesystem::create_directories(logs);
    // A rotated file from 40 days ago and one from today.
    std::ofstream(logs / "kanto-twin-bridge.1.log") << "old\n";
    std::ofstream(logs / "kanto-twin-bridge.2.log") << "recent\n";
    std::filesystem::last_write_time(
        logs / "kanto-twin-bridge.1.log",
        std::filesystem::file_time_type::clock::now() - std::chrono::hours(24 * 40));
    std::ofstream(dir.path() / "c.json")
        << R"({"log":{"log_file":")" + (logs / "container-management.log").string() +
               R"(","log_file_size":1,"log_file_count":2,"log_file_max_age":28},
        "twin_bridge":{"things_enable":false}})";
    const auto [code, out] = run_to_end({harness::find_program("KANTO_TWIN_BRIDGE", "kanto-twin-bridge"),
                                         "--cfg-file", (dir.path() / "c.json").string()},
                                        log);
    CHECK(code == 0);
    CHECK(out.empty());  // everything went to the file
    const auto file = harness::read_file(logs / "kanto-twin-bridge.log");
    CHECK(file.find("INFO  kanto-twin-bridge ") != std::string::npos);
    CHECK(file.find("nothing to do") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(logs / "container-management.log"));  // Kanto-CM's own file
    CHECK_FALSE(std::filesystem::exists(logs / "kanto-twin-bridge.1.log"));
    CHECK(std::filesystem::exists(logs / "kanto-twin-bridge.2.log"));

    // A file that cannot be written: stderr, with the reason.
    std::ofstream(dir.path() / "c.json")
        << R"({"twin_bridge":{"things_enable":false,"log_file":"/proc/nope/x.log"}})";
    const auto [code2, out2] = run_to_end({harness::find_program("KANTO_TWIN_BRIDGE", "kanto-twin-bridge"),
                                           "--cfg-file", (dir.path() / "c.json").string()},
                                          log);
    CHECK(code2 == 0);
    CHECK(out2.find("cannot write the log file /proc/nope/x.log") != std::string::npos);
}
