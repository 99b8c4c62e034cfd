// Benchmark: identity -> last registration message for 100 and 1000 containers through a real
// mosquitto, then the bridge's memory. Prints numbers, asserts nothing about time.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "harness.hpp"
#include "twin_session.hpp"

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

long rss_kib(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    }
    return -1;
}

// RSS of bench-floor (beside this program): the same gRPC and Paho clients, connected, and
// nothing else; -1 if it cannot be measured.
long floor_rss_kib(const harness::mosquitto& broker, const harness::simulator& sim) {
    const auto self = std::filesystem::read_symlink("/proc/self/exe");
    harness::temp_dir dir;
    const auto log = dir.path() / "floor.log";
    harness::child_process floor(
        {(self.parent_path() / "bench-floor").string(), broker.url(), sim.socket().string()}, log);
    if (!harness::eventually([&] { return harness::read_file(log).find("ready") != std::string::npos; },
                             15000ms))
        return -1;
    return rss_kib(floor.pid());
}

}  // namespace

int main() {
    {
        harness::mosquitto broker;
        harness::simulator sim;
        fmt::print("floor: a process with only the same gRPC and Paho clients, connected: RSS {:.1f} MB\n",
                   floor_rss_kib(broker, sim) / 1024.0);
    }
    for (int n : {0, 100, 1000}) {
        harness::mosquitto broker;
        harness::simulator sim;
        if (!sim.create_many(n, "bench-")) return 1;
        harness::twin_observer observer(broker);
        harness::bridge_process bridge(broker, sim, {"--log-level", "WARN"});
        if (!observer.wait_for_request()) return 1;
        std::this_thread::sleep_for(std::chrono::milliseconds(1200));  // the first List has completed
        const long idle_rss = rss_kib(bridge.pid());
        const auto t0 = clock_type::now();
        observer.send_identity();
        auto burst = observer.until([](const auto& m) { return m.path() == "/features/Metrics"; });
        const double ms = harness::ms_since(t0);
        std::size_t bytes = 0;
        for (const auto& m : observer.raw_log()) bytes += m.payload.size();
        fmt::print(
            "{:5} containers: identity -> last of {:4} registration messages ({:7.1f} kB) in {:7.1f} ms; "
            "bridge RSS {:.1f} MB before, {:.1f} MB after\n",
            n, burst.size(), bytes / 1000.0, ms, idle_rss / 1024.0, rss_kib(bridge.pid()) / 1024.0);
    }
    return 0;
}
