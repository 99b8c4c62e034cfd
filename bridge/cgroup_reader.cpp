#include "cgroup_reader.hpp"

#include <unistd.h>

#include <charconv>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

namespace bridge {
namespace fs = std::filesystem;
namespace {

std::optional<std::string> slurp(const fs::path& p) {
    std::ifstream in(p);
    if (!in) return std::nullopt;
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// The number at the start of `text` (after blanks); nullopt for anything else, e.g. "max".
// std::from_chars: no exception, no locale.
std::optional<double> leading_number(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    double v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end == text.data()) return std::nullopt;
    return v;
}

bool path_exists(const fs::path& p) {
    std::error_code ec;  // the non-throwing overload: an unreadable path is just absent
    return fs::exists(p, ec);
}

std::optional<double> number_file(const fs::path& p) {
    auto text = slurp(p);
    if (!text) return std::nullopt;
    return leading_number(*text);
}

// "key value" lines (cpu.stat, memory.stat).
std::optional<double> keyed(const fs::path& p, const std::string& key) {
    std::ifstream in(p);
    for (std::string k; in >> k;) {
        double v = 0;
        if (!(in >> v)) return std::nullopt;
        if (k == key) return v;
    }
    return std::nullopt;
}

std::optional<double> host_cpu_ns(const fs::path& proc) {
    std::ifstream in(proc / "stat");
    std::string label;
    if (!(in >> label) || label != "cpu") return std::nullopt;
    double total = 0;
    for (int i = 0; i < 8; ++i) {  // user nice system idle iowait irq softirq steal (guest is in user)
        double v = 0;
        if (!(in >> v)) break;
        total += v;
    }
    static const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
    return total * 1e9 / tick;
}

std::optional<double> machine_memory(const fs::path& proc) {
    std::ifstream in(proc / "meminfo");
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("MemTotal:", 0) != 0) continue;
        const auto kib = leading_number(std::string_view(line).substr(9));
        return kib ? std::optional<double>(*kib * 1024.0) : std::nullopt;
    }
    return std::nullopt;
}

}  // namespace

cgroup_reader::cgroup_reader(fs::path proc, fs::path cgroup_root)
    : proc_(std::move(proc)), cgroup_root_(std::move(cgroup_root)) {}

namespace {

// Where a process's cgroup controllers are: "0::/path" (v2) and "N:controller,...:/path" (v1).
struct cgroup_dirs {
    std::optional<fs::path> v2;
    std::map<std::string, fs::path> v1;  // controller -> directory
};

cgroup_dirs find_cgroups(const fs::path& pid_dir, const fs::path& root) {
    cgroup_dirs d;
    std::ifstream cg(pid_dir / "cgroup");
    for (std::string line; std::getline(cg, line);) {
        const auto a = line.find(':'), b = line.find(':', a + 1);
        if (a == std::string::npos || b == std::string::npos) continue;
        const auto controllers = line.substr(a + 1, b - a - 1);
        const auto path = fs::path(line.substr(b + 1)).relative_path();
        if (controllers.empty()) {
            d.v2 = path_exists(root / "cgroup.controllers") ? root / path : root / "unified" / path;
            continue;
        }
        std::stringstream names(controllers);
        for (std::string c; std::getline(names, c, ',');) {
            // mounted alone (/sys/fs/cgroup/cpuacct) or co-mounted (/sys/fs/cgroup/cpu,cpuacct)
            const auto alone = root / c / path;
            d.v1[c] = path_exists(alone) ? alone : root / controllers / path;
        }
    }
    return d;
}

void read_cpu_and_memory(cgroup_dirs& d, twin::metrics_sample& s) {
    if (d.v1.count("cpuacct") != 0) s.cpu_ns = number_file(d.v1["cpuacct"] / "cpuacct.usage");
    if (!s.cpu_ns && d.v2) {
        if (auto usec = keyed(*d.v2 / "cpu.stat", "usage_usec")) s.cpu_ns = *usec * 1000.0;
    }
    const bool v1_memory = d.v1.count("memory") != 0 && path_exists(d.v1["memory"] / "memory.usage_in_bytes");
    if (v1_memory) {
        const auto& m = d.v1["memory"];
        s.memory_usage = number_file(m / "memory.usage_in_bytes");
        s.memory_limit = number_file(m / "memory.limit_in_bytes");
        s.memory_inactive_file = keyed(m / "memory.stat", "total_inactive_file");
        if (!s.memory_inactive_file) s.memory_inactive_file = keyed(m / "memory.stat", "inactive_file");
    } else if (d.v2) {
        s.memory_usage = number_file(*d.v2 / "memory.current");
        s.memory_limit = number_file(*d.v2 / "memory.max");  // "max": unlimited
        s.memory_inactive_file = keyed(*d.v2 / "memory.stat", "inactive_file");
    }
    if (d.v1.count("pids") != 0) s.pids = number_file(d.v1["pids"] / "pids.current");
    if (!s.pids && d.v2) s.pids = number_file(*d.v2 / "pids.current");
}

// Block IO: v1 blkio service bytes, or v2 io.stat; absent when the container did no block IO.
void read_block_io(cgroup_dirs& d, twin::metrics_sample& s) {
    if (d.v1.count("blkio") != 0) {
        std::ifstream io(d.v1["blkio"] / "blkio.throttle.io_service_bytes");
        double read = 0, write = 0;
        bool any = false;
        for (std::string dev, op; io >> dev;) {
            if (dev == "Total") {
                io >> op;
                continue;
            }
            double v = 0;
            if (!(io >> op >> v)) break;
            if (op == "Read") read += v, any = true;
            if (op == "Write") write += v, any = true;
        }
        if (any && (read > 0 || write > 0)) s.io_read = read, s.io_write = write;
    }
    if (!s.io_read && d.v2) {
        std::ifstream io(*d.v2 / "io.stat");
        double read = 0, write = 0;
        bool any = false;
        for (std::string tok; io >> tok;) {
            const bool r = tok.rfind("rbytes=", 0) == 0, w = tok.rfind("wbytes=", 0) == 0;
            if (!r && !w) continue;
            const auto v = leading_number(std::string_view(tok).substr(7));
            if (!v) continue;
            (r ? read : write) += *v;
            any = true;
        }
        if (any) s.io_read = read, s.io_write = write;
    }
}

// Network: every interface of the process's network namespace except loopback.
void read_network(const fs::path& pid_dir, twin::metrics_sample& s) {
    std::ifstream dev(pid_dir / "net" / "dev");
    std::string line;
    std::getline(dev, line);
    std::getline(dev, line);
    double rx = 0, tx = 0;
    bool any = false;
    while (std::getline(dev, line)) {
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        auto name = line.substr(0, colon);
        name.erase(0, name.find_first_not_of(' '));
        if (name == "lo") continue;
        std::stringstream fields(line.substr(colon + 1));
        double v[9] = {};
        for (double& x : v) fields >> x;
        rx += v[0];
        tx += v[8];
        any = true;
    }
    if (any) s.net_rx = rx, s.net_tx = tx;
}

}  // namespace

twin::metrics_sample cgroup_reader::read(const std::string& container_id, long pid) const {
    twin::metrics_sample s;
    s.container_id = container_id;
    s.system_cpu_ns = host_cpu_ns(proc_);
    s.machine_memory = machine_memory(proc_);
    const auto pid_dir = proc_ / std::to_string(pid);
    auto dirs = find_cgroups(pid_dir, cgroup_root_);
    read_cpu_and_memory(dirs, s);
    read_block_io(dirs, s);
    read_network(pid_dir, s);
    return s;
}

}  // namespace bridge
