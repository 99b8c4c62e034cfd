// The deployment core through a small in-memory Kanto-CM and file system: the initial pass, a
// change while watching, bad files, Kanto-CM absent, and every I/O completion failing in turn.
#include <doctest/doctest.h>

#include <map>

#include "deployer.hpp"
#include "handover.hpp"
#include "manifest.hpp"

using namespace std::chrono_literals;

namespace {

const std::string manifest_a = R"({"container_id":"a","container_name":"a","image":{"name":"img/a:1"}})";
const std::string manifest_b = R"({"container_id":"b","container_name":"b","image":{"name":"img/b:1"}})";

template <class T>
std::vector<T> only(const deploy::actions& a) {
    std::vector<T> out;
    for (const auto& x : a) {
        if (auto* p = std::get_if<T>(&x)) out.push_back(*p);
    }
    return out;
}

// Files and Kanto-CM in memory; answers the core's actions until none is left.
struct world {
    std::map<std::string, std::string> files;
    std::map<std::string, kcm::types::Container> containers;  // by id
    bool kanto_down = false;
    std::optional<int> fail_at;  // the I/O completion that fails
    int completions = 0;
    std::vector<std::string> calls;  // "Create a", "Start a", ...
    std::vector<std::string> log;
    std::optional<deploy::pass_finished> finished;
    int retries = 0;
    std::string failing_image;  // Start fails for containers of this image

    bool failing() {
        const int n = completions++;
        return fail_at && n == *fail_at;
    }

    deploy::actions settle(deploy::deployer& d, deploy::actions pending) {
        deploy::actions seen;
        for (std::size_t i = 0; i < pending.size(); ++i) {
            auto a = pending[i];
            seen.push_back(a);
            auto more = complete(d, a);
            pending.insert(pending.end(), more.begin(), more.end());
        }
        return seen;
    }

    deploy::actions complete(deploy::deployer& d, const deploy::action& a) {
        if (auto* l = std::get_if<deploy::log>(&a)) log.push_back(l->text);
        if (auto* p = std::get_if<deploy::pass_finished>(&a)) finished = *p;
        if (auto* r = std::get_if<deploy::read_manifest>(&a)) {
            if (failing()) return d.on_manifest_read(r->path, std::nullopt, "injected failure");
            auto it = files.find(r->path);
            return d.on_manifest_read(r->path, it == files.end() ? std::nullopt : std::optional(it->second),
                                      {});
        }
        if (std::holds_alternative<deploy::list_containers>(a)) {
            if (kanto_down) return d.on_listed(false, true, "UNAVAILABLE: no socket", {});
            if (failing()) return d.on_listed(false, false, "injected failure", {});
            std::vector<kcm::types::Container> list;
            for (const auto& [id, c] : containers) list.push_back(c);
            return d.on_listed(true, false, {}, list);
        }
        if (std::holds_alternative<deploy::schedule_retry>(a)) {
            ++retries;
            if (retries >= 3) kanto_down = false;  // Kanto-CM comes back
            return d.on_retry_due();
        }
        if (auto* c = std::get_if<deploy::call_kanto>(&a)) {
            if (failing())
                return d.on_kanto_done(c->call, kanto::result{false, "injected failure", std::nullopt});
            return d.on_kanto_done(c->call, call(c->request));
        }
        return {};
    }

    kanto::result call(const kanto::request& request) {
        kanto::result r;
        std::visit(
            [&](const auto& q) {
                using Q = std::decay_t<decltype(q)>;
                if constexpr (std::is_same_v<Q, kcm::svc::CreateContainerRequest>) {
                    auto c = q.container();
                    if (c.id().empty()) c.set_id("gen-" + std::to_string(containers.size()));
                    if (containers.count(c.id()) != 0) {
                        r = {false, "container with id = " + c.id() + " already exists", std::nullopt};
                        return;
                    }
                    calls.push_back("Create " + c.name());
                    containers[c.id()] = c;
                    r.container = c;
                } else if constexpr (std::is_same_v<Q, kcm::svc::StartContainerRequest>) {
                    calls.push_back("Start " + q.id());
                    auto& c = containers.at(q.id());
                    if (!failing_image.empty() && c.image().name() == failing_image) {
                        r = {false, "failed to start container", std::nullopt};
                        return;
                    }
                    c.mutable_state()->set_running(true);
                } else if constexpr (std::is_same_v<Q, kcm::svc::UnpauseContainerRequest>) {
                    calls.push_back("Unpause " + q.id());
                    containers.at(q.id()).mutable_state()->set_paused(false);
                    containers.at(q.id()).mutable_state()->set_running(true);
                } else if constexpr (std::is_same_v<Q, kcm::svc::UpdateContainerRequest>) {
                    calls.push_back("Update " + q.id());
                    auto& h = *containers.at(q.id()).mutable_host_config();
                    if (q.updateoptions().has_restart_policy())
                        *h.mutable_restart_policy() = q.updateoptions().restart_policy();
                    if (q.updateoptions().has_resources())
                        *h.mutable_resources() = q.updateoptions().resources();
                } else if constexpr (std::is_same_v<Q, kcm::svc::StopContainerRequest>) {
                    calls.push_back("Stop " + q.id() + " " + std::to_string(q.stopoptions().timeout()) + " " +
                                    q.stopoptions().signal() + (q.stopoptions().force() ? " force" : ""));
                    containers.at(q.id()).mutable_state()->set_running(false);
                    containers.at(q.id()).mutable_state()->set_paused(false);
                } else if constexpr (std::is_same_v<Q, kcm::svc::RemoveContainerRequest>) {
                    calls.push_back(std::string("Remove ") + q.id() + (q.force() ? " force" : ""));
                    containers.erase(q.id());
                }
            },
            request);
        return r;
    }
};

}  // namespace

TEST_CASE("initial pass: create and start what is missing, start what is stopped, keep what runs") {
    world w;
    w.files = {{"/m/a.json", manifest_a}, {"/m/b.json", manifest_b}};
    deploy::deployer d({});
    w.settle(d, d.start_pass("/m", {"/m/a.json", "/m/b.json"}));
    CHECK(w.calls == std::vector<std::string>{"Create a", "Start a", "Create b", "Start b"});
    REQUIRE(w.finished);
    CHECK(w.finished->deployed == 2);
    CHECK(w.finished->failed == 0);

    w.calls.clear();
    w.containers.at("b").mutable_state()->set_running(false);
    w.finished.reset();
    w.settle(d, d.start_pass("/m", {"/m/a.json", "/m/b.json"}));
    CHECK(w.calls == std::vector<std::string>{"Start b"});  // a runs: nothing; b stopped: started
    CHECK(w.containers.size() == 2);                        // idempotent: same containers
    CHECK(d.current() == deploy::deployer::state::idle);
}

TEST_CASE(
    "a change while watching replaces the container: stop 1 s force SIGTERM, remove force, create, start") {
    world w;
    w.files = {{"/m/a.json", manifest_a}};
    deploy::deployer d({true});
    w.settle(d, d.start_pass("/m", {"/m/a.json"}));
    w.calls.clear();
    w.files["/m/a.json"] = R"({"container_id":"a","container_name":"a","image":{"name":"img/a:2"}})";
    w.settle(d, d.on_changed("/m/a.json"));
    CHECK(w.calls ==
          std::vector<std::string>{"Stop a 1 SIGTERM force", "Remove a force", "Create a", "Start a"});
    CHECK(w.containers.at("a").image().name() == "img/a:2");
}

TEST_CASE("bad manifests fail alone, named with the reason; nothing running is touched") {
    world w;
    w.files = {{"/m/a.json", manifest_a},
               {"/m/bad.json", "{\"container_name\": \"x\",,}"},
               {"/m/b.json", manifest_b}};
    deploy::deployer d({true});
    w.settle(d, d.start_pass("/m", {"/m/a.json", "/m/b.json", "/m/bad.json"}));
    CHECK(w.finished->failed == 1);
    CHECK(w.containers.size() == 2);
    const auto bad = std::find_if(w.log.begin(), w.log.end(), [](const std::string& l) {
        return l.find("Wrong json in [\"/m/bad.json\"]") != std::string::npos;
    });
    REQUIRE(bad != w.log.end());
    CHECK(bad->find("line 1, column 24") != std::string::npos);
    // A broken save of a running container's manifest leaves the container alone.
    w.calls.clear();
    w.files["/m/a.json"] = "{";
    w.settle(d, d.on_changed("/m/a.json"));
    CHECK(w.calls.empty());
    CHECK(w.containers.count("a") == 1);
    // A manifest gone by the time it is read (a rename, an editor's temporary file): nothing happens.
    w.settle(d, d.on_changed("/m/gone.json"));
    CHECK(w.calls.empty());
}

TEST_CASE("Kanto-CM absent: a daemon waits with a capped back-off, a one-shot run fails and goes on") {
    world w;
    w.files = {{"/m/a.json", manifest_a}};
    w.kanto_down = true;
    deploy::deployer daemon({true, 300ms});
    auto a = w.settle(daemon, daemon.start_pass("/m", {"/m/a.json"}));
    std::vector<std::chrono::milliseconds> delays;
    for (const auto& r : only<deploy::schedule_retry>(a)) delays.push_back(r.after);
    CHECK(delays == std::vector<std::chrono::milliseconds>{100ms, 100ms, 200ms});
    CHECK(w.calls == std::vector<std::string>{"Create a", "Start a"});  // deployed once it answered

    world w2;
    w2.files = {{"/m/a.json", manifest_a}};
    w2.kanto_down = true;
    deploy::deployer once({false});
    w2.settle(once, once.start_pass("/m", {"/m/a.json"}));
    CHECK(w2.retries == 0);
    CHECK(w2.finished->failed == 1);
}

TEST_CASE("the back-off is capped") {
    world w;
    w.files = {{"/m/a.json", manifest_a}};
    deploy::deployer d({true, 250ms});
    auto a = d.start_pass("/m", {"/m/a.json"});
    a = d.on_manifest_read("/m/a.json", manifest_a, {});
    std::vector<long> delays;
    for (int i = 0; i < 8; ++i) {
        auto r = d.on_listed(false, true, "UNAVAILABLE", {});
        delays.push_back(only<deploy::schedule_retry>(r).at(0).after.count());
        d.on_retry_due();
    }
    CHECK(delays == std::vector<long>{100, 100, 200, 250, 250, 250, 250, 250});
}

TEST_CASE("fail at every step: each failure ends that manifest alone; the next one deploys") {
    for (int k = 0; k < 4; ++k) {  // read, List, Create, Start of the first manifest
        CAPTURE(k);
        world w;
        w.files = {{"/m/a.json", manifest_a}, {"/m/b.json", manifest_b}};
        w.fail_at = k;
        deploy::deployer d({true});
        w.settle(d, d.start_pass("/m", {"/m/a.json", "/m/b.json"}));
        REQUIRE(w.finished);
        CHECK(w.finished->failed == 1);
        CHECK(w.containers.count("b") == 1);  // the other one deployed
        CHECK(d.current() == deploy::deployer::state::idle);
        // And the next change of the failed manifest deploys it.
        w.fail_at.reset();
        w.settle(d, d.on_changed("/m/a.json"));
        CHECK(w.containers.count("a") == 1);
        CHECK(w.containers.at("a").state().running());
    }
}

TEST_CASE("hand-over to the update agent: only payload.status IDENTIFIED; the lock file's disabled name") {
    CHECK(deploy::is_identified_feedback(
        R"({"activityId":"a","timestamp":1,"payload":{"status":"IDENTIFIED"}})"));
    CHECK_FALSE(deploy::is_identified_feedback(R"({"payload":{"status":"IDENTIFYING"}})"));
    CHECK_FALSE(deploy::is_identified_feedback(R"({"payload":{"status":"identified"}})"));
    // Too large to be a real one: not read at all.
    CHECK_FALSE(deploy::is_identified_feedback(R"({"payload":{"status":"IDENTIFIED"}})" +
                                               std::string(deploy::max_feedback_bytes, ' ')));
    CHECK_FALSE(deploy::is_identified_feedback(R"({"status":"IDENTIFIED"})"));
    CHECK_FALSE(deploy::is_identified_feedback("not json"));
    CHECK(deploy::disabled_lock_path("/var/lib/kanto-auto-deployer/KAD.enabled") ==
          "/var/lib/kanto-auto-deployer/KAD.disabled");
    CHECK(deploy::disabled_lock_path("/x/lock") == "/x/lock.disabled");
}

namespace {

// A container as Kanto-CM would hold it after creating `config` (defaults filled, running).
kcm::types::Container deployed(const std::string& id, const std::string& config) {
    auto c = std::get<kcm::types::Container>(deploy::parse_container_config(config));
    c.set_id(id);
    c.mutable_state()->set_running(true);
    return c;
}

const std::string cfg_v1 = R"({"container_name":"app","image":{"name":"img:1"},"config":{"env":["A=1"]}})";

}  // namespace

TEST_CASE("update mode: create, check (ensure running, unpause), update in place, recreate new-first") {
    world w;
    deploy::deployer d({true, 30000ms, deploy::deploy_mode::update});
    w.files["/c/app.json"] = cfg_v1;
    w.settle(d, d.start_pass("/c", {"/c/app.json"}));
    CHECK(w.calls == std::vector<std::string>{"Create app", "Start gen-0"});

    SUBCASE("unchanged and running: nothing; stopped: started; paused: unpaused") {
        w.calls.clear();
        w.settle(d, d.on_changed("/c/app.json"));
        CHECK(w.calls.empty());
        w.containers.at("gen-0").mutable_state()->set_running(false);
        w.settle(d, d.on_changed("/c/app.json"));
        CHECK(w.calls == std::vector<std::string>{"Start gen-0"});
        w.calls.clear();
        w.containers.at("gen-0").mutable_state()->set_paused(true);
        w.settle(d, d.on_changed("/c/app.json"));
        CHECK(w.calls == std::vector<std::string>{"Unpause gen-0"});
    }
    SUBCASE("resources or restart policy changed: Update in place") {
        w.calls.clear();
        w.files["/c/app.json"] = R"({"container_name":"app","image":{"name":"img:1"},"config":{"env":["A=1"]},
                                     "host_config":{"restart_policy":{"type":"always"}}})";
        w.settle(d, d.on_changed("/c/app.json"));
        CHECK(w.calls == std::vector<std::string>{"Update gen-0"});
        CHECK(w.containers.at("gen-0").host_config().restart_policy().type() == "always");
    }
    SUBCASE("image changed: create the new one, stop the old, start the new, remove the old") {
        w.calls.clear();
        w.files["/c/app.json"] =
            R"({"container_name":"app","image":{"name":"img:2"},"config":{"env":["A=1"]}})";
        w.settle(d, d.on_changed("/c/app.json"));
        CHECK(w.calls == std::vector<std::string>{"Create app", "Stop gen-0 0 SIGTERM force", "Start gen-1",
                                                  "Remove gen-0 force"});
        REQUIRE(w.containers.size() == 1);
        CHECK(w.containers.begin()->second.image().name() == "img:2");
    }
    SUBCASE("the new one does not start: the old one runs again, the new one is removed") {
        w.calls.clear();
        w.failing_image = "img:bad";
        w.files["/c/app.json"] =
            R"({"container_name":"app","image":{"name":"img:bad"},"config":{"env":["A=1"]}})";
        w.settle(d, d.on_changed("/c/app.json"));
        CHECK(w.calls == std::vector<std::string>{"Create app", "Stop gen-0 0 SIGTERM force", "Start gen-1",
                                                  "Start gen-0", "Remove gen-1 force"});
        REQUIRE(w.containers.size() == 1);
        CHECK(w.containers.at("gen-0").state().running());
        CHECK(std::any_of(w.log.begin(), w.log.end(), [](const std::string& l) {
            return l.find("rolled back to the old container") != std::string::npos;
        }));
    }
    CHECK(d.current() == deploy::deployer::state::idle);
}

TEST_CASE("update mode: a pinned id shared by old and new is replaced old-first") {
    world w;
    w.containers["app"] =
        deployed("app", R"({"container_id":"app","container_name":"app","image":{"name":"img:1"}})");
    w.files["/c/app.json"] = R"({"container_id":"app","container_name":"app","image":{"name":"img:2"}})";
    deploy::deployer d({true, 30000ms, deploy::deploy_mode::update});
    w.settle(d, d.start_pass("/c", {"/c/app.json"}));
    CHECK(w.calls == std::vector<std::string>{"Stop app 1 SIGTERM force", "Remove app force", "Create app",
                                              "Start app"});
}

TEST_CASE("init mode: everything is created and started, only while Kanto-CM has no container") {
    world w;
    w.files = {{"/c/a.json", manifest_a}, {"/c/b.json", manifest_b}};
    deploy::deployer d({false, 30000ms, deploy::deploy_mode::init});
    w.settle(d, d.start_pass("/c", {"/c/a.json", "/c/b.json"}));
    CHECK(w.calls == std::vector<std::string>{"Create a", "Start a", "Create b", "Start b"});
    w.calls.clear();
    w.finished.reset();
    w.settle(d, d.start_pass("/c", {"/c/a.json", "/c/b.json"}));
    CHECK(w.calls.empty());  // not empty any more: skipped
    REQUIRE(w.finished);
    CHECK(w.finished->deployed == 0);
}

TEST_CASE(
    "init mode: when the first List fails, the pass ends with every manifest failed, nothing deployed") {
    world w;
    w.files = {{"/c/a.json", manifest_a}, {"/c/b.json", manifest_b}, {"/c/c.json", manifest_a}};
    w.fail_at = 0;  // the List that checks Kanto-CM is empty
    deploy::deployer d({false, 30000ms, deploy::deploy_mode::init});
    w.settle(d, d.start_pass("/c", {"/c/a.json", "/c/b.json", "/c/c.json"}));
    CHECK(w.calls.empty());
    REQUIRE(w.finished);
    CHECK(w.finished->deployed == 0);
    CHECK(w.finished->failed == 3);
    CHECK(d.current() == deploy::deployer::state::idle);
    CHECK(d.queued() == 0);
}
