// Benchmark: the full sync (identity -> registration) for 0, 100 and 1000 containers through a real
// mosquitto against the limit of a plain Paho client publishing the same messages, then the bridge's
// memory against the floor of its libraries. Prints numbers, asserts nothing about time.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include <fmt/format.h>

#include "harness.hpp"
#include "plain_publisher.hpp"
#include "twin_session.hpp"

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

// A figure of /proc/<pid>/status in KiB ("VmRSS:", "VmHWM:"), -1 if unreadable.
long rss_kib(pid_t pid, const std::string& key = "VmRSS:") {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(in, line);) {
        if (line.rfind(key, 0) == 0) return std::stol(line.substr(key.size()));
    }
    return -1;
}

// RSS of bench-floor (beside this program): the same gRPC and Paho clients, connected, and
// nothing else; -1 if it cannot be measured.
std::pair<long, long> floor_rss_kib(const harness::mosquitto& broker, const harness::simulator& sim) {
    const auto self = std::filesystem::read_symlink("/proc/self/exe");
    harness::temp_dir dir;
    const auto log = dir.path() / "floor.log";
    harness::child_process floor(
        {(self.parent_path() / "bench-floor").string(), broker.url(), sim.socket().string()}, log);
    if (!harness::eventually([&] { return harness::read_file(log).find("ready") != std::string::npos; },
                             15000ms))
        return {-1, -1};
    return {rss_kib(floor.pid()), rss_kib(floor.pid(), "RssAnon:")};
}

// The bridge's own measure of a burst (DEBUG): first queued -> last acknowledged, in ms; -1 if absent.
double bridge_burst_ms(const harness::bridge_process& bridge) {
    static const std::regex line(R"(published a burst of \d+ messages: the last acknowledged ([0-9.]+) ms)");
    std::smatch m;
    const auto log = bridge.log();
    return std::regex_search(log, m, line) ? std::stod(m[1]) : -1;
}

}  // namespace

int main() {
    {
        harness::mosquitto broker;
        harness::simulator sim;
        const auto [rss, anon] = floor_rss_kib(broker, sim);
        fmt::print(
            "floor: a process with only the same gRPC and Paho clients, connected: RSS {:.1f} MB, of which "
            "{:.1f} MB anonymous (heap and stacks)\n\n",
            rss / 1024.0, anon / 1024.0);
    }
    fmt::print(
        "full sync, QoS 1: the bridge from the identity, and a plain Paho client publishing the same "
        "messages\n"
        "(ms: arrival of the last message at a subscriber, from the identity for the bridge and from the\n"
        "first publish for Paho; PUBACK of the last message from the first publish; msg/s from that)\n"
        "containers | msgs |    kB | publisher               | arrival | PUBACK |  msg/s | Paho / bridge "
        "(PUBACK)\n");
    std::string memory;
    for (int n : {0, 100, 1000}) {
        harness::mosquitto broker;
        harness::simulator sim;
        if (!sim.create_many(n, "bench-")) return 1;
        std::vector<harness::mqtt_message> burst_messages;
        {
            harness::twin_observer observer(broker);
            harness::bridge_process bridge(broker, sim, {"--log-level", "DEBUG"});
            if (!observer.wait_for_request()) return 1;
            std::this_thread::sleep_for(std::chrono::milliseconds(1200));  // the first List has completed
            const long idle_rss = rss_kib(bridge.pid(), "VmRSS:");
            const auto t0 = clock_type::now();
            observer.send_identity();
            auto burst = observer.until([](const auto& m) { return m.path() == "/features/Metrics"; });
            const double arrival_ms = harness::ms_since(t0);
            std::size_t bytes = 0;
            for (const auto& m : observer.raw_log()) {
                bytes += m.payload.size();
                if (m.topic.starts_with("e/")) burst_messages.push_back(m);
            }
            double acked_ms = -1;
            if (n > 0) harness::eventually([&] { return (acked_ms = bridge_burst_ms(bridge)) >= 0; }, 5000ms);
            const auto msgs = burst_messages.size();
            memory += fmt::format("{:10} | {:22.1f} | {:18.1f} | {:9.1f} | {:12.1f}\n", n, idle_rss / 1024.0,
                                  rss_kib(bridge.pid(), "VmRSS:") / 1024.0,
                                  rss_kib(bridge.pid(), "RssAnon:") / 1024.0,
                                  rss_kib(bridge.pid(), "VmHWM:") / 1024.0);
            // The same messages from a plain Paho client, on the same broker once the bridge is gone:
            // with the bridge's in-flight window fed from Paho's callback, and all handed over at once.
            bridge.stop();
            const auto rate = [&](double t) { return t > 0 ? msgs / (t / 1000.0) : 0.0; };
            // Bursts below 64 messages are not measured by the bridge.
            fmt::print("{:10} | {:4} | {:5.1f} | {:23} | {:7.1f} | {:>6} | {:6.0f} |\n", n, burst.size(),
                       bytes / 1000.0, "bridge", arrival_ms,
                       acked_ms >= 0 ? fmt::format("{:.1f}", acked_ms) : "-", rate(acked_ms));
            for (int window : {100, static_cast<int>(msgs)}) {
                harness::mqtt_client subscriber(broker.url());
                subscriber.subscribe("e/#", 1);
                std::vector<harness::mqtt_message> arrived;
                std::thread wait([&] { arrived = subscriber.take(msgs, 60000ms); });
                const auto plain = bench::plain_publish(broker.url(), burst_messages, window);
                wait.join();
                const auto arrived_at = clock_type::now();
                const auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
                const double plain_acked = plain.ok ? ms(plain.acked - plain.started) : -1;
                const double plain_arrival = arrived.size() == msgs ? ms(arrived_at - plain.started) : -1;
                fmt::print(
                    "{:10} | {:4} | {:5} | {:23} | {:7.1f} | {:6.1f} | {:6.0f} | {}\n", "", "", "",
                    window == 100 ? "plain Paho, window 100" : "plain Paho, all at once", plain_arrival,
                    plain_acked, rate(plain_acked),
                    acked_ms > 0 && plain_acked > 0 ? fmt::format("{:.2f}", plain_acked / acked_ms) : "-");
            }
        }
    }
    fmt::print(
        "\nbridge memory (MB; anonymous: the part of RSS that is heap and stacks, after registration)\n"
        "containers | RSS before the identity | after registration | anonymous | peak (VmHWM)\n{}",
        memory);
    return 0;
}
