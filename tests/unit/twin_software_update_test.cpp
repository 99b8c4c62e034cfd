// SoftwareUpdatable install and remove through the core (things.md §7.3, §8): every status in
// order, checksum and descriptor rules, mixed remove outcomes, twin events, and every flow rerun
// with each I/O completion failing in turn.
#include <doctest/doctest.h>

#include "core_steps.hpp"

using namespace steps;
namespace json = boost::json;

namespace {

const std::string url = "http://127.0.0.1:8080/app.json";
const std::string descriptor =
    R"({"container_name":"installed","image":{"name":"docker.io/library/busybox:1.36"},"host_config":{"restart_policy":{"type":"no"}}})";

std::string install_action(const std::string& correlation, const std::string& artifact_url,
                           const std::string& checksums) {
    return R"({"correlationId":")" + correlation +
           R"(","softwareModules":[{"softwareModule":{"name":"app","version":"1.0"},"artifacts":[{"filename":"app.json","download":{"HTTP":{"url":")" +
           artifact_url + R"("}},"checksums":)" + checksums + R"(,"size":1}]}]})";
}

registered with_artifact() {
    return registered({}, {}, {{url, descriptor}});
}

}  // namespace

TEST_CASE("install: 204 at once, then every status in order; the container is created and started") {
    auto f = with_artifact();
    const auto md5 = hex_digest(descriptor, EVP_md5());
    auto a = f.command("SoftwareUpdatable", "install",
                       install_action("inst-1", url, R"({"MD5":")" + md5 + R"("})"));
    CHECK(answers(a).at(0).status == 204);
    CHECK(answers(a).at(0).path == "/features/SoftwareUpdatable/outbox/messages/install");
    CHECK(su_statuses(a) == std::vector<std::string>{"STARTED", "DOWNLOADING", "DOWNLOADED", "INSTALLING",
                                                     "INSTALLED", "FINISHED_SUCCESS"});
    const auto first = json::parse(only<twin::publish>(a)[1].payload).at("value");
    CHECK(json::serialize(first) ==
          R"({"correlationId":"inst-1","status":"STARTED","softwareModule":{"name":"app","version":"1.0"}})");
    REQUIRE(f.core.containers().size() == 1);
    CHECK(f.core.containers().begin()->second.name() == "installed");
    CHECK(f.core.containers().begin()->second.state().status() == "Running");
    CHECK(f.quiescent());
}

TEST_CASE("install: checksum, descriptor and download failures") {
    auto f = with_artifact();
    std::string message;
    SUBCASE("an MD5 mismatch is FINISHED_REJECTED, first as lastFailedOperation") {
        auto a = f.command("SoftwareUpdatable", "install",
                           install_action("i", url, R"({"MD5":"00112233445566778899aabbccddeeff"})"));
        CHECK(su_statuses(a, &message) == std::vector<std::string>{"STARTED", "DOWNLOADING",
                                                                   "failed:FINISHED_REJECTED",
                                                                   "FINISHED_REJECTED"});
        CHECK(message == "md5 checksum does not match");
    }
    SUBCASE("an over-long valid hex checksum is rejected, not a panic (B5)") {
        const auto md5 = hex_digest(descriptor, EVP_md5());
        auto a = f.command("SoftwareUpdatable", "install",
                           install_action("i", url, R"({"MD5":")" + md5 + R"(00"})"));
        CHECK(su_statuses(a, &message).back() == "FINISHED_REJECTED");
        CHECK(message ==
              "the provided input hash is either invalid, not a hex string or the length exceeds 16 bytes");
    }
    SUBCASE("SHA256 is checked when no MD5 is given") {
        auto a = f.command("SoftwareUpdatable", "install", install_action("i", url, R"({"SHA256":"abcd"})"));
        su_statuses(a, &message);
        CHECK(message == "sha256 checksum does not match");
    }
    SUBCASE("an invalid container descriptor is rejected with Kanto's validation text") {
        f.world.web[url] = R"({"container_name":"-bad","image":{"name":"busybox"}})";
        auto a = f.command("SoftwareUpdatable", "install", install_action("i", url, "{}"));
        CHECK(su_statuses(a, &message).back() == "FINISHED_REJECTED");
        CHECK(message == "invalid container name format : -bad");
    }
    SUBCASE("no download link at all: FINISHED_ERROR, not a panic (B5)") {
        auto a = f.command(
            "SoftwareUpdatable", "install",
            R"({"correlationId":"i","softwareModules":[{"softwareModule":{"name":"app","version":"1.0"},"artifacts":[{"filename":"a.json"}]}]})");
        CHECK(su_statuses(a, &message).back() == "FINISHED_ERROR");
        CHECK(message == "the SoftwareArtifact [a.json] has no HTTP or HTTPS download link");
    }
    SUBCASE("a download error names the reason") {
        auto a = f.command("SoftwareUpdatable", "install", install_action("i", url + ".missing", "{}"));
        CHECK(su_statuses(a, &message) ==
              std::vector<std::string>{"STARTED", "DOWNLOADING", "failed:FINISHED_ERROR", "FINISHED_ERROR"});
        CHECK(message == "HTTP status 404 Not Found");
    }
    SUBCASE("bad input and unsupported operations are answered, no job starts") {
        auto bad = f.command("SoftwareUpdatable", "install", R"("x")");
        CHECK(answers(bad).at(0).status == 400);
        auto cancel = f.command("SoftwareUpdatable", "cancel", "{}");
        CHECK(answers(cancel).at(0).status == 404);
        CHECK(answers(cancel).at(0).value.at("message") ==
              "unsupported operation called [operationId = cancel]");
    }
    CHECK(f.quiescent());
}

TEST_CASE("jobs run one at a time: a second install waits for the first") {
    auto f = with_artifact();
    auto first =
        f.core.on_message(command_topic("r-1", "install"),
                          command_payload("SoftwareUpdatable", "install", install_action("one", url, "{}")));
    auto second =
        f.core.on_message(command_topic("r-2", "install"),
                          command_payload("SoftwareUpdatable", "install", install_action("two", url, "{}")));
    CHECK(only<twin::http_get>(first).size() == 1);
    CHECK(only<twin::http_get>(second).empty());  // queued
    CHECK(answers(second).at(0).status == 204);
    CHECK(f.core.software_updates().queued() == 1);
    auto rest = f.world.settle(f.core, first);
    std::string message;
    CHECK(su_statuses(rest).size() == 12);  // both jobs, six statuses each
    CHECK(f.quiescent());
}

TEST_CASE("remove, not forced: stop at the first failure, the rest rejected; success last (B9)") {
    registered f({container("a", "Running", 3), container("b", "Running", 4)});
    auto out = f.command(
        "SoftwareUpdatable", "remove",
        R"({"correlationId":"rm-1","software":[{"name":"a","version":"1"},{"name":"missing","version":"1"},{"name":"b","version":"1"}]})");
    CHECK(su_statuses(out) == std::vector<std::string>{"REMOVING", "REMOVED", "REMOVING",
                                                       "failed:FINISHED_REJECTED", "FINISHED_REJECTED",
                                                       "failed:FINISHED_ERROR", "FINISHED_ERROR",
                                                       "FINISHED_SUCCESS"});
    CHECK(f.core.containers().count("a") == 0);
    CHECK(f.core.containers().count("b") == 1);  // rejected: not attempted
    // REMOVED only after the twin showed the removal.
    std::ptrdiff_t deleted = -1, removed = -1, i = 0;
    for (const auto& p : only<twin::publish>(out)) {
        const auto env = json::parse(p.payload).as_object();
        if (env.at("path") == "/features/Container:a" && summary({p}).at(0).rfind("delete", 0) == 0)
            deleted = i;
        const auto* v = env.if_contains("value");
        if (removed < 0 && v != nullptr && v->is_object() && v->as_object().contains("status") &&
            v->at("status") == "REMOVED") {
            removed = i;
        }
        ++i;
    }
    CHECK(deleted >= 0);
    CHECK(deleted < removed);
    CHECK(f.quiescent());
}

TEST_CASE("remove, forced: every item attempted, two failures joined") {
    registered f({container("a", "Running", 3)});
    std::string message;
    auto out = f.command(
        "SoftwareUpdatable", "remove",
        R"({"correlationId":"rm-2","forced":true,"software":[{"name":"gone-1"},{"name":"a"},{"name":"gone-2"}]})");
    const auto all = su_statuses(out);
    CHECK(all == std::vector<std::string>{"REMOVING", "REMOVING", "REMOVED", "REMOVING",
                                          "failed:FINISHED_ERROR", "FINISHED_ERROR", "FINISHED_SUCCESS"});
    su_statuses(out, &message);  // the message of the last status that had one: FINISHED_ERROR
    CHECK(message ==
          "2 errors:\n\n* container with ID = gone-1 does not exist\n* container with ID = gone-2 does not "
          "exist");
}

TEST_CASE("fail at every step: install (download, create, start, read)") {
    run_with_failure(
        [] { return with_artifact(); },
        [](registered& f) {
            return f.command("SoftwareUpdatable", "install", install_action("i", url, "{}"));
        },
        [](int failed_at, const twin::actions& actions, registered& f) {
            CHECK(answers(actions).at(0).status == 204);
            std::string message;
            const auto st = su_statuses(actions, &message);
            REQUIRE_FALSE(st.empty());
            if (failed_at == -1 || failed_at >= 3) {  // the clean run, or only a read after the start failed
                CHECK(st.back() == "FINISHED_SUCCESS");
            } else {  // download, create or start failed: the job ends with the error
                CHECK(st.back() == "FINISHED_ERROR");
                CHECK(message == "injected failure");
            }
            f.world.fail_at.reset();
            f.world.settle(f.core, f.core.on_poll_due());
            CHECK(f.quiescent());
            // The next job runs normally.
            const auto again =
                f.command("SoftwareUpdatable", "install", install_action("j", url, "{}"), "r-2");
            CHECK(su_statuses(again).back() == "FINISHED_SUCCESS");
        });
}

TEST_CASE("fail at every step: remove (get, remove, read)") {
    run_with_failure([] { return registered({container("a", "Running", 3)}); },
                     [](registered& f) {
                         return f.command("SoftwareUpdatable", "remove",
                                          R"({"correlationId":"rm","software":[{"name":"a"}]})");
                     },
                     [](int failed_at, const twin::actions& actions, registered& f) {
                         std::string message;
                         const auto st = su_statuses(actions, &message);
                         if (failed_at == 0 || failed_at == 1) {  // Get or Remove failed
                             CHECK(st.back() == "FINISHED_ERROR");
                             CHECK(message == "injected failure");
                         } else {  // clean, or the read after the removal failed: REMOVED without it
                             CHECK(st == std::vector<std::string>{"REMOVING", "REMOVED", "FINISHED_SUCCESS"});
                         }
                         f.world.fail_at.reset();
                         f.world.settle(f.core, f.core.on_poll_due());
                         CHECK(f.quiescent());
                     });
}

TEST_CASE("twin events: feature events keep operations (B6); a deleted thing gets 404 until created again") {
    registered f({container("a", "Running", 3)});
    const std::string events = std::string("command//") + thing + "/req//";
    const std::string thing_topic = "org.acme/gw-1:dev-7:edge:containers/things/twin/events/";
    f.core.on_message(
        events + "modified",
        R"({"topic":")" + thing_topic +
            R"(modified","headers":{},"path":"/features/Container:a","value":{"definition":["x"]}})");
    CHECK(answers(f.command("Container:a", "stop")).at(0).status == 204);

    f.core.on_message(events + "deleted",
                      R"({"topic":")" + thing_topic + R"(deleted","headers":{},"path":"/"})");
    const auto gone = answers(f.command("Container:a", "start", std::nullopt, "r-2"));
    CHECK(gone.at(0).status == 404);
    CHECK(gone.at(0).value.at("message").as_string() ==
          std::string("thing with ID = ") + thing + " is not found");

    auto created = f.world.settle(
        f.core, f.core.on_message(events + "created",
                                  R"({"topic":")" + thing_topic + R"(created","headers":{},"path":"/"})"));
    CHECK(summary(created).back() == "modify /features/Metrics");  // everything published again
    CHECK(answers(f.command("Container:a", "start", std::nullopt, "r-3")).at(0).status == 204);

    // After a device change the old thing is unknown, even on the new thing's topic.
    auto moved = f.world.settle(
        f.core, f.core.on_message("edge/thing/response", R"({"deviceId":"org.acme:gw-2","tenantId":"t1"})"));
    CHECK(only<twin::unsubscribe>(moved).at(0).filter == std::string("command//") + thing + "/req/#");
    const auto old = answers(
        f.world.settle(f.core, f.core.on_message("command//org.acme:gw-2:edge:containers/req/old/start",
                                                 command_payload("Container:a", "start", std::nullopt))));
    CHECK(old.at(0).status == 404);
}

TEST_CASE("stopping: the running install and the queued one end FINISHED_ERROR") {
    auto f = with_artifact();
    f.core.on_message(command_topic("r-1", "install"),
                      command_payload("SoftwareUpdatable", "install", install_action("one", url, "{}")));
    f.core.on_message(command_topic("r-2", "install"),
                      command_payload("SoftwareUpdatable", "install", install_action("two", url, "{}")));
    const auto out = f.core.on_stopping();
    CHECK(su_statuses(out) == std::vector<std::string>{"failed:FINISHED_ERROR", "FINISHED_ERROR",
                                                       "failed:FINISHED_ERROR", "FINISHED_ERROR"});
    const auto last = json::parse(only<twin::publish>(out).back().payload).at("value");
    CHECK(last.at("correlationId") == "two");
    CHECK(last.at("message") == "the bridge is stopping: the operation was interrupted");
    CHECK(f.quiescent());
    CHECK(f.core.software_updates().queued() == 0);
}
