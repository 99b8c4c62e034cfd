// Benchmark: the round trip of a cloud command with no container work (a Metrics request that
// stops reporting) through the bridge, against the limit measured in the same run: a raw MQTT
// request/response echo through the same broker by another Paho client. Back to back, and after
// 1.2 s of silence (Paho C's receive thread sleeps 100 ms after each second without traffic).
// Prints numbers, asserts nothing.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

#include <fmt/format.h>

#include "harness.hpp"
#include "twin_session.hpp"

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr const char* thing = "dummy-namespace:dummy-gateway:dummy-device-id:edge:containers";

struct stats {
    double p50 = 0, p99 = 0, max = 0;
};
stats summarize(std::vector<double> ms) {
    std::sort(ms.begin(), ms.end());
    if (ms.empty()) return {};
    return {ms[ms.size() / 2], ms[std::min(ms.size() - 1, ms.size() * 99 / 100)], ms.back()};
}

// Times `round_trip` (which returns false when no answer came) `n` times, `gap` apart.
std::vector<double> run(int n, std::chrono::milliseconds gap, const std::function<bool(int)>& round_trip) {
    std::vector<double> out;
    for (int i = 0; i < n; ++i) {
        if (gap.count() > 0) std::this_thread::sleep_for(gap);  // the silence being measured
        const auto t0 = clock_type::now();
        if (!round_trip(i)) continue;
        out.push_back(harness::ms_since(t0));
    }
    return out;
}

}  // namespace

int main() {
    harness::mosquitto broker;
    harness::simulator sim;
    harness::twin_observer observer(broker);
    harness::bridge_process bridge(broker, sim, {"--log-level", "WARN"});
    if (!observer.wait_for_request()) return 1;
    observer.send_identity();
    observer.until([](const auto& m) { return m.path() == "/features/Metrics"; });

    harness::mqtt_client cloud(broker.url(), "bench-cloud");
    cloud.subscribe(std::string("command//") + thing + "/res/#", 1);
    cloud.subscribe("bench/echo/res", 1);
    int next_req = 0;
    auto command = [&](int) {
        const auto req = "b-" + std::to_string(next_req++);
        cloud.publish(
            std::string("command//") + thing + "/req/" + req + "/request",
            R"({"topic":"dummy-namespace/dummy-gateway:dummy-device-id:edge:containers/things/live/messages/request",)"
            R"("headers":{"correlation-id":"c-)" +
                req +
                R"(","response-required":true},"path":"/features/Metrics/inbox/messages/request",)"
                R"("value":{"frequency":"0s"}})",
            1);
        const auto prefix = std::string("command//") + thing + "/res/" + req + "/";
        for (auto end = clock_type::now() + 2s; clock_type::now() < end;) {
            auto m = cloud.next(100ms);
            if (m && m->topic.rfind(prefix, 0) == 0) return true;
        }
        return false;
    };
    // The command subscription follows the registration: ask until the first answer.
    bool answered = false;
    for (int i = 0; i < 50 && !answered; ++i) answered = command(0);
    if (!answered) return 1;

    harness::mqtt_client responder(broker.url(), "bench-echo");
    responder.subscribe("bench/echo/req", 1);
    std::atomic<bool> stop{false};
    std::thread echo([&] {
        while (!stop) {
            if (auto m = responder.next(50ms)) responder.publish("bench/echo/res", m->payload, 1);
        }
    });
    auto raw = [&](int i) {
        const auto payload = std::to_string(i) + "-" + std::to_string(next_req++);
        cloud.publish("bench/echo/req", payload, 1);
        for (auto end = clock_type::now() + 2s; clock_type::now() < end;) {
            auto m = cloud.next(100ms);
            if (m && m->topic == "bench/echo/res" && m->payload == payload) return true;
        }
        return false;
    };
    run(20, 0ms, raw);  // warm-up

    fmt::print("command round trip (ms): Metrics request through the bridge vs raw MQTT echo (limit)\n");
    fmt::print("{:<28} | {:>24} | {:>24} | {:>6}\n", "", "bridge p50 / p99 / max", "echo p50 / p99 / max",
               "p50 x");
    for (const auto& [label, n, gap] :
         {std::tuple{"back to back (200)", 200, 0ms}, std::tuple{"after 1.2 s silence (8)", 8, 1200ms}}) {
        const auto b = summarize(run(n, gap, command));
        const auto e = summarize(run(n, gap, raw));
        fmt::print("{:<28} | {:6.2f} / {:6.2f} / {:6.2f} | {:6.2f} / {:6.2f} / {:6.2f} | {:6.1f}\n", label,
                   b.p50, b.p99, b.max, e.p50, e.p99, e.max, e.p50 > 0 ? b.p50 / e.p50 : 0.0);
    }
    stop = true;
    echo.join();
    return 0;
}
