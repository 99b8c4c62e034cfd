// Benchmark: a manifest written (closed) into the watched directory -> its container Running in
// the simulator, through kanto-auto-deployer --daemon; and, as the reference measured in the same
// run, the same Create + Start sent directly over gRPC. Prints numbers, asserts nothing about time.
#include <algorithm>
#include <chrono>
#include <fstream>
#include <vector>

#include <fmt/format.h>

#include "harness.hpp"

using clock_type = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {

bool running(kcm::svc::Containers::Stub& stub, const std::string& name) {
    kcm::svc::ListContainersResponse resp;
    if (!stub.List(harness::rpc_context().get(), {}, &resp).ok()) return false;
    return std::any_of(resp.containers().begin(), resp.containers().end(),
                       [&](const auto& c) { return c.name() == name && c.state().status() == "Running"; });
}

void print(const char* what, std::vector<double> ms) {
    std::sort(ms.begin(), ms.end());
    fmt::print("  {:60} p50 {:6.2f} ms   p90 {:6.2f} ms   max {:6.2f} ms   ({} runs)\n", what,
               ms[ms.size() / 2], ms[ms.size() * 9 / 10], ms.back(), ms.size());
}

}  // namespace

int main() {
    constexpr int runs = 30;
    harness::simulator sim;
    auto stub = sim.containers();
    harness::temp_dir dir;
    harness::child_process kad({harness::find_program("KANTO_AUTO_DEPLOYER", "kanto-auto-deployer"),
                                "--daemon", "-s", sim.socket().string(), dir.path().string()},
                               dir.path().parent_path() / (dir.path().filename().string() + "-kad.log"));
    // The daemon is up once a first manifest is deployed.
    std::ofstream(dir.path() / "warmup.json")
        << R"({"container_name":"warmup","image":{"name":"docker.io/library/busybox:1"}})";
    if (!harness::eventually([&] { return running(*stub, "warmup"); }, std::chrono::milliseconds(20000)))
        return 1;

    std::vector<double> via_manifest, direct;
    for (int i = 0; i < runs; ++i) {
        const auto name = fmt::format("m{}", i);
        const auto t0 = clock_type::now();
        std::ofstream(dir.path() / (name + ".json"))
            << R"({"container_name":")" << name << R"(","image":{"name":"docker.io/library/busybox:1"}})";
        while (!running(*stub, name)) {
        }
        via_manifest.push_back(harness::ms_since(t0));

        const auto t1 = clock_type::now();
        kcm::svc::CreateContainerRequest create;
        create.mutable_container()->set_name("d" + name);
        create.mutable_container()->mutable_image()->set_name("docker.io/library/busybox:1");
        kcm::svc::CreateContainerResponse created;
        if (!stub->Create(harness::rpc_context().get(), create, &created).ok()) return 1;
        kcm::svc::StartContainerRequest start;
        start.set_id(created.container().id());
        google::protobuf::Empty empty;
        if (!stub->Start(harness::rpc_context().get(), start, &empty).ok()) return 1;
        while (!running(*stub, "d" + name)) {
        }
        direct.push_back(harness::ms_since(t1));
    }
    fmt::print("kanto-auto-deployer --daemon, manifest closed -> container Running (simulator):\n");
    print("through the deployer (inotify, parse, List, Create, Start)", via_manifest);
    print("reference: Create + Start over gRPC directly", direct);
    return 0;
}
