// Benchmark of the deployer against direct gRPC calls measured in the same run:
// - latency: a manifest written (closed) into the watched directory -> its container Running, through
//   kanto-auto-deployer --daemon, against the same Create + Start sent directly;
// - throughput: a directory of 100 manifests deployed by the one-shot kanto-auto-deployer (process
//   start to exit, every container Running), against 100 Create + Start sent directly, and with the
//   List the deployer makes for each manifest.
// Prints numbers, asserts nothing about time.
#include <algorithm>
#include <chrono>
#include <fstream>
#include <vector>

#include <fmt/format.h>

#include "harness.hpp"

using clock_type = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {

std::size_t running_count(kcm::svc::Containers::Stub& stub, const std::string& prefix = {}) {
    kcm::svc::ListContainersResponse resp;
    if (!stub.List(harness::rpc_context().get(), {}, &resp).ok()) return 0;
    return std::count_if(resp.containers().begin(), resp.containers().end(), [&](const auto& c) {
        return c.name().starts_with(prefix) && c.state().status() == "Running";
    });
}

bool running(kcm::svc::Containers::Stub& stub, const std::string& name) {
    kcm::svc::ListContainersResponse resp;
    if (!stub.List(harness::rpc_context().get(), {}, &resp).ok()) return false;
    return std::any_of(resp.containers().begin(), resp.containers().end(),
                       [&](const auto& c) { return c.name() == name && c.state().status() == "Running"; });
}

bool create_and_start(kcm::svc::Containers::Stub& stub, const std::string& name) {
    kcm::svc::CreateContainerRequest create;
    create.mutable_container()->set_name(name);
    create.mutable_container()->mutable_image()->set_name("docker.io/library/busybox:1");
    kcm::svc::CreateContainerResponse created;
    if (!stub.Create(harness::rpc_context().get(), create, &created).ok()) return false;
    kcm::svc::StartContainerRequest start;
    start.set_id(created.container().id());
    google::protobuf::Empty empty;
    return stub.Start(harness::rpc_context().get(), start, &empty).ok();
}

void write_manifest(const fs::path& dir, const std::string& name) {
    std::ofstream(dir / (name + ".json"))
        << R"({"container_name":")" << name << R"(","image":{"name":"docker.io/library/busybox:1"}})";
}

void print(const char* what, std::vector<double> ms) {
    std::sort(ms.begin(), ms.end());
    fmt::print("  {:60} p50 {:6.2f} ms   p90 {:6.2f} ms   max {:6.2f} ms   ({} runs)\n", what,
               ms[ms.size() / 2], ms[ms.size() * 9 / 10], ms.back(), ms.size());
}

int latency() {
    constexpr int runs = 30;
    harness::simulator sim;
    auto stub = sim.containers();
    harness::temp_dir dir;
    harness::child_process kad({harness::find_program("KANTO_AUTO_DEPLOYER", "kanto-auto-deployer"),
                                "--daemon", "-s", sim.socket().string(), dir.path().string()},
                               dir.path().parent_path() / (dir.path().filename().string() + "-kad.log"));
    // The daemon is up once a first manifest is deployed.
    write_manifest(dir.path(), "warmup");
    if (!harness::eventually([&] { return running(*stub, "warmup"); }, std::chrono::milliseconds(20000)))
        return 1;

    std::vector<double> via_manifest, direct;
    for (int i = 0; i < runs; ++i) {
        const auto name = fmt::format("m{}", i);
        const auto t0 = clock_type::now();
        write_manifest(dir.path(), name);
        while (!running(*stub, name)) {
        }
        via_manifest.push_back(harness::ms_since(t0));

        const auto t1 = clock_type::now();
        if (!create_and_start(*stub, "d" + name)) return 1;
        while (!running(*stub, "d" + name)) {
        }
        direct.push_back(harness::ms_since(t1));
    }
    fmt::print("kanto-auto-deployer --daemon, manifest closed -> container Running (simulator):\n");
    print("through the deployer (inotify, parse, List, Create, Start)", via_manifest);
    print("reference: Create + Start over gRPC directly", direct);
    return 0;
}

int throughput() {
    constexpr int manifests = 100;
    harness::simulator sim;
    auto stub = sim.containers();
    harness::temp_dir dir;
    const auto manifest_dir = dir.path() / "manifests";
    fs::create_directory(manifest_dir);
    for (int i = 0; i < manifests; ++i) write_manifest(manifest_dir, fmt::format("app-{:03}", i));

    const auto t0 = clock_type::now();
    harness::child_process kad({harness::find_program("KANTO_AUTO_DEPLOYER", "kanto-auto-deployer"), "-s",
                                sim.socket().string(), manifest_dir.string()},
                               dir.path() / "kad.log");
    const int status = kad.wait();
    const double deployer_ms = harness::ms_since(t0);
    const auto deployed = running_count(*stub, "app-");
    if (status != 0 || deployed != manifests) {
        fmt::print("the deployer failed (status {}, {} running):\n{}\n", status, deployed,
                   harness::read_file(dir.path() / "kad.log"));
        return 1;
    }

    const auto t1 = clock_type::now();
    for (int i = 0; i < manifests; ++i) {
        if (!create_and_start(*stub, fmt::format("direct-{:03}", i))) return 1;
    }
    const double direct_ms = harness::ms_since(t1);
    // What the deployer does for each manifest: a List (matching by name), then Create + Start.
    const auto t2 = clock_type::now();
    for (int i = 0; i < manifests; ++i) {
        running_count(*stub);
        if (!create_and_start(*stub, fmt::format("listed-{:03}", i))) return 1;
    }
    const double listed_ms = harness::ms_since(t2);
    fmt::print("\n{} manifests deployed, every container Running (simulator):\n", manifests);
    fmt::print("  {:60} {:8.1f} ms  ({:.2f} ms each)\n", "kanto-auto-deployer (process start to exit)",
               deployer_ms, deployer_ms / manifests);
    fmt::print("  {:60} {:8.1f} ms  ({:.2f} ms each)  deployer x{:.2f}\n",
               "reference: Create + Start over gRPC directly", direct_ms, direct_ms / manifests,
               deployer_ms / direct_ms);
    fmt::print("  {:60} {:8.1f} ms  ({:.2f} ms each)  deployer x{:.2f}\n",
               "reference: List + Create + Start over gRPC directly", listed_ms, listed_ms / manifests,
               deployer_ms / listed_ms);
    return 0;
}

}  // namespace

int main() {
    if (const int rc = latency(); rc != 0) return rc;
    return throughput();
}
