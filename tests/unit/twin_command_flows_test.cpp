// The command half of the twin core through the step builder (core_steps.hpp): Container and
// ContainerFactory operations, their order per container, metrics, and every flow rerun with each
// I/O completion failing in turn.
#include <doctest/doctest.h>

#include "core_steps.hpp"

using namespace steps;
namespace json = boost::json;
using namespace std::chrono_literals;

TEST_CASE("Container start: Start, a fresh Get, the twin update, then the answer") {
    registered f({container("a", "Stopped")});
    step s(f.core);
    s.command("Container:a", "start")
        .expect_call<kcm::svc::StartContainerRequest>([](const auto& r) { CHECK(r.id() == "a"); })
        .expect_publishes({})
        .complete_call(ok())
        .expect_get("a")
        .expect_publishes({})
        .complete_get("a", container("a", "Running", 42))
        .expect_publishes({"modify /features/Container:a/properties/status/state",
                           "204 /features/Container:a/outbox/messages/start"});
    CHECK(f.quiescent());
}

TEST_CASE("ContainerFactory create with start: the new feature, Start, a read, then 200 with the id") {
    registered f;
    step s(f.core);
    s.command("ContainerFactory", "create", R"({"imageRef":"docker.io/library/app:1","start":true})")
        .expect_call<kcm::svc::CreateContainerRequest>(
            [](const auto& r) { CHECK(r.container().image().name() == "docker.io/library/app:1"); });
    auto created = container("x", "Created");
    s.complete_call(ok(created))
        .expect_call<kcm::svc::StartContainerRequest>([](const auto& r) { CHECK(r.id() == "x"); })
        .expect_publishes({"modify /features/Container:x",
                           "modify /features/Container:x/properties/status/state",
                           "modify /features/SoftwareUpdatable/properties/status/installedDependencies"});
    s.complete_call(ok()).expect_get("x").complete_get("x", container("x", "Running", 5));
    const auto a = answers(s.actions());
    REQUIRE(a.size() == 1);
    CHECK(a[0].status == 200);
    CHECK(a[0].path == "/features/ContainerFactory/outbox/messages/create");
    CHECK(a[0].value == json::value("x"));
}

TEST_CASE(
    "a failing Start after a successful Create is logged; the answer is still 200 with the id (as Kanto)") {
    registered f;
    step s(f.core);
    s.command("ContainerFactory", "create", R"({"imageRef":"app","start":true})")
        .expect_call<kcm::svc::CreateContainerRequest>()
        .complete_call(ok(container("x", "Created")))
        .expect_call<kcm::svc::StartContainerRequest>()
        .complete_call(failed("failed to start container"));
    CHECK(only<twin::log>(s.actions()).at(0).level == twin::log_level::warn);
    s.expect_get("x").complete_get("x", container("x", "Created"));
    CHECK(answers(s.actions()).at(0).status == 200);
}

TEST_CASE("Kanto-CM's error text becomes a 500 at the outbox path; the queue moves on") {
    registered f({container("a", "Running", 3)});
    step s(f.core);
    s.command("Container:a", "pause", std::nullopt, "r-1").expect_call<kcm::svc::PauseContainerRequest>();
    step second(f.core);
    second.command("Container:a", "resume", std::nullopt, "r-2").expect_no_call();  // waits for the pause
    s.complete_call(failed("container a is not running"))
        .expect_call<kcm::svc::UnpauseContainerRequest>();  // the next of the queue starts
    const auto a = answers(s.actions());
    REQUIRE(a.size() == 1);
    CHECK(a[0].status == 500);
    CHECK(a[0].path == "/features/Container:a/outbox/messages/pause");
    CHECK(a[0].value.at("error") == "messages:execution.failed");
    CHECK(a[0].value.at("message") == "container a is not running");
}

TEST_CASE("operations on one container keep their order; other containers do not wait") {
    registered f({container("a", "Running", 3), container("b", "Running", 4)});
    auto stop_a =
        f.core.on_message(command_topic("r-1", "stop"), command_payload("Container:a", "stop", std::nullopt));
    auto start_a = f.core.on_message(command_topic("r-2", "start"),
                                     command_payload("Container:a", "start", std::nullopt));
    auto stop_b =
        f.core.on_message(command_topic("r-3", "stop"), command_payload("Container:b", "stop", std::nullopt));
    CHECK(only<twin::call_kanto>(stop_a).size() == 1);
    CHECK(only<twin::call_kanto>(start_a).empty());
    CHECK(only<twin::call_kanto>(stop_b).size() == 1);
    CHECK(f.core.operations().pending() == 3);
    // Completing b first answers b; a's start runs only after a's stop was answered.
    auto b_done = f.world.settle(f.core, f.core.on_kanto_done(only<twin::call_kanto>(stop_b)[0].op, ok()));
    CHECK(answers(b_done).size() == 1);
    auto a_done = f.world.settle(f.core, f.core.on_kanto_done(only<twin::call_kanto>(stop_a)[0].op, ok()));
    CHECK(answers(a_done).size() == 2);  // the stop, then the queued start ran and was answered
    CHECK(f.quiescent());
    CHECK(f.core.containers().at("a").state().status() == "Running");
}

TEST_CASE("with Kanto-CM unreachable, a success is answered without waiting for a read") {
    registered f({container("a", "Stopped")});
    f.core.on_kanto_failed("UNAVAILABLE: gone");  // a poll failed: Kanto-CM is down
    step s(f.core);
    s.command("Container:a", "start").expect_call<kcm::svc::StartContainerRequest>().complete_call(ok());
    CHECK(only<twin::get_container>(s.actions()).empty());
    CHECK(answers(s.actions()).at(0).status == 204);
    CHECK(f.quiescent());
}

TEST_CASE("bad inputs of operations are answered with Kanto's texts and call nothing") {
    registered f({container("a", "Running", 3)});
    auto rename = f.command("Container:a", "rename", "42");
    CHECK(only<twin::call_kanto>(rename).empty());
    CHECK(answers(rename).at(0).status == 400);
    CHECK(answers(rename).at(0).value.at("message") ==
          "json: cannot unmarshal number into Go value of type string");
    auto unknown = f.command("Container:a", "explode");
    CHECK(answers(unknown).at(0).status == 404);
    CHECK(answers(unknown).at(0).value.at("message") == "unsupported operation explode");
    auto no_image = f.command("ContainerFactory", "create", R"({"imageRef":""})");
    CHECK(answers(no_image).at(0).status == 500);
    CHECK(answers(no_image).at(0).value.at("message") == "imageRef must be set");
    CHECK(f.quiescent());
}

namespace {

// After any run: nothing half-done, and the core still executes a command end to end.
void still_works(registered& f) {
    f.world.fail_at.reset();
    f.world.settle(f.core, f.core.on_poll_due());  // a failed read is retried by the poll
    CHECK(f.quiescent());
    f.world.containers["probe"] = container("probe", "Stopped");
    f.world.settle(f.core, f.core.on_poll_due());
    const auto a = answers(f.command("Container:probe", "start", std::nullopt, "r-probe"));
    REQUIRE(a.size() == 1);
    CHECK(a[0].status == 204);
    CHECK(f.core.containers().at("probe").state().status() == "Running");
}

}  // namespace

TEST_CASE("fail at every step: Container stop") {
    run_with_failure([] { return registered({container("a", "Running", 3)}); },
                     [](registered& f) { return f.command("Container:a", "stop"); },
                     [](int failed_at, const twin::actions& actions, registered& f) {
                         const auto a = answers(actions);
                         REQUIRE(a.size() == 1);  // always exactly one answer
                         if (failed_at == 0) {    // the Stop call itself
                             CHECK(a[0].status == 500);
                             CHECK(a[0].value.at("message") == "injected failure");
                         } else {  // the fresh read failed: answered without it
                             CHECK(a[0].status == 204);
                         }
                         still_works(f);
                     });
}

TEST_CASE("fail at every step: ContainerFactory create with start") {
    run_with_failure([] { return registered(); },
                     [](registered& f) {
                         return f.command("ContainerFactory", "create", R"({"imageRef":"app","start":true})");
                     },
                     [](int failed_at, const twin::actions& actions, registered& f) {
                         const auto a = answers(actions);
                         REQUIRE(a.size() == 1);
                         if (failed_at == 0) {  // Create failed: 500 with Kanto-CM's text, nothing created
                             CHECK(a[0].status == 500);
                             CHECK(f.core.containers().empty());
                         } else {  // Start or the read failed: the container exists, 200 with its id
                             CHECK(a[0].status == 200);
                             CHECK(f.core.containers().count(std::string(a[0].value.as_string())) == 1);
                         }
                         still_works(f);
                     });
}

TEST_CASE("Metrics: request, periodic reads and data, a new request invalidates the old timer, 0 stops") {
    registered f({container("a", "Running", 3), container("b", "Stopped")});
    auto req = f.command("Metrics", "request", R"({"frequency":"2s","filter":[{"id":["cpu.*"]}]})");
    CHECK(answers(req).at(0).status == 204);
    CHECK(f.core.metrics().current() == twin::metrics_reporter::state::reporting);
    const auto baseline = only<twin::read_metrics>(req).at(0);
    CHECK(baseline.baseline);
    REQUIRE(baseline.targets.size() == 1);  // running or paused containers only
    CHECK(baseline.targets[0].container_id == "a");
    CHECK(only<twin::schedule_metrics>(req).at(0).after == 2s);
    twin::metrics_sample s0{"a", 1e9, 10e9, {}, {}, {}, {}, {}, {}, {}, {}, {}};
    CHECK(only<twin::publish>(f.core.on_metrics_read(baseline.generation, true, {s0}, 100)).empty());
    auto due = f.core.on_metrics_due(baseline.generation);
    const auto read = only<twin::read_metrics>(due).at(0);
    CHECK_FALSE(read.baseline);
    twin::metrics_sample s1{"a", 2e9, 12e9, 1e9, 5e8, {}, {}, {}, {}, {}, {}, {}};
    auto data = f.core.on_metrics_read(read.generation, false, {s1}, 102);
    CHECK(summary(data) == std::vector<std::string>{"data /features/Metrics/outbox/messages/data"});
    const auto value = json::parse(only<twin::publish>(data).at(0).payload).at("value");
    CHECK(value.at("snapshot").at(0).at("originator") == "Container:a");
    CHECK(value.at("snapshot").at(0).at("measurements").as_array().size() == 1);  // only cpu.* selected

    auto replaced = f.command("Metrics", "request", R"({"frequency":"5s"})", "r-2");
    CHECK(only<twin::schedule_metrics>(replaced).size() == 2);  // the old one cancelled, the new one armed
    CHECK(f.core.on_metrics_due(baseline.generation).empty());  // an old tick does nothing (B7)
    auto stop = f.command("Metrics", "request", R"({"frequency":0})", "r-3");
    CHECK(answers(stop).at(0).status == 204);
    CHECK(f.core.metrics().current() == twin::metrics_reporter::state::off);
    auto bad = f.command("Metrics", "request", R"({"frequency":"soon"})", "r-4");
    CHECK(answers(bad).at(0).status == 400);
    CHECK(answers(f.command("Metrics", "explode", std::nullopt, "r-5")).at(0).status == 404);
}

TEST_CASE("a container that starts while metrics are reported gets a fresh CPU baseline") {
    registered f({container("a", "Stopped")});
    f.command("Metrics", "request", R"({"frequency":"2s"})");
    auto started = f.core.on_container_read("a", container("a", "Running", 9));
    const auto reads = only<twin::read_metrics>(started);
    REQUIRE(reads.size() == 1);
    CHECK(reads[0].baseline);
    CHECK(reads[0].targets.at(0).pid == 9);
}

TEST_CASE("a refused subscription of the command topic is logged as an error naming the thing") {
    registered f;
    auto a = f.core.on_subscribe_failed(std::string("command//") + thing + "/req/#", "refused by the broker");
    REQUIRE(only<twin::log>(a).size() == 1);
    CHECK(only<twin::log>(a)[0].level == twin::log_level::error);
    CHECK(only<twin::log>(a)[0].text.find(thing) != std::string::npos);
}

TEST_CASE("stopping: operations in flight and queued are answered 500, commands are unsubscribed") {
    registered f({container("a", "Running", 3)});
    step s(f.core);
    s.command("Container:a", "pause", std::nullopt, "r-1").expect_call<kcm::svc::PauseContainerRequest>();
    step second(f.core);
    second.command("Container:a", "stop", std::nullopt, "r-2").expect_no_call();  // queued behind the pause
    const auto out = f.core.on_stopping();
    const auto a = answers(out);
    REQUIRE(a.size() == 2);
    for (const auto& r : a) {
        CHECK(r.status == 500);
        CHECK(r.value.at("message") == "the bridge is stopping: the operation was interrupted");
    }
    CHECK(a[0].path == "/features/Container:a/outbox/messages/pause");
    CHECK(a[1].path == "/features/Container:a/outbox/messages/stop");
    const auto gone = only<twin::unsubscribe>(out);
    REQUIRE(gone.size() == 1);
    CHECK(gone[0].filter.rfind("command//", 0) == 0);
    CHECK(f.quiescent());
    // The pause's late completion changes nothing and a new command is not taken.
    CHECK(answers(s.complete_call(ok()).actions()).empty());
    CHECK(only<twin::call_kanto>(f.core.on_message(command_topic("r-3", "start"),
                                                   command_payload("Container:a", "start", std::nullopt)))
              .empty());
}
