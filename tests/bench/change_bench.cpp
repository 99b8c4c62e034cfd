// Benchmark: change latency. With 100 containers registered, each of stop, start, pause, resume,
// rename and update is sent to the simulator over gRPC; the time from the call's return to the
// twin message that shows it, p50/p99/max per operation: with the state-file watch (the default)
// and with polling alone (1 s). Prints numbers, asserts nothing.
#include <algorithm>
#include <chrono>
#include <functional>
#include <map>

#include <fmt/format.h>

#include "harness.hpp"
#include "twin_session.hpp"

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

struct step {
    const char* name;
    std::function<bool(kcm::svc::Containers::Stub&, const std::string& id, int round)> call;
    std::function<bool(const harness::twin_message&, const std::string& id, int round)> shows;
};

bool state_is(const harness::twin_message& m, const std::string& id, const char* status) {
    return m.path() == "/features/Container:" + id + "/properties/status/state" &&
           m.value().at("status") == status;
}

std::vector<step> steps() {
    google::protobuf::Empty empty;
    return {
        {"start",
         [=](auto& cm, const auto& id, int) mutable {
             kcm::svc::StartContainerRequest r;
             r.set_id(id);
             return cm.Start(harness::rpc_context().get(), r, &empty).ok();
         },
         [](const auto& m, const auto& id, int) { return state_is(m, id, "RUNNING"); }},
        {"pause",
         [=](auto& cm, const auto& id, int) mutable {
             kcm::svc::PauseContainerRequest r;
             r.set_id(id);
             return cm.Pause(harness::rpc_context().get(), r, &empty).ok();
         },
         [](const auto& m, const auto& id, int) { return state_is(m, id, "PAUSED"); }},
        {"resume",
         [=](auto& cm, const auto& id, int) mutable {
             kcm::svc::UnpauseContainerRequest r;
             r.set_id(id);
             return cm.Unpause(harness::rpc_context().get(), r, &empty).ok();
         },
         [](const auto& m, const auto& id, int) { return state_is(m, id, "RUNNING"); }},
        {"rename",
         [=](auto& cm, const auto& id, int round) mutable {
             kcm::svc::RenameContainerRequest r;
             r.set_id(id);
             r.set_name(fmt::format("renamed-{}-{}", id.substr(0, 8), round));
             return cm.Rename(harness::rpc_context().get(), r, &empty).ok();
         },
         [](const auto& m, const auto& id, int round) {
             return m.path() == "/features/Container:" + id + "/properties/status/name" &&
                    m.value() == boost::json::value(fmt::format("renamed-{}-{}", id.substr(0, 8), round));
         }},
        {"update",
         [=](auto& cm, const auto& id, int round) mutable {
             kcm::svc::UpdateContainerRequest r;
             r.set_id(id);
             r.mutable_updateoptions()->mutable_resources()->set_memory(fmt::format("{}M", 100 + round));
             return cm.Update(harness::rpc_context().get(), r, &empty).ok();
         },
         [](const auto& m, const auto& id, int) {
             return m.path() == "/features/Container:" + id + "/properties/status/config";
         }},
        {"stop",
         [=](auto& cm, const auto& id, int) mutable {
             kcm::svc::StopContainerRequest r;
             r.set_id(id);
             r.mutable_stopoptions()->set_timeout(1);
             r.mutable_stopoptions()->set_force(true);
             return cm.Stop(harness::rpc_context().get(), r, &empty).ok();
         },
         [](const auto& m, const auto& id, int) { return state_is(m, id, "STOPPED"); }},
    };
}

std::string summary(std::vector<double> ms) {
    if (ms.empty()) return "-";
    std::sort(ms.begin(), ms.end());
    return fmt::format("{:7.2f} / {:7.2f} / {:7.2f}", ms[ms.size() / 2],
                       ms[std::min(ms.size() - 1, ms.size() * 99 / 100)], ms.back());
}

}  // namespace

int main() {
    fmt::print("change latency (ms), 100 containers: gRPC return -> twin message, p50 / p99 / max\n");
    fmt::print("{:<8} | {:>29} | {:>29}\n", "", "state-file watch (20 rounds)",
               "polling alone, 1 s (3 rounds)");
    std::map<std::string, std::vector<double>> results[2];
    int missed = 0;
    for (int mode = 0; mode < 2; ++mode) {
        harness::mosquitto broker;
        harness::simulator sim;
        if (!sim.create_many(100, "change-")) return 1;
        auto cm = sim.containers();
        kcm::svc::ListContainersResponse listed;
        if (!cm->List(harness::rpc_context().get(), {}, &listed).ok()) return 1;
        harness::twin_observer observer(broker);
        std::vector<std::string> args{"--log-level", "WARN"};
        if (mode == 1) args.insert(args.end(), {"--watch-state-files=false", "--poll-interval", "1s"});
        harness::bridge_process bridge(broker, sim, args);
        if (!observer.wait_for_request()) return 1;
        observer.send_identity();
        observer.until([](const auto& m) { return m.path() == "/features/Metrics"; });
        const int rounds = mode == 0 ? 20 : 3;
        for (int round = 0; round < rounds; ++round) {
            const auto& id = listed.containers(round).id();
            for (const auto& s : steps()) {
                if (!s.call(*cm, id, round)) return 1;
                const auto t0 = clock_type::now();
                auto seen = observer.until([&](const auto& m) { return s.shows(m, id, round); }, 10000ms);
                if (seen.empty() || !s.shows(seen.back(), id, round)) {
                    ++missed;
                    continue;
                }
                results[mode][s.name].push_back(harness::ms_since(t0));
            }
        }
    }
    for (const auto& s : steps())
        fmt::print("{:<8} | {:>29} | {:>29}\n", s.name, summary(results[0][s.name]),
                   summary(results[1][s.name]));
    if (missed > 0) fmt::print("{} change(s) never showed within 10 s\n", missed);
    return 0;
}
