// The metrics reader against a made-up /proc and cgroup tree: real figures are read, and files
// with unexpected content ("max", garbage, empty) leave their measurement out without throwing.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "cgroup_reader.hpp"

namespace fs = std::filesystem;

namespace {

struct fake_tree {
    fs::path root = fs::temp_directory_path() / ("ktb-cgroup-" + std::to_string(::getpid()));
    fake_tree() { fs::create_directories(root); }
    ~fake_tree() {
        std::error_code ec;
        fs::remove_all(root, ec);
    }
    void put(const fs::path& rel, const std::string& text) const {
        fs::create_directories((root / rel).parent_path());
        std::ofstream(root / rel) << text;
    }
};

}  // namespace

TEST_CASE("cgroup v2: figures are read; 'max' is unlimited; garbage is left out, never thrown") {
    fake_tree t;
    t.put("proc/stat", "cpu  100 0 100 800 0 0 0 0 0 0\n");
    t.put("proc/meminfo", "MemTotal:       2048 kB\n");
    t.put("proc/42/cgroup", "0::/ctr\n");
    t.put("proc/42/net/dev", "h1\nh2\n  lo: 5 0 0 0 0 0 0 0 5\neth0: 100 0 0 0 0 0 0 0 200\n");
    t.put("cg/cgroup.controllers", "cpu memory pids io\n");
    t.put("cg/ctr/cpu.stat", "usage_usec 2000\nuser_usec 1000\n");
    t.put("cg/ctr/memory.current", "4096\n");
    t.put("cg/ctr/memory.max", "max\n");
    t.put("cg/ctr/memory.stat", "anon 1\ninactive_file 1024\n");
    t.put("cg/ctr/io.stat", "8:0 rbytes=10 wbytes=20 rios=1 wios=2\n8:16 rbytes=oops wbytes=5\n");
    t.put("cg/ctr/pids.current", "not-a-number\n");
    bridge::cgroup_reader reader(t.root / "proc", t.root / "cg");
    twin::metrics_sample s;
    REQUIRE_NOTHROW(s = reader.read("c1", 42));
    CHECK(s.container_id == "c1");
    CHECK(s.cpu_ns == doctest::Approx(2e6));
    CHECK(s.machine_memory == doctest::Approx(2048.0 * 1024));
    CHECK(s.memory_usage == doctest::Approx(4096));
    CHECK_FALSE(s.memory_limit.has_value());  // "max"
    CHECK(s.memory_inactive_file == doctest::Approx(1024));
    CHECK(s.io_read == doctest::Approx(10));  // the garbage token is skipped
    CHECK(s.io_write == doctest::Approx(25));
    CHECK_FALSE(s.pids.has_value());
    CHECK(s.net_rx == doctest::Approx(100));
    CHECK(s.net_tx == doctest::Approx(200));
}

TEST_CASE("a process that is gone, or a tree that is empty, gives an empty sample") {
    fake_tree t;
    t.put("proc/meminfo", "MemTotal: lots\n");
    bridge::cgroup_reader reader(t.root / "proc", t.root / "cg");
    twin::metrics_sample s;
    REQUIRE_NOTHROW(s = reader.read("c1", 7));
    CHECK_FALSE(s.cpu_ns.has_value());
    CHECK_FALSE(s.machine_memory.has_value());
    CHECK_FALSE(s.memory_usage.has_value());
}
