// The Metrics feature's pure parts (things.md §7.4, §9): the request, the filter semantics, the
// measurements from two samples, and the data message.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <boost/json/value.hpp>

#include "thing_id.hpp"

namespace twin {

struct metrics_filter {
    std::vector<std::string> ids;  // measurement ids or prefixes ("cpu.*", "memory.u", "*")
    std::string originator;        // "" matches every originator
};

struct metrics_request {
    std::chrono::milliseconds period{0};  // 0: stop reporting
    std::vector<metrics_filter> filters;
};

// {"frequency": seconds | "5s", "filter": [...]}; a 400 text on bad input.
std::variant<metrics_request, std::string> decode_metrics_request(const boost::json::value* value);

bool originator_selected(const std::vector<metrics_filter>& filters, const std::string& originator);
bool measurement_selected(const std::vector<metrics_filter>& filters, const std::string& originator,
                          const std::string& id);

// One reading of a container's counters; what could not be read stays empty.
struct metrics_sample {
    std::string container_id;
    std::optional<double> cpu_ns;         // the container's cumulative CPU time
    std::optional<double> system_cpu_ns;  // the host's cumulative CPU time over all cores
    std::optional<double> memory_limit;   // cgroup limit (nullopt: unlimited)
    std::optional<double> memory_usage;
    std::optional<double> memory_inactive_file;
    std::optional<double> machine_memory;
    std::optional<double> io_read, io_write;
    std::optional<double> net_rx, net_tx;
    std::optional<double> pids;
};

struct measurement {
    std::string id;
    double value;
};

// Measurements in Kanto's order; cpu.utilization needs the previous sample of the same container.
std::vector<measurement> measurements(const metrics_sample& now, const metrics_sample* previous);

// The live message on the event topic: things/live/messages/data at /features/Metrics/outbox/...
std::string metrics_message(const thing_id& thing,
                            const std::vector<std::pair<std::string, std::vector<measurement>>>& snapshot,
                            std::int64_t unix_seconds);

}  // namespace twin
