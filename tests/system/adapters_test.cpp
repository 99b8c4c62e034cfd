// The bridge's adapters against real peers: stop cancels and drains (gRPC calls, downloads), a
// refused subscription is reported and retried, the state-file watch survives its directory being
// removed and created again. Each test runs its own io_context on this thread.
#include <doctest/doctest.h>

#include <fstream>
#include <map>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "harness.hpp"
#include "http_fetch.hpp"
#include "kanto_client.hpp"
#include "mqtt_client.hpp"
#include "mqtt_link.hpp"
#include "state_watch.hpp"

using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

// Runs `io` until `done` holds or `limit` passes (the loop is polled in short slices).
template <class F>
bool run_until(asio::io_context& io, F&& done, std::chrono::milliseconds limit = 10000ms) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= end) return false;
        io.restart();
        io.run_for(10ms);
    }
    return true;
}

}  // namespace

TEST_CASE("kanto_client: stop cancels a call in flight and drains it; its completion never runs") {
    harness::simulator sim({"--pull-delay", "slow=60000"});
    asio::io_context io;
    bridge::config cfg;
    cfg.grpc_address = sim.socket().string();
    bridge::kanto_client client(io, cfg);
    bool completed = false, listed = false;
    client.list([&](const grpc::Status& st, std::vector<kcm::types::Container>) { listed = st.ok(); });
    REQUIRE(run_until(io, [&] { return listed; }));  // the client works

    kcm::svc::CreateContainerRequest create;
    create.mutable_container()->mutable_image()->set_name("slow/app:1");
    client.call(create, [&](kanto::result) { completed = true; });
    REQUIRE(run_until(io, [&] { return client.in_flight() == 1; }));
    client.stop();
    CHECK(client.in_flight() == 0);  // gRPC has let go of it
    io.restart();
    io.run_for(200ms);  // whatever was posted runs now
    CHECK_FALSE(completed);
    client.call(create, [&](kanto::result) { completed = true; });  // after stop: not made
    CHECK(client.in_flight() == 0);
}

TEST_CASE("http_fetch: stop cancels a download in flight; its completion never runs and nothing is left") {
    harness::silent_server silent;
    asio::io_context io;
    bridge::http_fetch fetch(io, 60000ms, 1024);
    bool completed = false;
    fetch.get("http://127.0.0.1:" + std::to_string(silent.port) + "/x",
              [&](twin::http_result) { completed = true; });
    io.run_for(100ms);
    CHECK(fetch.in_flight() == 1);
    fetch.stop();
    io.restart();
    io.run();  // returns only when no work is left: the download's operations all ended
    CHECK_FALSE(completed);
    CHECK(fetch.in_flight() == 0);
}

TEST_CASE("http_fetch: one deadline for the whole download, connect and name resolution included") {
    harness::silent_server silent;
    asio::io_context io;
    bridge::http_fetch fetch(io, 300ms, 1024);
    std::optional<twin::http_result> result;
    fetch.get("http://127.0.0.1:" + std::to_string(silent.port) + "/x",
              [&](twin::http_result r) { result = std::move(r); });
    REQUIRE(run_until(io, [&] { return result.has_value(); }));
    CHECK_FALSE(result->ok);
    CHECK(result->error.find("timed out after 300 ms") != std::string::npos);
}

TEST_CASE("mqtt_link: a subscription Paho refuses is reported to the owner and retried with back-off") {
    harness::mosquitto broker;
    asio::io_context io;
    bridge::config cfg;
    cfg.broker_url = broker.url();
    bool connected = false;
    std::vector<std::string> failures;
    bridge::mqtt_link link(
        io, cfg,
        {[&] { connected = true; }, [](const std::string&) {}, [](std::string, std::string) {}, [] {},
         [&](const std::string& filter, const std::string&) { failures.push_back(filter); }});
    link.start();
    REQUIRE(run_until(io, [&] { return connected; }));
    const std::string bad("bad/\xff\xfe", 6);  // not UTF-8: refused before it is sent
    link.subscribe(bad, 1);
    CHECK(failures.size() == 1);
    REQUIRE(run_until(io, [&] { return failures.size() == 2; }));  // retried after the back-off
    CHECK(failures.back() == bad);
    link.unsubscribe(bad);  // not wanted any more: no further retries
    const auto seen = failures.size();
    io.restart();
    io.run_for(2500ms);  // longer than the next back-off step (a quiet window)
    CHECK(failures.size() == seen);
    link.stop();
}

TEST_CASE(
    "state_watch: a container's file change is reported; removing and re-creating the directory keeps it "
    "working") {
    harness::temp_dir dir;
    const auto containers = dir.path() / "containers";
    std::filesystem::create_directories(containers / "a");
    asio::io_context io;
    std::vector<std::string> changed;
    int overflows = 0;
    bridge::state_watch watch(
        io, containers, [&](const std::string& id) { changed.push_back(id); }, [&] { ++overflows; }, 50ms);
    watch.start();
    std::ofstream(containers / "a" / "config.json") << "{}";
    REQUIRE(run_until(io, [&] { return !changed.empty(); }));
    CHECK(changed.back() == "a");

    std::filesystem::remove_all(containers);
    REQUIRE(run_until(io, [&] { return overflows > 0; }));  // the directory is gone: a full List catches up
    std::filesystem::create_directories(containers / "b");
    // The watch looks for the directory again every 50 ms: write until a change is reported.
    changed.clear();
    for (int i = 0; i < 100 && changed.empty(); ++i) {
        std::ofstream(containers / "b" / "config.json") << "{}";
        run_until(
            io, [&] { return !changed.empty(); }, 100ms);
    }
    REQUIRE_FALSE(changed.empty());
    CHECK(changed.back() == "b");
    watch.stop();
    io.restart();
    io.run();  // nothing is left outstanding after stop
}

TEST_CASE("mqtt_link: offline, the latest message per path is kept and sent after reconnecting") {
    harness::mosquitto broker;
    asio::io_context io;
    bridge::config cfg;
    cfg.broker_url = broker.url();
    int connects = 0, losses = 0;
    bridge::mqtt_link link(
        io, cfg,
        {[&] { ++connects; }, [&](const std::string&) { ++losses; }, [](std::string, std::string) {}, [] {},
         [](const std::string&, const std::string&) {}});
    link.start();
    REQUIRE(run_until(io, [&] { return connects == 1; }));
    broker.stop();
    REQUIRE(run_until(io, [&] { return losses == 1; }));

    // Retained, so a subscriber that comes after the broker sees what was delivered.
    link.publish("t/a", "state RUNNING", 1, true, "/features/Container:a/properties/status/state");
    link.publish("t/a", "the whole feature", 1, true, "/features/Container:a");  // replaces the state
    link.publish("t/b", "b1", 1, true);                                          // no key: never replaced
    link.publish("t/b", "b2", 1, true);
    link.publish("t/c", "other topic", 1, true, "/features/Container:a");  // another topic: kept
    link.publish("t/d", "sibling", 1, true, "/features/Container:ab");     // not below /Container:a
    link.publish("t/d", "replaced", 1, true, "/features/Container:a");
    CHECK(link.queued() == 6);  // t/a once, t/b twice, t/c, t/d twice

    broker.start();
    REQUIRE(run_until(
        io, [&] { return connects == 2 && link.queued() == 0 && link.in_flight() == 0; }, 20000ms));
    harness::mqtt_client sub(broker.url(), "offline-sub");
    sub.subscribe("t/#", 1);
    std::map<std::string, std::string> seen;
    for (const auto& m : sub.take(4, 5000ms)) seen[m.topic] = m.payload;
    CHECK(seen ==
          std::map<std::string, std::string>{
              {"t/a", "the whole feature"}, {"t/b", "b2"}, {"t/c", "other topic"}, {"t/d", "replaced"}});
    link.stop();
}

TEST_CASE("mqtt_link: flush sends everything queued before it reports done") {
    harness::mosquitto broker;
    asio::io_context io;
    bridge::config cfg;
    cfg.broker_url = broker.url();
    cfg.mqtt_max_inflight = 2;  // most of the messages wait in our queue
    bool connected = false;
    bridge::mqtt_link link(
        io, cfg,
        {[&] { connected = true; }, [](const std::string&) {}, [](std::string, std::string) {}, [] {},
         [](const std::string&, const std::string&) {}});
    link.start();
    REQUIRE(run_until(io, [&] { return connected; }));
    harness::mqtt_client sub(broker.url(), "flush-sub");
    sub.subscribe("f/#", 1);
    for (int i = 0; i < 200; ++i) link.publish("f/" + std::to_string(i), std::to_string(i), 1);
    CHECK(link.queued() > 0);
    bool flushed = false;
    link.flush(20000ms, [&] { flushed = true; });
    REQUIRE(run_until(
        io, [&] { return flushed; }, 25000ms));
    CHECK(link.queued() == 0);
    CHECK(link.in_flight() == 0);
    link.stop();
    CHECK(sub.take(200, 10000ms).size() == 200);
}
