// Chaos: 200 simulated containers changing at random while the broker restarts 20 times, the
// simulator 5 times and the daemon is killed (SIGKILL) and started again twice. When the churn
// stops, a subscriber that applied every twin message it received, as Ditto would, must hold
// exactly what Kanto-CM's List reports: every container feature, its name and state, and the
// installed dependencies. The persistence file is never torn and the daemon never dies on its own.
// Bounded in time; CHAOS_SEED=<n> replays a run.
#include <doctest/doctest.h>

#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <random>
#include <set>

#include <boost/json.hpp>

#include "ditto_thing.hpp"
#include "harness.hpp"
#include "mqtt_client.hpp"

using namespace std::chrono_literals;
namespace json = boost::json;
using harness::rpc_context;

namespace {

constexpr const char* thing_id = "org.acme:gw-1:dev-7:edge:containers";
constexpr const char* identity = R"({"deviceId":"org.acme:gw-1:dev-7","tenantId":"t1"})";

std::string upper(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

// What the subscriber holds compared with what List reports; "" when they agree.
std::string difference(const twin::ditto_thing& seen, const std::vector<kcm::types::Container>& listed) {
    const auto* features =
        seen.value().is_object() ? seen.value().as_object().if_contains("features") : nullptr;
    if (features == nullptr || !features->is_object()) return "no features yet";
    std::set<std::string> ours;
    for (const auto& [key, f] : features->as_object()) {
        if (key.starts_with("Container:")) ours.insert(std::string(key.substr(10)));
    }
    std::set<std::string> theirs;
    for (const auto& c : listed) theirs.insert(c.id());
    if (ours != theirs) {
        std::string extra;
        for (const auto& id : ours) {
            if (theirs.count(id) == 0 && extra.size() < 200) extra += " " + id;
        }
        return "container features " + std::to_string(ours.size()) + " vs " + std::to_string(theirs.size()) +
               (extra.empty() ? "" : "; not listed:" + extra);
    }
    for (const auto& c : listed) {
        const auto* status =
            features->as_object().at("Container:" + c.id()).as_object().if_contains("properties");
        if (status == nullptr) return "no properties for " + c.id();
        const auto& st = status->at("status");
        if (st.at("name") != json::value(c.name())) return "name of " + c.id();
        if (st.at("state").at("status") != json::value(upper(c.state().status()))) {
            return "state of " + c.name() + ": " + json::serialize(st.at("state").at("status")) + " vs " +
                   c.state().status();
        }
    }
    const auto* su = features->as_object().if_contains("SoftwareUpdatable");
    if (su == nullptr) return "no SoftwareUpdatable";
    const auto* deps = su->at("properties").at("status").as_object().if_contains("installedDependencies");
    const std::size_t n = deps != nullptr && deps->is_object() ? deps->as_object().size() : 0;
    if (n != listed.size())
        return "installed dependencies " + std::to_string(n) + " vs " + std::to_string(listed.size());
    for (const auto& c : listed) {
        bool found = false;
        for (const auto& [key, d] : deps->as_object()) found = found || key.find(c.id()) != std::string::npos;
        if (!found) return "no dependency for " + c.id();
    }
    return {};
}

}  // namespace

TEST_CASE("chaos: broker, simulator and daemon restarts under container churn; the twin converges") {
    const char* env_seed = std::getenv("CHAOS_SEED");
    const unsigned seed =
        env_seed != nullptr ? static_cast<unsigned>(std::stoul(env_seed)) : std::random_device{}();
    CAPTURE(seed);
    std::mt19937 random(seed);
    auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(random); };

    harness::mosquitto broker;
    harness::simulator sim;
    auto stub = sim.containers();
    google::protobuf::Empty empty;
    std::vector<std::string> ids;
    for (int i = 0; i < 200; ++i) {
        kcm::svc::CreateContainerRequest req;
        req.mutable_container()->set_name("c" + std::to_string(i));
        req.mutable_container()->mutable_image()->set_name("docker.io/library/app:" + std::to_string(i % 7));
        kcm::svc::CreateContainerResponse resp;
        REQUIRE(stub->Create(rpc_context().get(), req, &resp).ok());
        ids.push_back(resp.container().id());
        if (i % 2 == 0) {
            kcm::svc::StartContainerRequest start;
            start.set_id(ids.back());
            REQUIRE(stub->Start(rpc_context().get(), start, &empty).ok());
        }
    }
    harness::temp_dir things;
    // The cloud connector: one connection that answers every identity request and hands every
    // twin message to "Ditto", which applies it.
    harness::mqtt_client connector(broker.url(), "chaos-connector", true);
    connector.subscribe("edge/thing/request", 1);
    connector.subscribe("e/#", 1);
    twin::ditto_thing seen(thing_id);
    std::size_t applied = 0, received = 0, requests = 0, answered = 0;
    auto pump = [&] {
        while (auto m = connector.next(0ms)) {
            if (m->topic != "edge/thing/request") {
                ++received;
                if (seen.apply(json::parse(m->payload).as_object()).empty()) ++applied;
                continue;
            }
            ++requests;
            try {
                connector.publish("edge/thing/response", identity, 1);
                ++answered;
            } catch (const std::exception&) {  // the broker went away meanwhile; it asks again
            }
        }
        // Like a real connector, it also sends the identity whenever it is connected again
        // (the daemon's request may have come while it was away).
        for (const auto& e : connector.take_events()) {
            if (e.rfind("reconnected", 0) != 0) continue;
            try {
                connector.publish("edge/thing/response", identity, 1);
            } catch (const std::exception&) {
            }
        }
    };
    auto bridge =
        std::make_unique<harness::bridge_process>(broker, sim, std::vector<std::string>{}, things.path());

    // The churn: one random container operation every few milliseconds, and the restarts spread
    // over it at random moments.
    std::vector<int> events(20, 0);     // 0: the broker
    events.insert(events.end(), 5, 1);  // 1: the simulator
    events.insert(events.end(), 2, 2);  // 2: the daemon, killed
    std::shuffle(events.begin(), events.end(), random);
    int bridge_kills = 0;
    for (std::size_t round = 0; round < events.size(); ++round) {
        const auto round_end = std::chrono::steady_clock::now() +
                               std::chrono::milliseconds(500 + pick(1500));  // 0.5-2 s of churn
        while (std::chrono::steady_clock::now() < round_end) {
            const auto& id = ids[pick(ids.size())];
            auto ctx = rpc_context(5000ms);
            switch (pick(6)) {
                case 0: {
                    kcm::svc::StartContainerRequest r;
                    r.set_id(id);
                    stub->Start(ctx.get(), r, &empty);
                    break;
                }
                case 1: {
                    kcm::svc::StopContainerRequest r;
                    r.set_id(id);
                    r.mutable_stopoptions()->set_timeout(1);
                    r.mutable_stopoptions()->set_force(true);
                    stub->Stop(ctx.get(), r, &empty);
                    break;
                }
                case 2: {
                    kcm::svc::PauseContainerRequest r;
                    r.set_id(id);
                    stub->Pause(ctx.get(), r, &empty);
                    break;
                }
                case 3: {
                    kcm::svc::UnpauseContainerRequest r;
                    r.set_id(id);
                    stub->Unpause(ctx.get(), r, &empty);
                    break;
                }
                case 4: {
                    kcm::svc::RenameContainerRequest r;
                    r.set_id(id);
                    r.set_name("n" + std::to_string(pick(100000)));
                    stub->Rename(ctx.get(), r, &empty);
                    break;
                }
                default: {  // replace it: remove, then create one in its place
                    kcm::svc::RemoveContainerRequest r;
                    r.set_id(id);
                    r.set_force(true);
                    if (stub->Remove(ctx.get(), r, &empty).ok()) {
                        kcm::svc::CreateContainerRequest c;
                        c.mutable_container()->set_name("r" + std::to_string(pick(100000)));
                        c.mutable_container()->mutable_image()->set_name("docker.io/library/app:new");
                        kcm::svc::CreateContainerResponse resp;
                        if (stub->Create(rpc_context(5000ms).get(), c, &resp).ok()) {
                            *std::find(ids.begin(), ids.end(), id) = resp.container().id();
                        }
                    }
                }
            }
            pump();
        }
        REQUIRE_MESSAGE(bridge->alive(), "the daemon died on its own:\n" << bridge->log());
        switch (events[round]) {
            case 0:
                broker.restart();
                break;
            case 1:
                sim.restart();
                break;
            default: {
                bridge->stop(SIGKILL);
                ++bridge_kills;
                const auto file = things.path() / "sup_back_org.acme_gw-1_dev-7_edge_containers.json";
                if (std::filesystem::exists(file)) {
                    boost::system::error_code ec;
                    json::parse(harness::read_file(file), ec);
                    CHECK_MESSAGE(!ec, "a torn persistence file after SIGKILL");
                }
                bridge = std::make_unique<harness::bridge_process>(broker, sim, std::vector<std::string>{},
                                                                   things.path());
            }
        }
    }
    CHECK(bridge_kills == 2);
    // The churn is over: the subscriber must come to hold exactly what List reports.
    std::vector<kcm::types::Container> listed;
    std::string last_difference;
    const bool converged = harness::eventually(
        [&] {
            pump();
            kcm::svc::ListContainersResponse resp;
            if (!stub->List(rpc_context().get(), {}, &resp).ok()) return false;
            listed.assign(resp.containers().begin(), resp.containers().end());
            last_difference = difference(seen, listed);
            return last_difference.empty();
        },
        120000ms);
    CHECK_MESSAGE(converged, "still differs: " << last_difference << "\n(received " << received
                                               << ", applied " << applied << " messages; " << requests
                                               << " identity requests, " << answered << " answered)\n"
                                               << bridge->log().substr(bridge->log().size() > 3000
                                                                           ? bridge->log().size() - 3000
                                                                           : 0));
    CHECK(bridge->alive());
    CHECK(listed.size() == 200);
    // Reconnects and resends never make the bridge take its own messages for someone else's.
    const auto log = bridge->log();
    const auto at = log.find("another publisher");
    CHECK_MESSAGE(at == std::string::npos, log.substr(at == std::string::npos ? 0 : at, 400));
}
