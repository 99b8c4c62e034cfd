// kanto-auto-deployer against the simulator: Leda's manifests one-shot and again, and the daemon
// reacting to touch, edits, slow writes, broken saves, renames and deletes, and waiting for
// Kanto-CM. Every wait is for an observable event (a container, a field, a log line).
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <utime.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "harness.hpp"
#include "mqtt_client.hpp"
#include "twin_session.hpp"

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using harness::rpc_context;

namespace {

const fs::path manifests_src = fs::path(TEST_SOURCE_DIR) / "data" / "kad-manifests";
constexpr const char* deploy_feedback_topic = "containersupdate/desiredstatefeedback";

struct cm_view {
    std::unique_ptr<kcm::svc::Containers::Stub> stub;
    // Every container; Kanto-CM allows two with one name (a recreate creates the new one first).
    std::vector<kcm::types::Container> list() const {
        kcm::svc::ListContainersResponse resp;
        if (!stub->List(rpc_context().get(), {}, &resp).ok()) return {};
        return {resp.containers().begin(), resp.containers().end()};
    }
    // By name; only meaningful once names are unique, which callers check with list().
    std::map<std::string, kcm::types::Container> by_name() const {
        std::map<std::string, kcm::types::Container> out;
        for (auto& c : list()) out[c.name()] = std::move(c);
        return out;
    }
    std::optional<kcm::types::Container> named(const std::string& name) const {
        auto all = by_name();
        auto it = all.find(name);
        return it == all.end() ? std::nullopt : std::optional(it->second);
    }
};

// The deployer as a child process; its log is readable while it runs.
struct deployer_process {
    harness::temp_dir dir;
    std::unique_ptr<harness::child_process> proc;
    deployer_process(const fs::path& socket, const fs::path& manifests, bool daemon,
                     const std::vector<std::string>& extra = {}) {
        std::vector<std::string> argv{harness::find_program("KANTO_AUTO_DEPLOYER", "kanto-auto-deployer"),
                                      "-s", socket.string()};
        if (daemon) argv.push_back("--daemon");
        argv.insert(argv.end(), extra.begin(), extra.end());
        argv.push_back(manifests.string());
        setenv("RUST_LOG", "debug", 1);
        proc = std::make_unique<harness::child_process>(argv, dir.path() / "kad.log");
    }
    std::string log() const { return harness::read_file(dir.path() / "kad.log"); }
    std::size_t count(const std::string& text) const {
        const auto l = log();
        std::size_t n = 0;
        for (auto at = l.find(text); at != std::string::npos; at = l.find(text, at + 1)) ++n;
        return n;
    }
    // Waits for the process to end; its exit status, or -1.
    int wait_exit(std::chrono::milliseconds limit = 30000ms) {
        if (!harness::eventually([&] { return !proc->alive(); }, limit)) return -1;
        const int st = proc->stop();
        return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    }
};

void write_file(const fs::path& p, const std::string& text) {
    std::ofstream(p) << text;
}

std::string manifest(const std::string& name, const std::string& image, const std::string& env = "A=1") {
    return R"({"container_id":")" + name + R"(","container_name":")" + name + R"(","image":{"name":")" +
           image + R"("},"config":{"env":[")" + env + R"("],"cmd":[]}})";
}

}  // namespace

TEST_CASE("one-shot: Leda's manifests deploy with their fields; a second run changes nothing") {
    harness::simulator sim;
    cm_view cm{sim.containers()};
    harness::temp_dir dir;
    for (const auto& e : fs::directory_iterator(manifests_src)) {
        if (e.path().filename() != "README.md") fs::copy_file(e.path(), dir.path() / e.path().filename());
    }
    deployer_process first(sim.socket(), dir.path(), false);
    REQUIRE_MESSAGE(first.wait_exit() == 0, first.log());
    auto all = cm.by_name();
    const std::set<std::string> expected{
        "databroker",       "feedercan",           "feedergps", "hvacservice-example",
        "node-red-example", "seatservice-example", "sua"};
    std::set<std::string> names;
    for (const auto& [n, c] : all) names.insert(n);
    CHECK(names == expected);  // the .json.disabled ones are not deployed
    for (const auto& [n, c] : all) {
        CAPTURE(n);
        CHECK(c.id() == n);  // ids pinned by the manifests
        CHECK(c.state().status() == "Running");
        CHECK(c.host_config().log_config().driver_config().max_size() == "1M");
        CHECK(c.host_config().restart_policy().type() == "unless-stopped");
    }
    const auto& db = all.at("databroker");
    REQUIRE(db.host_config().port_mappings_size() == 1);
    CHECK(db.host_config().port_mappings(0).host_port() == 30555);
    CHECK(db.host_config().port_mappings(0).container_port() == 55555);
    CHECK(db.config().env(0) == "RUST_LOG=info");
    const auto& sua = all.at("sua");
    REQUIRE(sua.mounts_size() == 3);
    CHECK(sua.mounts(0).propagation_mode() == "shared");
    CHECK(sua.host_config().extra_hosts(0) == "mosquitto:host_ip");
    CHECK(all.at("feedergps").config().cmd_size() == 4);

    deployer_process second(sim.socket(), dir.path(), false);
    REQUIRE(second.wait_exit() == 0);
    CHECK(second.count("Already exists [") == 7);
    CHECK(second.count("Creating [") == 0);
    CHECK(cm.list().size() == 7);
    auto again = cm.by_name();
    for (const auto& [n, c] : again) CHECK(c.created() == all.at(n).created());  // the same containers
}

TEST_CASE("daemon: touch, edit, slow write, broken then fixed, renames and delete") {
    harness::simulator sim;
    cm_view cm{sim.containers()};
    harness::temp_dir dir;
    const auto a = dir.path() / "a.json";
    write_file(a, manifest("a", "img/a:1"));
    deployer_process kad(sim.socket(), dir.path(), true);
    REQUIRE_MESSAGE(harness::eventually([&] {
                        auto c = cm.named("a");
                        return c && c->state().status() == "Running";
                    }),
                    kad.log());
    auto created = cm.named("a")->created();
    auto recreated = [&] {
        return harness::eventually([&] {
            auto c = cm.named("a");
            return c && c->created() != created && c->state().status() == "Running";
        });
    };

    SUBCASE("touch recreates the container") {
        ::utime(a.c_str(), nullptr);
        REQUIRE_MESSAGE(recreated(), kad.log());
    }
    SUBCASE("an edit deploys the new content") {
        write_file(a, manifest("a", "img/a:1", "A=2"));
        REQUIRE(harness::eventually([&] {
            auto c = cm.named("a");
            return c && c->config().env(0) == "A=2" && c->state().status() == "Running";
        }));
    }
    SUBCASE("a file written slowly deploys once, complete") {
        {
            std::ofstream out(dir.path() / "b.json");
            const auto text = manifest("b", "img/b:1");
            out << text.substr(0, 20) << std::flush;
            std::this_thread::sleep_for(200ms);  // the scenario: a slow writer leaves half a file for a while
            out << text.substr(20);
        }
        REQUIRE(harness::eventually([&] { return cm.named("b").has_value(); }));
        CHECK(kad.count("Wrong json") == 0);
        CHECK(kad.count("Creating [b]") == 1);
    }
    SUBCASE("a broken save is reported and leaves the container alone; the fixed save deploys") {
        write_file(a, "{\"container_name\": \"a\",");
        REQUIRE(
            harness::eventually([&] { return kad.count("Wrong json in [\"" + a.string() + "\"]") == 1; }));
        CHECK(cm.named("a")->created() == created);
        CHECK(cm.named("a")->state().status() == "Running");
        write_file(a, manifest("a", "img/a:1", "FIXED=1"));
        REQUIRE(harness::eventually([&] {
            auto c = cm.named("a");
            return c && c->config().env(0) == "FIXED=1";
        }));
    }
    SUBCASE("renamed to .disabled or deleted: the container stays; renamed back: recreated") {
        fs::rename(a, dir.path() / "a.json.disabled");
        // Events are handled in order: once a later manifest is deployed, the rename was handled.
        write_file(dir.path() / "c.json", manifest("c", "img/c:1"));
        REQUIRE(harness::eventually([&] { return cm.named("c").has_value(); }));
        CHECK(cm.named("a")->created() == created);
        fs::rename(dir.path() / "a.json.disabled", a);
        REQUIRE(recreated());
        created = cm.named("a")->created();
        fs::remove(a);
        write_file(dir.path() / "d.json", manifest("d", "img/d:1"));
        REQUIRE(harness::eventually([&] { return cm.named("d").has_value(); }));
        CHECK(cm.named("a")->created() == created);  // deleted manifest: container kept
    }
    CHECK(kad.proc->alive());
    CHECK(kad.proc->stop() == 0);  // SIGTERM: exit 0
}

TEST_CASE("daemon with Kanto-CM absent: it waits, then deploys once Kanto-CM answers") {
    harness::temp_dir dir;
    const auto socket = dir.path() / "cm.sock";
    fs::create_directories(dir.path() / "m");
    write_file(dir.path() / "m" / "a.json", manifest("a", "img/a:1"));
    deployer_process kad(socket, dir.path() / "m", true);
    REQUIRE_MESSAGE(
        harness::eventually([&] { return kad.count("An error occurred when connecting to socket") >= 2; }),
        kad.log());
    harness::child_process sim({harness::find_program("KANTO_CM_SIM", "kanto-cm-sim"), "--socket",
                                socket.string(), "--home", (dir.path() / "home").string()},
                               dir.path() / "sim.log");
    REQUIRE_MESSAGE(harness::eventually([&] { return kad.count("Started [a]") == 1; }, 20000ms), kad.log());
}

TEST_CASE("a path that does not exist: exit 255 with the auto-deployer's message") {
    harness::temp_dir dir;
    deployer_process kad(dir.path() / "no.sock", dir.path() / "missing", false);
    CHECK(kad.wait_exit() == 255);
    CHECK(kad.log().find("Could not expand path \"" + (dir.path() / "missing").string() + "\", err: ") !=
          std::string::npos);
}

TEST_CASE("deployed containers appear in the twin through its own re-emission") {
    harness::mosquitto broker;
    harness::simulator sim;
    harness::twin_observer observer(broker);
    harness::bridge_process bridge(broker, sim);
    REQUIRE(observer.wait_for_request());
    observer.send_identity();
    REQUIRE(!observer.until([](const auto& m) { return m.path() == "/features/Metrics"; }).empty());
    harness::temp_dir dir;
    fs::copy_file(manifests_src / "databroker.json", dir.path() / "databroker.json");
    deployer_process kad(sim.socket(), dir.path(), false);
    REQUIRE(kad.wait_exit() == 0);
    auto ms = observer.until([](const harness::twin_message& m) {
        return m.path() == "/features/Container:databroker/properties/status/state" &&
               m.value().at("status") == "RUNNING";
    });
    REQUIRE_MESSAGE(!ms.empty(), bridge.log());
    const auto feature = std::find_if(ms.begin(), ms.end(), [](const harness::twin_message& m) {
        return m.path() == "/features/Container:databroker";
    });
    REQUIRE(feature != ms.end());
    CHECK(feature->value().at("properties").at("status").at("name") == "databroker");
    CHECK(feature->value().at("properties").at("status").at("imageRef") ==
          "ghcr.io/eclipse/kuksa.val/databroker:0.4.1");
}

TEST_CASE("--daemon --mqtt: IDENTIFIED feedback renames the lock file and ends the deployer with 0") {
    harness::mosquitto broker;
    harness::simulator sim;
    harness::temp_dir dir;
    fs::create_directories(dir.path() / "m");
    const auto lock = dir.path() / "KAD.enabled";
    write_file(lock, "rename to KAD.enabled to enable the auto-deployer again\n");
    deployer_process kad(sim.socket(), dir.path() / "m", true,
                         {"--mqtt", "--mqtt-broker-host", "127.0.0.1", "--mqtt-broker-port",
                          std::to_string(broker.port()), "--lock-file", lock.string()});
    harness::mqtt_client ota(broker.url());
    REQUIRE_MESSAGE(harness::eventually([&] { return kad.count("MQTT for daemon mode enabled") == 1; }),
                    kad.log());
    // Until the listener's subscription is in place a message reaches nobody: send until it ends.
    REQUIRE_MESSAGE(
        harness::eventually([&] {
            ota.publish("containersupdate/desiredstatefeedback", R"({"payload":{"status":"RUNNING"}})", 1);
            ota.publish("containersupdate/desiredstatefeedback",
                        R"({"activityId":"x","timestamp":1,"payload":{"status":"IDENTIFIED"}})", 1);
            return !kad.proc->alive();
        }),
        kad.log());
    CHECK(kad.proc->stop() == 0);
    CHECK_FALSE(fs::exists(lock));
    CHECK(fs::exists(dir.path() / "KAD.disabled"));
    CHECK(kad.count("Getting terminated from MQTT!") == 1);
}

TEST_CASE("--daemon --mqtt without the lock file: an error, and it keeps deploying") {
    harness::simulator sim;
    harness::temp_dir dir;
    fs::create_directories(dir.path() / "m");
    deployer_process kad(sim.socket(), dir.path() / "m", true,
                         {"--mqtt", "--lock-file", (dir.path() / "none").string()});
    REQUIRE_MESSAGE(
        harness::eventually([&] { return kad.count("does not exist or is not a regular file") == 1; }),
        kad.log());
    cm_view cm{sim.containers()};
    write_file(dir.path() / "m" / "a.json", manifest("a", "img/a:1"));
    REQUIRE(harness::eventually([&] { return cm.named("a").has_value(); }));
    CHECK(kad.proc->alive());
}

TEST_CASE("under systemd (Type=notify) the daemon is ready once its first pass is done; watchdog; stopping") {
    harness::simulator sim;
    cm_view cm{sim.containers()};
    harness::temp_dir dir;
    fs::create_directories(dir.path() / "m");
    write_file(dir.path() / "m" / "a.json", manifest("a", "img/a:1"));
    harness::notify_socket notify(dir.path() / "notify.sock");
    ::setenv("NOTIFY_SOCKET", notify.path().c_str(), 1);
    ::setenv("WATCHDOG_USEC", "400000", 1);
    deployer_process kad(sim.socket(), dir.path() / "m", true);
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
    REQUIRE_MESSAGE(notify.until("READY=1"), kad.log());
    CHECK(notify.received().back().find("STATUS=1 of 1 manifest(s) deployed; watching ") !=
          std::string::npos);
    CHECK(cm.named("a").has_value());  // created before READY
    CHECK(notify.until("WATCHDOG=1"));
    kad.proc->stop();
    CHECK(notify.until("STOPPING=1"));
}

TEST_CASE(
    "one daemon, twin and deployment (update mode): create, update in place, recreate, rollback; the twin "
    "follows") {
    harness::mosquitto broker;
    harness::simulator sim;
    cm_view cm{sim.containers()};
    harness::temp_dir dir;
    const auto ctr = dir.path() / "containers";
    fs::create_directories(ctr);
    const auto app = ctr / "app.json";
    write_file(app, R"({"container_name":"app","image":{"name":"img/app:1"},"config":{"env":["A=1"]}})");
    harness::twin_observer observer(broker);
    harness::bridge_process bridge(
        broker, sim,
        {"--deployment-enable", "--deployment-mode", "update", "--deployment-ctr-dir", ctr.string(),
         "--deployment-home-dir", dir.path().string()});
    REQUIRE_MESSAGE(harness::eventually([&] {
                        auto c = cm.named("app");
                        return c && c->state().status() == "Running";
                    }),
                    bridge.log());
    const auto first = *cm.named("app");
    CHECK(fs::is_directory(dir.path() / "deployment"));  // Kanto's marker

    REQUIRE(observer.wait_for_request());
    observer.send_identity();
    auto burst = observer.until([](const auto& m) { return m.path() == "/features/Metrics"; });
    CHECK(std::any_of(burst.begin(), burst.end(),
                      [&](const auto& m) { return m.path() == "/features/Container:" + first.id(); }));

    // Only the restart policy changes: updated in place, same container.
    write_file(app, R"({"container_name":"app","image":{"name":"img/app:1"},"config":{"env":["A=1"]},
                        "host_config":{"restart_policy":{"type":"always"}}})");
    REQUIRE_MESSAGE(harness::eventually([&] {
                        auto c = cm.named("app");
                        return c && c->host_config().restart_policy().type() == "always";
                    }),
                    bridge.log());
    CHECK(cm.named("app")->id() == first.id());

    // The image changes: a new container replaces the old one; the twin shows the swap.
    write_file(app, R"({"container_name":"app","image":{"name":"img/app:2"},"config":{"env":["A=1"]}})");
    REQUIRE_MESSAGE(harness::eventually([&] {
                        // The old one is removed only after the new one runs: wait for one.
                        auto all = cm.list();
                        return all.size() == 1 && all[0].name() == "app" &&
                               all[0].image().name() == "img/app:2" && all[0].state().status() == "Running";
                    }),
                    bridge.log());
    const auto second = *cm.named("app");
    CHECK(second.id() != first.id());

    // A new image that does not start: the old container runs again, the new one is removed.
    write_file(
        app, R"({"container_name":"app","image":{"name":"img/app-start-fails:3"},"config":{"env":["A=1"]}})");
    REQUIRE_MESSAGE(harness::eventually([&] {
                        return bridge.log().find("rolled back to the old container") != std::string::npos;
                    }),
                    bridge.log());
    REQUIRE(cm.list().size() == 1);
    auto after = cm.by_name();
    CHECK(after.at("app").id() == second.id());
    CHECK(after.at("app").state().status() == "Running");
    auto swap = observer.until([&](const auto& m) {
        return m.action() == "delete" && m.path() == "/features/Container:" + first.id();
    });
    CHECK(std::any_of(swap.begin(), swap.end(),
                      [&](const auto& m) { return m.path() == "/features/Container:" + second.id(); }));
    CHECK(bridge.alive());
}

TEST_CASE("init mode deploys on the first start only") {
    harness::mosquitto broker;
    harness::simulator sim;
    cm_view cm{sim.containers()};
    harness::temp_dir dir;
    const auto ctr = dir.path() / "containers";
    fs::create_directories(ctr / "sub");
    write_file(ctr / "a.json", R"({"container_name":"a","image":{"name":"img/a:1"}})");
    write_file(ctr / "sub" / "b.json",
               R"({"container_name":"b","image":{"name":"img/b:1"}})");  // walked recursively
    const std::vector<std::string> args{
        "--things-enable=false", "--deployment-enable", "--deployment-mode",     "init",
        "--deployment-ctr-dir",  ctr.string(),          "--deployment-home-dir", dir.path().string()};
    {
        harness::bridge_process bridge(broker, sim, args);
        REQUIRE_MESSAGE(harness::eventually([&] { return cm.by_name().size() == 2; }), bridge.log());
    }
    kcm::svc::RemoveContainerRequest remove;
    remove.set_id(cm.named("a")->id());
    remove.set_force(true);
    google::protobuf::Empty empty;
    REQUIRE(cm.stub->Remove(rpc_context().get(), remove, &empty).ok());
    harness::bridge_process again(broker, sim, args);
    REQUIRE(
        harness::eventually([&] { return again.log().find("not the first start") != std::string::npos; }));
    CHECK(cm.by_name().size() == 1);
}

TEST_CASE("the deployment service steps aside for good when an update agent reports IDENTIFIED") {
    harness::mosquitto broker;
    harness::simulator sim;
    cm_view cm{sim.containers()};
    harness::temp_dir dir;
    const auto ctr = dir.path() / "containers";
    fs::create_directories(ctr);
    write_file(ctr / "a.json", R"({"container_name":"a","image":{"name":"img/a:1"}})");
    const std::vector<std::string> args{"--things-enable=false", "--deployment-enable",
                                        "--deployment-ctr-dir",  ctr.string(),
                                        "--deployment-home-dir", dir.path().string()};
    const auto marker = dir.path() / "deployment" / "stepped-aside";
    {
        harness::bridge_process bridge(broker, sim, args);
        REQUIRE_MESSAGE(harness::eventually([&] { return cm.named("a").has_value(); }), bridge.log());
        harness::mqtt_client agent(broker.url());
        // Until the service's subscription is in place a message reaches nobody: send until it steps aside.
        REQUIRE_MESSAGE(harness::eventually([&] {
                            agent.publish(deploy_feedback_topic, R"({"payload":{"status":"IDENTIFIED"}})", 1);
                            return fs::exists(marker);
                        }),
                        bridge.log());
        REQUIRE(harness::eventually(
            [&] { return bridge.log().find("stepping aside for good") != std::string::npos; }));
    }
    write_file(ctr / "b.json", R"({"container_name":"b","image":{"name":"img/b:1"}})");
    harness::bridge_process again(broker, sim, args);
    REQUIRE(harness::eventually(
        [&] { return again.log().find("stepped aside for the update agent") != std::string::npos; }));
    CHECK_FALSE(cm.named("b").has_value());  // start() returned before deploying anything
}
