// Benchmark: the idle cost of a registered twin. For 100 and 1000 containers, the CPU used over the
// same window by the simulator alone (the reference), and by the bridge plus the simulator (whose
// extra work is the bridge's List polling): with the state-file watch and its default 10 s safety
// poll, and with the 1 s poll that was the default before. Prints numbers, asserts nothing.
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "harness.hpp"
#include "twin_session.hpp"

namespace {

constexpr auto window = std::chrono::seconds(10);

// utime + stime of a process, in clock ticks (/proc/<pid>/stat fields 14 and 15).
long cpu_ticks(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::istringstream rest(stat.substr(stat.rfind(')') + 2));  // after "pid (comm) "
    std::string field;
    long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
        if (i == 14) utime = std::stol(field);
        if (i == 15) stime = std::stol(field);
    }
    return utime + stime;
}

// CPU % of one core used by each process over the window.
std::vector<double> measure(const std::vector<pid_t>& pids) {
    std::vector<long> before;
    for (auto pid : pids) before.push_back(cpu_ticks(pid));
    std::this_thread::sleep_for(window);  // a measurement window, not a wait for an event
    std::vector<double> out;
    const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK)) * window.count();
    for (std::size_t i = 0; i < pids.size(); ++i)
        out.push_back((cpu_ticks(pids[i]) - before[i]) * 100.0 / ticks);
    return out;
}

}  // namespace

int main() {
    fmt::print("idle cost over {} s, % of one core (reference: the simulator alone)\n", window.count());
    fmt::print("{:>10} | {:>13} | {:>24} | {:>24}\n", "containers", "simulator", "watch + 10 s poll",
               "1 s poll (old default)");
    for (int n : {100, 1000}) {
        harness::mosquitto broker;
        harness::simulator sim;
        if (!sim.create_many(n, "idle-")) return 1;
        const double alone = measure({sim.pid()})[0];
        std::vector<std::string> cells;
        for (const auto& args :
             {std::vector<std::string>{}, std::vector<std::string>{"--poll-interval", "1s"}}) {
            harness::twin_observer observer(broker);
            auto all = args;
            all.insert(all.end(), {"--log-level", "WARN"});
            harness::bridge_process bridge(broker, sim, all);
            if (!observer.wait_for_request()) return 1;
            observer.send_identity();
            observer.until([](const auto& m) { return m.path() == "/features/Metrics"; });
            const auto cpu = measure({bridge.pid(), sim.pid()});
            cells.push_back(fmt::format("{:5.2f} + {:5.2f} = {:5.2f}", cpu[0], cpu[1], cpu[0] + cpu[1]));
        }
        fmt::print("{:>10} | {:>13.2f} | {:>24} | {:>24}\n", n, alone, cells[0], cells[1]);
    }
    fmt::print("(bridge + simulator; the simulator's share above its reference is caused by the bridge)\n");
    return 0;
}
