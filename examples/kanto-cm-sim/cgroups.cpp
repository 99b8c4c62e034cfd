#include "cgroups.hpp"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

namespace sim {
namespace fs = std::filesystem;

namespace {

std::string write_file(const fs::path& p, const std::string& text) {
    std::ofstream out(p);
    out << text;
    out.flush();
    if (!out) return fmt::format("cannot write \"{}\" to {}", text, p.string());
    return {};
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// A directory can be created (and removed) below `dir`: the hierarchy is writable for us.
bool writable(const fs::path& dir) {
    return ::access(dir.c_str(), W_OK) == 0;
}

}  // namespace

cgroups::cgroups(fs::path root, std::string group) : root_(std::move(root)), group_(std::move(group)) {
    if (::geteuid() != 0) {
        why_ = "not running as root";
        return;
    }
    std::error_code ec;
    if (fs::exists(root_ / "cgroup.controllers", ec)) {  // the unified hierarchy
        if (!writable(root_)) {
            why_ = root_.string() + " is not writable";
            return;
        }
        v2_ = true;
        fs::create_directories(root_ / group_, ec);
        // Controllers for the containers' groups: enabled in every level above them (best effort;
        // a missing controller only leaves its figures out of Metrics).
        const auto available = read_file(root_ / "cgroup.controllers");
        for (const char* c : {"memory", "pids", "cpu"}) {
            if (available.find(c) == std::string::npos) continue;
            (void)write_file(root_ / "cgroup.subtree_control", std::string("+") + c);
            (void)write_file(root_ / group_ / "cgroup.subtree_control", std::string("+") + c);
        }
        return;
    }
    for (const char* c : {"memory", "pids", "cpu", "freezer"}) {
        const auto dir = root_ / c;
        if (!fs::exists(dir / "cgroup.procs", ec) || !writable(dir)) continue;
        fs::create_directories(dir / group_, ec);
        if (ec) continue;
        v1_.push_back(dir);
        if (std::string(c) == "freezer") freezer_ = true;
    }
    if (v1_.empty()) why_ = "no writable cgroup hierarchy under " + root_.string();
}

std::vector<fs::path> cgroups::dirs(const std::string& id) const {
    if (v2_) return {root_ / group_ / id};
    std::vector<fs::path> out;
    for (const auto& h : v1_) out.push_back(h / group_ / id);
    return out;
}

std::vector<std::string> cgroups::prepare(const std::string& id, std::optional<std::int64_t> memory_limit,
                                          std::string& error) {
    std::vector<std::string> procs;
    if (!enabled()) return procs;
    for (const auto& d : dirs(id)) {
        std::error_code ec;
        fs::create_directories(d, ec);
        if (ec) {
            error = fmt::format("cannot create the container's cgroup {}: {}", d.string(), ec.message());
            return {};
        }
        procs.push_back((d / "cgroup.procs").string());
    }
    error = set_memory_limit(id, memory_limit);
    return procs;
}

std::string cgroups::set_memory_limit(const std::string& id, std::optional<std::int64_t> memory_limit) {
    if (v2_) {
        const auto file = root_ / group_ / id / "memory.max";
        if (!fs::exists(file)) return {};
        return write_file(file, memory_limit ? std::to_string(*memory_limit) : "max");
    }
    for (const auto& h : v1_) {
        if (h.filename() != "memory") continue;
        // v1 takes -1 for unlimited.
        return write_file(h / group_ / id / "memory.limit_in_bytes",
                          memory_limit ? std::to_string(*memory_limit) : "-1");
    }
    return {};
}

std::string cgroups::set_frozen(const std::string& id, bool frozen) {
    fs::path state_file, request_file;
    std::string request, done;
    if (v2_) {
        request_file = root_ / group_ / id / "cgroup.freeze";
        request = frozen ? "1" : "0";
        state_file = root_ / group_ / id / "cgroup.events";
        done = frozen ? "frozen 1" : "frozen 0";
    } else {
        request_file = state_file = root_ / "freezer" / group_ / id / "freezer.state";
        request = done = frozen ? "FROZEN" : "THAWED";
    }
    if (auto e = write_file(request_file, request); !e.empty()) return e;
    // The kernel freezes asynchronously: the call returns once it reports the group frozen.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (read_file(state_file).find(done) == std::string::npos) {
        if (std::chrono::steady_clock::now() > deadline)
            return fmt::format("the container's cgroup did not reach \"{}\" within 5 s", done);
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return {};
}

std::string cgroups::freeze(const std::string& id) {
    return set_frozen(id, true);
}

std::string cgroups::thaw(const std::string& id) {
    return set_frozen(id, false);
}

void cgroups::remove(const std::string& id) {
    for (const auto& d : dirs(id)) {
        // The kernel removes a group once its last process is reaped; a dying one may linger briefly.
        for (int i = 0; i < 50 && ::rmdir(d.c_str()) != 0 && errno == EBUSY; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
}

}  // namespace sim
