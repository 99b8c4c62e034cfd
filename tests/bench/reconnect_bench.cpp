// Benchmark: a broker restart with 1000 containers registered. From the moment the restarted
// broker accepts connections: until the bridge is connected again and asks for the identity, and
// until the last message of the re-publish (the connector's identity is retained, so it is there
// as soon as the bridge subscribes). Reference in the same run: the first registration. Prints
// numbers, asserts nothing; BENCH_LOG=1 also prints the bridge's log (at DEBUG).
#include <chrono>
#include <cstdlib>
#include <memory>

#include <fmt/format.h>

#include "harness.hpp"
#include "twin_session.hpp"

using clock_type = std::chrono::steady_clock;

using harness::ms_since;

int main() {
    constexpr int n = 1000;
    harness::mosquitto broker;
    harness::simulator sim;
    if (!sim.create_many(n, "reconnect-")) return 1;
    auto observer = std::make_unique<harness::twin_observer>(broker);  // before the bridge asks
    harness::bridge_process bridge(broker, sim,
                                   {"--log-level", std::getenv("BENCH_LOG") != nullptr ? "DEBUG" : "WARN"});
    if (!observer->wait_for_request()) return 1;
    const auto start = clock_type::now();
    observer->send_identity();
    observer->until([](const auto& m) { return m.path() == "/features/Metrics"; }, std::chrono::seconds(60));
    const double first = ms_since(start);
    observer.reset();
    fmt::print("broker restart with {} containers registered (ms from the broker accepting again)\n", n);
    for (int round = 0; round < 3; ++round) {
        const auto down = clock_type::now();
        broker.restart();
        const auto t0 = clock_type::now();
        fmt::print("  (the broker was down for {:.1f} ms)\n",
                   std::chrono::duration<double, std::milli>(t0 - down).count());
        harness::twin_observer observer(broker);
        // Retained: the bridge gets it whenever it subscribes, before or after this.
        harness::mqtt_client connector(broker.url(), "bench-connector");
        connector.publish("edge/thing/response", harness::leda_identity, 1, true);
        auto burst = observer.until([](const auto& m) { return m.path() == "/features/Metrics"; },
                                    std::chrono::seconds(60));
        if (burst.empty() || burst.back().path() != "/features/Metrics") return 1;
        fmt::print("  round {}: last of {} re-published messages after {:7.1f}\n", round + 1, burst.size(),
                   ms_since(t0));
    }
    if (std::getenv("BENCH_LOG") != nullptr) fmt::print("{}\n", bridge.log());
    fmt::print("  reference: the first registration, identity -> last message: {:7.1f}\n", first);
    return 0;
}
