// Benchmark: kanto-cm-sim with 1000 containers (create, list, get, start, remove). Prints numbers;
// asserts nothing about time (the machines are noisy).
#include <chrono>
#include <cstdio>

#include <fmt/format.h>

#include "harness.hpp"

using clock_type = std::chrono::steady_clock;

using harness::ms_since;

int main() {
    constexpr int n = 1000;
    harness::simulator sim;
    auto stub = sim.containers();
    google::protobuf::Empty empty;
    std::vector<std::string> ids;
    ids.reserve(n);

    auto t0 = clock_type::now();
    for (int i = 0; i < n; ++i) {
        kcm::svc::CreateContainerRequest req;
        req.mutable_container()->set_name(fmt::format("bench-{}", i));
        req.mutable_container()->mutable_image()->set_name("docker.io/library/busybox:latest");
        kcm::svc::CreateContainerResponse resp;
        if (auto st = stub->Create(harness::rpc_context().get(), req, &resp); !st.ok()) {
            fmt::print(stderr, "create failed: {}\n", st.error_message());
            return 1;
        }
        ids.push_back(resp.container().id());
    }
    const double create_ms = ms_since(t0);

    t0 = clock_type::now();
    kcm::svc::ListContainersResponse list;
    const int lists = 20;
    for (int i = 0; i < lists; ++i) {
        list.Clear();
        if (!stub->List(harness::rpc_context().get(), {}, &list).ok()) return 1;
    }
    const double list_ms = ms_since(t0) / lists;

    t0 = clock_type::now();
    for (const auto& id : ids) {
        kcm::svc::GetContainerRequest req;
        req.set_id(id);
        kcm::svc::GetContainerResponse resp;
        if (!stub->Get(harness::rpc_context().get(), req, &resp).ok()) return 1;
    }
    const double get_ms = ms_since(t0);

    t0 = clock_type::now();
    for (const auto& id : ids) {
        kcm::svc::StartContainerRequest req;
        req.set_id(id);
        if (auto st = stub->Start(harness::rpc_context().get(), req, &empty); !st.ok()) {
            fmt::print(stderr, "start failed: {}\n", st.error_message());
            return 1;
        }
    }
    const double start_ms = ms_since(t0);

    t0 = clock_type::now();
    for (const auto& id : ids) {
        kcm::svc::RemoveContainerRequest req;
        req.set_id(id);
        req.set_force(true);
        if (!stub->Remove(harness::rpc_context().get(), req, &empty).ok()) return 1;
    }
    const double remove_ms = ms_since(t0);

    fmt::print("kanto-cm-sim, {} containers ({} bytes per List):\n", n, list.ByteSizeLong());
    fmt::print("  create all:        {:8.1f} ms  ({:.3f} ms each)\n", create_ms, create_ms / n);
    fmt::print("  list (1000):       {:8.2f} ms per call\n", list_ms);
    fmt::print("  get all:           {:8.1f} ms  ({:.3f} ms each)\n", get_ms, get_ms / n);
    fmt::print("  start all (clone, cgroups, exec):  {:8.1f} ms  ({:.3f} ms each)\n", start_ms, start_ms / n);
    fmt::print("  remove all (kill): {:8.1f} ms  ({:.3f} ms each)\n", remove_ms, remove_ms / n);
    return 0;
}
