// kanto-twin (the twin inspector) against real mosquitto + kanto-cm-sim + kanto-twin-bridge.
#include <doctest/doctest.h>

#include <sys/wait.h>

#include <algorithm>
#include <fstream>

#include <boost/json.hpp>

#include "harness.hpp"
#include "twin_session.hpp"

using namespace std::chrono_literals;
namespace json = boost::json;
using harness::rpc_context;

namespace {

constexpr const char* tid = "org.acme:gw-1:dev-7:edge:containers";

struct run_result {
    int exit_code;
    std::string output;
};

// Runs kanto-twin to completion (bounded) and returns its exit code and stdout+stderr.
run_result kanto_twin(const harness::mosquitto& broker, std::vector<std::string> args) {
    harness::temp_dir dir;
    std::vector<std::string> argv{harness::find_program("KANTO_TWIN", "kanto-twin"), "--broker",
                                  broker.url()};
    argv.insert(argv.end(), args.begin(), args.end());
    harness::child_process p(argv, dir.path() / "out.log");
    REQUIRE(harness::eventually([&] { return !p.alive(); }, 60s));
    const int st = p.stop();
    return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, harness::read_file(dir.path() / "out.log")};
}

struct inspector_session {
    harness::mosquitto broker;
    harness::simulator sim;
    std::unique_ptr<kcm::svc::Containers::Stub> stub = sim.containers();
    std::unique_ptr<harness::bridge_process> bridge;
    harness::twin_observer observer{broker};
    inspector_session() {
        bridge = std::make_unique<harness::bridge_process>(broker, sim);
        REQUIRE(observer.wait_for_request());
    }
    std::string create(const std::string& name, bool start) {
        kcm::svc::CreateContainerRequest req;
        req.mutable_container()->set_name(name);
        req.mutable_container()->mutable_image()->set_name("docker.io/library/busybox:1.36");
        kcm::svc::CreateContainerResponse resp;
        REQUIRE(stub->Create(rpc_context().get(), req, &resp).ok());
        google::protobuf::Empty empty;
        if (start) {
            kcm::svc::StartContainerRequest s;
            s.set_id(resp.container().id());
            REQUIRE(stub->Start(rpc_context().get(), s, &empty).ok());
        }
        return resp.container().id();
    }
};

}  // namespace

TEST_CASE("kanto-twin show prints the thing as Kanto-CM's List reports it") {
    inspector_session s;
    s.create("web", true);
    s.create("idle", false);
    auto r = kanto_twin(s.broker, {"show", "--device-id", "org.acme:gw-1:dev-7", "--tenant-id", "t1",
                                   "--identify", "--thing", tid, "--wait", "3s"});
    INFO(r.output);
    REQUIRE(r.exit_code == 0);
    const auto thing = json::parse(r.output);
    CHECK(thing.at("thingId") == tid);
    const auto& features = thing.at("features").as_object();
    CHECK(features.contains("ContainerFactory"));
    CHECK(features.contains("SoftwareUpdatable"));
    CHECK(features.contains("Metrics"));
    kcm::svc::ListContainersResponse list;
    REQUIRE(s.stub->List(rpc_context().get(), {}, &list).ok());
    CHECK(features.size() == 3 + static_cast<std::size_t>(list.containers_size()));
    for (const auto& c : list.containers()) {
        CAPTURE(c.name());
        const auto& status = features.at("Container:" + c.id()).at("properties").at("status");
        CHECK(status.at("name") == json::value(c.name()));
        CHECK(status.at("imageRef") == json::value(c.image().name()));
        std::string upper = c.state().status();
        for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        CHECK(status.at("state").at("status") == json::value(upper));
        CHECK(status.at("state").at("pid") == c.state().pid());
    }
    // Without anything published for a thing: exit 1 and a message.
    auto none = kanto_twin(s.broker, {"show", "--thing", "no:such:thing", "--wait", "500ms"});
    CHECK(none.exit_code == 1);
    CHECK(none.output.find("nothing was published for no:such:thing") != std::string::npos);
}

TEST_CASE(
    "kanto-twin watch prints a line per change: stop and start; one line for a feature that comes or goes") {
    inspector_session s;
    const auto id = s.create("web", true);
    harness::temp_dir dir;
    harness::child_process watch(
        {harness::find_program("KANTO_TWIN", "kanto-twin"), "watch", "--broker", s.broker.url(),
         "--device-id", "org.acme:gw-1:dev-7", "--tenant-id", "t1", "--identify", "--thing", tid},
        dir.path() / "watch.log");
    const auto log = [&] { return harness::read_file(dir.path() / "watch.log"); };
    REQUIRE_MESSAGE(
        harness::eventually(
            [&] { return log().find("Container:" + id + ": added (\"RUNNING\")") != std::string::npos; },
            15s),
        log());
    google::protobuf::Empty empty;
    kcm::svc::StopContainerRequest stop;
    stop.set_id(id);
    REQUIRE(s.stub->Stop(rpc_context().get(), stop, &empty).ok());
    const auto stopped = "Container:" + id + " status/state/status: \"RUNNING\" -> \"STOPPED\"";
    CHECK_MESSAGE(harness::eventually([&] { return log().find(stopped) != std::string::npos; }, 15s), log());
    kcm::svc::StartContainerRequest start;
    start.set_id(id);
    REQUIRE(s.stub->Start(rpc_context().get(), start, &empty).ok());
    const auto started = "Container:" + id + " status/state/status: \"STOPPED\" -> \"RUNNING\"";
    CHECK_MESSAGE(harness::eventually([&] { return log().find(started) != std::string::npos; }, 15s), log());
    CHECK(log().find("\x1b[") == std::string::npos);  // not a terminal: no colours

    // The broker goes away and comes back: watch says so, subscribes again and goes on.
    s.broker.restart();
    REQUIRE_MESSAGE(
        harness::eventually(
            [&] { return log().find("reconnected to " + s.broker.url()) != std::string::npos; }, 30s),
        log());
    CHECK(log().find("lost the connection to " + s.broker.url()) != std::string::npos);
    const bool back = harness::eventually(
        [&] {
            return s.bridge->log().find("connected to the MQTT broker " + s.broker.url() + " again") !=
                   std::string::npos;
        },
        30s);
    REQUIRE_MESSAGE(back, s.bridge->log());
    harness::mqtt_client connector(s.broker.url());
    connector.publish("edge/thing/response", R"({"deviceId":"org.acme:gw-1:dev-7","tenantId":"t1"})", 1);
    REQUIRE(s.stub->Stop(rpc_context().get(), stop, &empty).ok());
    CHECK_MESSAGE(harness::eventually(
                      [&] {
                          const auto l = log();
                          return l.find(stopped, l.find("reconnected to")) != std::string::npos;
                      },
                      15s),
                  log());
    // Removed: its feature goes, in one line.
    kcm::svc::RemoveContainerRequest remove;
    remove.set_id(id);
    remove.set_force(true);
    REQUIRE(s.stub->Remove(rpc_context().get(), remove, &empty).ok());
    CHECK_MESSAGE(harness::eventually(
                      [&] { return log().find("Container:" + id + ": deleted") != std::string::npos; }, 15s),
                  log());
    const auto l = log();  // not one line per leaf after it
    CHECK(l.find("Container:" + id + " ", l.find("Container:" + id + ": deleted")) == std::string::npos);
}

TEST_CASE("kanto-twin show and watch change nothing unless told: the identity is its own command") {
    inspector_session s;
    harness::mqtt_client connector(s.broker.url());
    connector.subscribe("edge/thing/response", 1);
    auto r = kanto_twin(
        s.broker, {"show", "--device-id", "org.acme:gw-1:dev-7", "--tenant-id", "typo", "--wait", "300ms"});
    CHECK(r.exit_code == 1);  // nothing published for the thing: it was not asked to
    connector.publish("edge/thing/response", R"({"probe":1})", 1);
    auto first = connector.next(10s);
    REQUIRE(first.has_value());
    CHECK(first->payload == R"({"probe":1})");  // no identity went out before it
    auto missing = kanto_twin(s.broker, {"show", "--identify", "--device-id", "org.acme:gw-1:dev-7"});
    CHECK(missing.exit_code == 2);
    CHECK(missing.output.find("needs --device-id and --tenant-id") != std::string::npos);
    auto sent = kanto_twin(s.broker, {"identify", "--device-id", "org.acme:gw-1:dev-7", "--tenant-id", "t1",
                                      "--policy-id", "p1"});
    CHECK(sent.exit_code == 0);
    auto identity = connector.next(10s);
    REQUIRE(identity.has_value());
    CHECK(json::parse(identity->payload) ==
          json::parse(R"({"deviceId":"org.acme:gw-1:dev-7","tenantId":"t1","policyId":"p1"})"));
}

TEST_CASE("kanto-twin call: every Container operation with the expected status") {
    inspector_session s;
    s.observer.send_identity(R"({"deviceId":"org.acme:gw-1:dev-7","tenantId":"t1"})");
    REQUIRE(!s.observer.until([](const auto& m) { return m.path() == "/features/Metrics"; }).empty());
    std::this_thread::sleep_for(300ms);
    auto call = [&](std::vector<std::string> args) {
        std::vector<std::string> argv{"call"};
        argv.insert(argv.end(), args.begin(), args.end());
        argv.insert(argv.end(), {"--thing", tid, "--timeout", "20s"});
        return kanto_twin(s.broker, argv);
    };
    auto created =
        call({"ContainerFactory", "create", R"({"imageRef":"docker.io/library/busybox:1.36","start":true})"});
    INFO(created.output);
    REQUIRE(created.exit_code == 0);
    REQUIRE(created.output.rfind("200\n", 0) == 0);
    const std::string id(json::parse(created.output.substr(4)).as_string());
    const auto feature = "Container:" + id;
    struct step {
        std::vector<std::string> args;
        int status;
    };
    for (const auto& st :
         std::vector<step>{{{feature, "start"}, 500},  // already running
                           {{feature, "pause"}, 204},
                           {{feature, "resume"}, 204},
                           {{feature, "stop"}, 204},
                           {{feature, "start"}, 204},
                           {{feature, "stopWithOptions", R"({"force":true,"signal":"SIGKILL"})"}, 204},
                           {{feature, "rename", R"("renamed")"}, 204},
                           {{feature, "update", R"({"restartPolicy":{"type":"NO"}})"}, 204},
                           {{feature, "rename", "42"}, 400},
                           {{feature, "remove", "true"}, 204},
                           {{feature, "start"}, 400}}) {  // the feature is gone
        auto r = call(st.args);
        CAPTURE(st.args[1]);
        CAPTURE(r.output);
        CHECK(r.output.rfind(std::to_string(st.status) + "\n", 0) == 0);
        CHECK(r.exit_code == (st.status < 300 ? 0 : 1));
    }
    auto bad = kanto_twin(s.broker, {"call", "ContainerFactory", "create", "{not json", "--thing", tid});
    CHECK(bad.exit_code == 2);
    auto silent =
        kanto_twin(s.broker, {"call", "Metrics", "request", "--thing", "nobody:listens", "--timeout", "1s"});
    CHECK(silent.exit_code == 3);
}

TEST_CASE("kanto-twin --cfg-file takes the device's broker settings; show explains an empty result") {
    harness::mosquitto broker;
    harness::temp_dir dir;
    const auto cfg = (dir.path() / "config.json").string();
    std::ofstream(cfg) << R"({"connection":{"broker_url":")" + broker.url() + R"("}})";
    // No --broker: the device's file names it. Nothing publishes, so show says what would.
    std::vector<std::string> argv{harness::find_program("KANTO_TWIN", "kanto-twin"),
                                  "show",
                                  "--cfg-file",
                                  cfg,
                                  "--thing",
                                  tid,
                                  "--wait",
                                  "300ms"};
    harness::child_process p(argv, dir.path() / "out.log");
    REQUIRE(harness::eventually([&] { return !p.alive(); }, 30s));
    CHECK(WEXITSTATUS(p.stop()) == 1);
    const auto out = harness::read_file(dir.path() / "out.log");
    CHECK(out.find("nothing was published for " + std::string(tid) + " within 300ms") != std::string::npos);
    CHECK(out.find("add --identify --device-id ID --tenant-id T") != std::string::npos);

    // The file's errors are the daemon's.
    std::ofstream(cfg) << R"({"connection":{"broker_url":"ssl://broker:8883"}})";
    harness::child_process bad(argv, dir.path() / "bad.log");
    REQUIRE(harness::eventually([&] { return !bad.alive(); }, 30s));
    CHECK(WEXITSTATUS(bad.stop()) == 2);
    CHECK(harness::read_file(dir.path() / "bad.log").find("connection.transport.root_ca: required") !=
          std::string::npos);
}
