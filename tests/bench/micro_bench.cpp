// Micro benchmarks of the sans-I/O cores alone (no broker, no simulator): time and heap
// allocations per operation, counted by replacing the global operator new in this program.
//   - a Container:<id> feature built from a Kanto-CM container and serialised into its Ditto message;
//   - a snapshot of 1000 containers observed by the twin model: unchanged (the safety-net poll), and
//     with 10 of them changed;
//   - an inbound Ditto command (a container's stop) parsed and validated.
// The reference, measured in the same run, is boost::json parsing and serialising the feature's own
// JSON text: what any JSON-speaking implementation pays for a feature at least.
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <google/protobuf/util/json_util.h>
#include <boost/json.hpp>

#include "command_pipeline.hpp"
#include "container_mapping.hpp"
#include "envelope.hpp"
#include "features.hpp"
#include "thing_model.hpp"

namespace {
std::atomic<std::size_t> allocations{0};
}  // namespace

void* operator new(std::size_t n) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}

namespace {

using clock_type = std::chrono::steady_clock;

struct result {
    double ns_per_op;
    double allocs_per_op;
};

// Runs `op` `n` times (after a warm-up) and measures it.
template <class F>
result measure(int n, F&& op) {
    for (int i = 0; i < n / 10 + 1; ++i) op(i);
    const auto a0 = allocations.load();
    const auto t0 = clock_type::now();
    for (int i = 0; i < n; ++i) op(i);
    const double ns = std::chrono::duration<double, std::nano>(clock_type::now() - t0).count();
    return {ns / n, static_cast<double>(allocations.load() - a0) / n};
}

void print(const std::string& what, const result& r, const std::string& per = "op") {
    fmt::print("  {:64} {:10.0f} ns/{}  {:7.1f} allocs/{}\n", what, r.ns_per_op, per, r.allocs_per_op, per);
}

// A container as Kanto-CM lists one with a rich configuration (ports, mounts, env, limits).
kcm::types::Container sample_container(int i) {
    const auto json = fmt::format(R"({{
      "id": "0f5d2c9e-6a7b-4c1d-9e8f-{:012}", "name": "app-{}",
      "image": {{"name": "docker.io/library/app:1.2.3"}},
      "hostName": "app-{}", "domainName": "app-{}-domain",
      "resolvConfPath": "/var/lib/container-management/containers/x/resolv.conf",
      "hostsPath": "/var/lib/container-management/containers/x/hosts",
      "hostnamePath": "/var/lib/container-management/containers/x/hostname",
      "mounts": [{{"source": "/data/app", "destination": "/data", "propagationMode": "rprivate"}}],
      "hostConfig": {{
        "privileged": false, "restartPolicy": {{"type": "unless-stopped"}},
        "networkMode": "bridge",
        "portMappings": [{{"proto": "tcp", "containerPort": 8080, "hostIp": "0.0.0.0", "hostPort": 80, "hostPortEnd": 80}}],
        "logConfig": {{"driverConfig": {{"type": "json-file", "maxFiles": 2, "maxSize": "100M"}},
                       "modeConfig": {{"mode": "blocking"}}}},
        "resources": {{"memory": "200M", "memoryReservation": "100M", "memorySwap": "300M"}}
      }},
      "ioConfig": {{"openStdin": false, "tty": false}},
      "config": {{"env": ["A=1", "B=two"], "cmd": ["serve", "--port", "8080"]}},
      "created": "2026-11-29T10:00:00.123456789Z",
      "state": {{"pid": {}, "startedAt": "2026-11-29T10:00:01.5Z", "status": "Running", "running": true}},
      "restartCount": 0, "manuallyStopped": false, "startedSuccessfullyBefore": true
    }})",
                                  i, i, i, i, 1000 + i);
    kcm::types::Container c;
    google::protobuf::util::JsonParseOptions opts;
    opts.ignore_unknown_fields = true;
    if (!google::protobuf::util::JsonStringToMessage(json, &c, opts).ok()) std::abort();
    return c;
}

}  // namespace

int main() {
    const twin::thing_id thing = twin::parse_namespaced_id("org.acme:gw-1:dev-7:edge:containers");
    std::vector<kcm::types::Container> snapshot;
    for (int i = 0; i < 1000; ++i) snapshot.push_back(sample_container(i));

    fmt::print("micro benchmarks of the cores (reference measured in the same run)\n");
    const auto& c = snapshot.front();
    const auto path = twin::feature_path(twin::features::container_feature_id(c.id()));
    std::size_t sink = 0;
    const auto feature = measure(
        20000, [&](int) { sink += twin::twin_modify(thing, path, twin::container_feature_json(c)).size(); });
    print("Container:<id> feature built and serialised (Ditto message)", feature);
    const auto text = boost::json::serialize(twin::container_feature_json(c));
    const auto reference =
        measure(20000, [&](int) { sink += boost::json::serialize(boost::json::parse(text)).size(); });
    print(fmt::format("reference: its JSON ({} bytes) parsed and serialised by boost::json", text.size()),
          reference);

    twin::core_config config;
    twin::thing_model model(config);
    model.set_thing(thing, "org.acme");
    twin::actions out;
    for (const auto& each : snapshot) model.observe(each.id(), &each, true, out);
    out.clear();
    const auto unchanged = measure(20, [&](int) {
        for (const auto& each : snapshot) model.observe(each.id(), &each, true, out);
        out.clear();
    });
    print("1000-container snapshot observed, nothing changed", unchanged, "snapshot");
    auto changed_snapshot = snapshot;
    const auto changed = measure(20, [&](int round) {
        for (int k = 0; k < 10; ++k) {  // 10 containers change state each round
            auto* st = changed_snapshot[k * 100].mutable_state();
            st->set_status(round % 2 == 0 ? "Paused" : "Running");
            st->set_paused(round % 2 == 0);
        }
        for (const auto& each : changed_snapshot) model.observe(each.id(), &each, true, out);
        sink += out.size();
        out.clear();
    });
    print("1000-container snapshot observed, 10 changed", changed, "snapshot");

    const std::string topic = "command//org.acme:gw-1:dev-7:edge:containers/req/r-3/stop";
    const std::string payload = fmt::format(
        R"({{"topic":"org.acme/gw-1:dev-7:edge:containers/things/live/messages/stop","headers":{{"correlation-id":"corr-r-3","response-required":true,"content-type":"application/json"}},"path":"/features/Container:{}/inbox/messages/stop","value":{{"timeout":10,"force":true,"signal":"SIGTERM"}}}})",
        c.id());
    const twin::pipeline_view view{&thing, true, [](const std::string&) { return true; }, config.max_payload};
    const auto command = measure(20000, [&](int) {
        twin::actions replies;
        auto t = twin::parse_command_topic(topic);
        auto req = twin::validate_command(*t, payload, view, replies);
        sink += req ? req->operation.size() : 0;
    });
    print("inbound command (a container's stop) parsed and validated", command);
    const auto parse_only =
        measure(20000, [&](int) { sink += boost::json::parse(payload).as_object().size(); });
    print(fmt::format("reference: its payload ({} bytes) parsed by boost::json", payload.size()), parse_only);
    return sink == 0 ? 1 : 0;
}
