// What the deployment core asks its host to do. Plain values; executed in order.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "calls.hpp"
#include "log_line.hpp"

namespace deploy {

using log_level = kanto::log_level;
using log = kanto::log_line;
// Read a manifest file; answer with deployer::on_manifest_read.
struct read_manifest {
    std::string path;
};
// gRPC List; answer with deployer::on_listed.
struct list_containers {};
// A Kanto-CM call (Create, Start, Stop, Remove); answer with deployer::on_kanto_done.
struct call_kanto {
    std::uint64_t call;
    kanto::request request;
};
// Kanto-CM was unreachable: call deployer::on_retry_due after this long.
struct schedule_retry {
    std::chrono::milliseconds after;
};
// The initial pass is over (a one-shot run ends here).
struct pass_finished {
    std::size_t deployed = 0, failed = 0, total = 0;
};

using action = std::variant<log, read_manifest, list_containers, call_kanto, schedule_retry, pass_finished>;
using actions = std::vector<action>;

}  // namespace deploy
