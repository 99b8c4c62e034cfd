// libFuzzer target: what the broker may deliver to the twin, through twin::core: an identity on
// edge/thing/response, or a cloud command (the Ditto envelope, the command pipeline, every
// operation's arguments, SoftwareUpdatable descriptors), with a registered twin over one
// container and Kanto-CM, files and downloads answering at once. The first byte picks the topic.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core.hpp"

namespace {

constexpr const char* thing = "org.acme:gw-1:dev-7:edge:containers";
constexpr const char* commands[] = {
    "ContainerFactory/create",
    "ContainerFactory/createWithConfig",
    "Container:c1/start",
    "Container:c1/stop",
    "Container:c1/stopWithOptions",
    "Container:c1/pause",
    "Container:c1/resume",
    "Container:c1/rename",
    "Container:c1/update",
    "Container:c1/remove",
    "SoftwareUpdatable/install",
    "SoftwareUpdatable/remove",
    "Metrics/request",
    "NoSuchFeature/op",
};

kcm::types::Container one_container() {
    kcm::types::Container c;
    c.set_id("c1");
    c.set_name("web");
    c.mutable_image()->set_name("docker.io/library/web:1");
    c.mutable_host_config()->set_network_mode("bridge");
    c.mutable_state()->set_status("Running");
    c.mutable_state()->set_pid(42);
    return c;
}

// Answers every I/O action at once, for a bounded number of rounds.
void settle(twin::core& core, twin::actions pending) {
    for (std::size_t i = 0; i < pending.size() && i < 10000; ++i) {
        twin::actions more;
        const auto& a = pending[i];
        if (std::holds_alternative<twin::list_containers>(a)) {
            more = core.on_containers_listed({one_container()});
        } else if (const auto* g = std::get_if<twin::get_container>(&a)) {
            more = core.on_container_read(g->id, one_container());
        } else if (const auto* r = std::get_if<twin::read_file>(&a)) {
            more = core.on_file_read(r->path, std::nullopt);
        } else if (const auto* c = std::get_if<twin::call_kanto>(&a)) {
            kanto::result result;
            if (std::holds_alternative<kcm::svc::CreateContainerRequest>(c->request))
                result.container = one_container();
            more = core.on_kanto_done(c->op, result);
        } else if (const auto* h = std::get_if<twin::http_get>(&a)) {
            twin::http_result result;
            result.error = "HTTP status 404 Not Found";
            more = core.on_http_done(h->id, result);
        }
        pending.insert(pending.end(), more.begin(), more.end());
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    static constexpr std::size_t count = sizeof(commands) / sizeof(commands[0]);
    const std::string payload(reinterpret_cast<const char*>(data) + 1, size - 1);
    twin::core core({});
    settle(core, core.on_start());
    settle(core, core.on_connected());
    settle(core,
           core.on_message("edge/thing/response", R"({"deviceId":"org.acme:gw-1:dev-7","tenantId":"t1"})"));
    if (data[0] % (count + 1) == count) {
        settle(core, core.on_message("edge/thing/response", payload));
    } else {
        const std::string route = commands[data[0] % (count + 1)];
        const auto slash = route.find('/');
        const std::string topic = std::string("command//") + thing + "/req/c-1/" + route.substr(slash + 1);
        settle(core, core.on_message(topic, payload));
    }
    return 0;
}
