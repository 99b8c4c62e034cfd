// Benchmark of the update agent: a desired state of 50 containers applied with auto-apply
// (desired state published -> COMPLETED feedback), then the same state again (nothing to change)
// and a new version of every container (each recreated). Reference measured in the same run: the
// gRPC calls the agent makes, sent directly to the simulator one after another.
// Prints numbers, asserts nothing about time.
#include <chrono>
#include <string>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "harness.hpp"
#include "mqtt_client.hpp"

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr int containers = 50;
constexpr const char* feedback_topic = "containersupdate/desiredstatefeedback";

std::string desired_state(const std::string& activity, const std::string& version) {
    std::string components;
    for (int i = 0; i < containers; ++i) {
        const auto image = fmt::format("docker.io/library/app-{:02}:{}", i, version);
        components +=
            fmt::format(R"({}{{"id":"app-{:02}","version":"{}","config":[{{"key":"image","value":"{}"}}]}})",
                        components.empty() ? "" : ",", i, version, image);
    }
    return R"({"activityId":")" + activity + R"(","payload":{"domains":[{"id":"containers","components":[)" +
           components + "]}]}}";
}

// Waits for the activity's COMPLETED (or a failure) feedback; true on COMPLETED.
bool completed(harness::mqtt_client& observer, const std::string& activity) {
    for (;;) {
        auto m = observer.next(60000ms);
        if (!m) return false;
        if (m->topic != feedback_topic) continue;
        const auto env = boost::json::parse(m->payload).as_object();
        if (env.at("activityId").as_string() != activity) continue;
        const std::string status(env.at("payload").at("status").as_string());
        if (status == "COMPLETED") return true;
        if (status.find("FAIL") != std::string::npos) {
            fmt::print("{} ended {}: {}\n", activity, status, m->payload);
            return false;
        }
    }
}

std::string create(kcm::svc::Containers::Stub& stub, const std::string& name, const std::string& image) {
    kcm::svc::CreateContainerRequest req;
    req.mutable_container()->set_name(name);
    req.mutable_container()->mutable_image()->set_name(image);
    kcm::svc::CreateContainerResponse resp;
    if (!stub.Create(harness::rpc_context().get(), req, &resp).ok()) return {};
    return resp.container().id();
}

bool start(kcm::svc::Containers::Stub& stub, const std::string& id) {
    kcm::svc::StartContainerRequest req;
    req.set_id(id);
    google::protobuf::Empty empty;
    return stub.Start(harness::rpc_context().get(), req, &empty).ok();
}

bool stop_and_remove(kcm::svc::Containers::Stub& stub, const std::string& id) {
    kcm::svc::StopContainerRequest stop;
    stop.set_id(id);
    stop.mutable_stopoptions()->set_timeout(1);
    stop.mutable_stopoptions()->set_force(true);
    stop.mutable_stopoptions()->set_signal("SIGTERM");
    google::protobuf::Empty empty;
    if (!stub.Stop(harness::rpc_context().get(), stop, &empty).ok()) return false;
    kcm::svc::RemoveContainerRequest remove;
    remove.set_id(id);
    remove.set_force(true);
    return stub.Remove(harness::rpc_context().get(), remove, &empty).ok();
}

}  // namespace

int main() {
    harness::mosquitto broker;
    harness::simulator sim;
    auto stub = sim.containers();
    harness::mqtt_client observer(broker.url());
    observer.subscribe(feedback_topic);
    observer.subscribe("containersupdate/currentstate");
    harness::mqtt_client driver(broker.url());
    harness::bridge_process bridge(
        broker, sim, {"--things-enable=false", "--ua-enable", "--ua-auto-apply", "--log-level", "WARN"});
    // The first current state: the agent is subscribed.
    if (!observer.next(15000ms)) return 1;

    double ms[3];
    const char* what[3] = {"50 new containers (Create + Start each)",
                           "the same state again (nothing to change)",
                           "a new version of each (Stop + Remove + Create + Start)"};
    const std::pair<const char*, const char*> runs[3] = {{"a1", "1.0.0"}, {"a2", "1.0.0"}, {"a3", "2.0.0"}};
    for (int i = 0; i < 3; ++i) {
        const auto t0 = clock_type::now();
        driver.publish("containersupdate/desiredstate", desired_state(runs[i].first, runs[i].second), 1);
        if (!completed(observer, runs[i].first)) {
            fmt::print("the agent did not complete {}; its log:\n{}\n", runs[i].first, bridge.log());
            return 1;
        }
        ms[i] = harness::ms_since(t0);
    }
    bridge.stop();

    // The reference: the same calls, directly.
    std::vector<std::string> ids;
    auto t0 = clock_type::now();
    for (int i = 0; i < containers; ++i) {
        ids.push_back(
            create(*stub, fmt::format("ref-{:02}", i), fmt::format("docker.io/library/ref-{:02}:1.0.0", i)));
        if (ids.back().empty() || !start(*stub, ids.back())) return 1;
    }
    const double create_ms = harness::ms_since(t0);
    t0 = clock_type::now();
    for (int i = 0; i < containers; ++i) {
        if (!stop_and_remove(*stub, ids[i])) return 1;
        ids[i] =
            create(*stub, fmt::format("ref-{:02}", i), fmt::format("docker.io/library/ref-{:02}:2.0.0", i));
        if (ids[i].empty() || !start(*stub, ids[i])) return 1;
    }
    const double recreate_ms = harness::ms_since(t0);

    fmt::print("update agent, desired state of {} containers with auto-apply: published -> COMPLETED (ms)\n",
               containers);
    fmt::print("  {:56} {:8.1f}   reference, the calls directly {:8.1f}   x{:.2f}\n", what[0], ms[0],
               create_ms, ms[0] / create_ms);
    fmt::print("  {:56} {:8.1f}\n", what[1], ms[1]);
    fmt::print("  {:56} {:8.1f}   reference, the calls directly {:8.1f}   x{:.2f}\n", what[2], ms[2],
               recreate_ms, ms[2] / recreate_ms);
    return 0;
}
