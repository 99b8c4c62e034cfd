// kanto-cm-sim through the generated gRPC stubs: every RPC, the state machine with real processes,
// restart policies, and Kanto-CM's exact error texts (kanto-cm-grpc.md §3-§7).
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>

#include <google/protobuf/util/json_util.h>

#include "harness.hpp"

using namespace std::chrono_literals;
using harness::rpc_context;

namespace {

struct client {
    explicit client(harness::simulator& sim) : stub(sim.containers()) {}

    std::unique_ptr<kcm::svc::Containers::Stub> stub;
    google::protobuf::Empty empty;

    kcm::types::Container create(kcm::types::Container c) {
        kcm::svc::CreateContainerRequest req;
        *req.mutable_container() = std::move(c);
        kcm::svc::CreateContainerResponse resp;
        auto st = stub->Create(rpc_context().get(), req, &resp);
        REQUIRE_MESSAGE(st.ok(), st.error_message());
        return resp.container();
    }
    kcm::types::Container create(const std::string& name, const std::string& image,
                                 std::vector<std::string> cmd = {}) {
        kcm::types::Container c;
        c.set_name(name);
        c.mutable_image()->set_name(image);
        for (auto& a : cmd) c.mutable_config()->add_cmd(a);
        return create(std::move(c));
    }
    std::optional<kcm::types::Container> get(const std::string& id) {
        kcm::svc::GetContainerRequest req;
        req.set_id(id);
        kcm::svc::GetContainerResponse resp;
        auto st = stub->Get(rpc_context().get(), req, &resp);
        REQUIRE(st.ok());
        if (!resp.has_container()) return std::nullopt;
        return resp.container();
    }
    kcm::types::Container must_get(const std::string& id) {
        auto c = get(id);
        REQUIRE(c.has_value());
        return *c;
    }
    std::vector<kcm::types::Container> list() {
        kcm::svc::ListContainersResponse resp;
        const auto st = stub->List(rpc_context().get(), {}, &resp);
        REQUIRE_MESSAGE(st.ok(), st.error_message());
        return {resp.containers().begin(), resp.containers().end()};
    }
    grpc::Status start(const std::string& id) {
        kcm::svc::StartContainerRequest req;
        req.set_id(id);
        return stub->Start(rpc_context().get(), req, &empty);
    }
    grpc::Status stop(const std::string& id, const kcm::types::StopOptions* o = nullptr) {
        kcm::svc::StopContainerRequest req;
        req.set_id(id);
        if (o != nullptr) *req.mutable_stopoptions() = *o;
        return stub->Stop(rpc_context(60s).get(), req, &empty);
    }
    grpc::Status pause(const std::string& id) {
        kcm::svc::PauseContainerRequest req;
        req.set_id(id);
        return stub->Pause(rpc_context().get(), req, &empty);
    }
    grpc::Status unpause(const std::string& id) {
        kcm::svc::UnpauseContainerRequest req;
        req.set_id(id);
        return stub->Unpause(rpc_context().get(), req, &empty);
    }
    grpc::Status rename(const std::string& id, const std::string& name) {
        kcm::svc::RenameContainerRequest req;
        req.set_id(id);
        req.set_name(name);
        return stub->Rename(rpc_context().get(), req, &empty);
    }
    grpc::Status update(const std::string& id, const kcm::types::UpdateOptions& o) {
        kcm::svc::UpdateContainerRequest req;
        req.set_id(id);
        *req.mutable_updateoptions() = o;
        return stub->Update(rpc_context().get(), req, &empty);
    }
    grpc::Status remove(const std::string& id, bool force) {
        kcm::svc::RemoveContainerRequest req;
        req.set_id(id);
        req.set_force(force);
        return stub->Remove(rpc_context(60s).get(), req, &empty);
    }
};

bool process_alive(std::int64_t pid) {
    return pid > 0 && ::kill(static_cast<pid_t>(pid), 0) == 0;
}

// The state letter of /proc/<pid>/stat ('S' sleeping, 'T' stopped, ...), or 0 when gone.
char proc_state(std::int64_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat;
    std::getline(in, stat);
    const auto paren = stat.rfind(')');
    return paren == std::string::npos || paren + 2 >= stat.size() ? 0 : stat[paren + 2];
}

// Whether the process ignores SIGTERM yet (bit 15 of SigIgn in /proc/<pid>/status).
bool ignores_sigterm(std::int64_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("SigIgn:", 0) == 0)
            return (std::stoull(line.substr(7), nullptr, 16) >> (SIGTERM - 1)) & 1;
    }
    return false;
}

// The cgroup directory of `pid` in the hierarchy holding `controller` (v1), or its v2 group; empty
// when the process is in no such group of its own.
std::filesystem::path cgroup_dir(std::int64_t pid, const std::string& controller) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
    for (std::string line; std::getline(in, line);) {
        const auto a = line.find(':'), b = line.find(':', a + 1);
        const auto controllers = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
        if (path == "/") continue;
        if (controllers.empty() && std::filesystem::exists("/sys/fs/cgroup/cgroup.controllers"))
            return "/sys/fs/cgroup" + path;
        if (("," + controllers + ",").find("," + controller + ",") != std::string::npos)
            return "/sys/fs/cgroup/" + controller + path;
    }
    return {};
}

// Paused as the simulator pauses: its cgroup frozen (freezer), or stopped by SIGSTOP without one.
bool frozen(std::int64_t pid) {
    const auto dir = cgroup_dir(pid, "freezer");
    if (dir.empty()) return proc_state(pid) == 'T';
    if (std::filesystem::exists(dir / "freezer.state"))
        return harness::read_file(dir / "freezer.state").find("FROZEN") != std::string::npos;
    return harness::read_file(dir / "cgroup.events").find("frozen 1") != std::string::npos;
}

void check_error(const grpc::Status& st, const std::string& text) {
    CHECK(st.error_code() == grpc::StatusCode::UNKNOWN);
    CHECK(st.error_message() == text);
}

}  // namespace

TEST_CASE("full lifecycle: create, start, pause, unpause, stop, start, rename, update, remove") {
    harness::simulator sim;
    client cm(sim);

    auto c = cm.create("web", "docker.io/library/nginx:1.25");
    const auto id = c.id();
    CHECK(std::regex_match(
        id, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")));
    CHECK(c.state().status() == "Created");
    CHECK(c.state().pid() == -1);
    CHECK(c.host_name() == "web-host");
    CHECK(c.host_config().restart_policy().type() == "unless-stopped");
    CHECK(std::regex_match(c.created(), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z)")));
    CHECK(cm.must_get(id).created() == c.created());
    REQUIRE(cm.list().size() == 1);

    // The state file exists and is valid JSON of the container.
    const auto state_file = sim.home() / "containers" / id / "config.json";
    REQUIRE(std::filesystem::exists(state_file));
    kcm::types::Container from_file;
    REQUIRE(google::protobuf::util::JsonStringToMessage(harness::read_file(state_file), &from_file).ok());
    CHECK(from_file.state().status() == "Created");

    REQUIRE(cm.start(id).ok());
    auto running = cm.must_get(id);
    CHECK(running.state().status() == "Running");
    CHECK(running.state().running());
    const auto pid = running.state().pid();
    CHECK(process_alive(pid));
    CHECK(std::filesystem::exists("/proc/" + std::to_string(pid)));
    CHECK_FALSE(running.state().started_at().empty());
    CHECK(running.has_network_settings());

    REQUIRE(cm.pause(id).ok());
    auto paused = cm.must_get(id);
    CHECK(paused.state().status() == "Paused");
    CHECK(paused.state().paused());
    CHECK_FALSE(paused.state().running());
    CHECK(harness::eventually([&] { return frozen(pid); }));

    REQUIRE(cm.unpause(id).ok());
    CHECK(cm.must_get(id).state().status() == "Running");
    CHECK(harness::eventually([&] { return !frozen(pid); }));

    kcm::types::StopOptions opts;
    opts.set_timeout(10);
    REQUIRE(cm.stop(id, &opts).ok());
    auto stopped = cm.must_get(id);
    CHECK(stopped.state().status() == "Stopped");
    CHECK(stopped.state().exit_code() == 143);
    CHECK(stopped.state().pid() == -1);
    CHECK(stopped.manually_stopped());
    CHECK_FALSE(stopped.state().finished_at().empty());
    CHECK_FALSE(stopped.has_network_settings());
    CHECK(harness::eventually([&] { return !process_alive(pid); }));

    REQUIRE(cm.start(id).ok());
    auto again = cm.must_get(id);
    CHECK(again.state().status() == "Running");
    CHECK(again.state().pid() != pid);
    CHECK(again.state().finished_at() == stopped.state().finished_at());  // kept from the previous run
    CHECK_FALSE(again.manually_stopped());

    REQUIRE(cm.rename(id, "web-2").ok());
    CHECK(cm.must_get(id).name() == "web-2");
    CHECK(cm.rename(id, "").ok());  // a no-op
    check_error(cm.rename(id, "-bad"), "invalid container name format : -bad");

    kcm::types::UpdateOptions up;
    up.mutable_restart_policy()->set_type("no");
    up.mutable_resources()->set_memory("100M");
    REQUIRE(cm.update(id, up).ok());
    auto updated = cm.must_get(id);
    CHECK(updated.host_config().restart_policy().type() == "no");
    CHECK(updated.host_config().resources().memory() == "100M");
    CHECK(updated.host_config().resources().memory_swap().empty());  // Update derives no swap
    up.mutable_restart_policy()->set_type("sometimes");
    check_error(cm.update(id, up), "unsupported restart policy type sometimes");

    check_error(cm.remove(id, false), "container with id = " + id +
                                          " is not stopped - must set the force flag to true to remove it");
    const auto last_pid = cm.must_get(id).state().pid();
    REQUIRE(cm.remove(id, true).ok());
    CHECK_FALSE(cm.get(id).has_value());
    CHECK(cm.list().empty());
    CHECK(harness::eventually([&] { return !process_alive(last_pid); }));
    CHECK_FALSE(std::filesystem::exists(sim.home() / "containers" / id));
}

TEST_CASE("errors carry Kanto-CM's texts") {
    harness::simulator sim;
    client cm(sim);
    const auto id = cm.create("plain", "busybox").id();

    CHECK_FALSE(cm.get("nope").has_value());  // unknown id: OK with an empty response
    for (auto st : {cm.start("nope"), cm.stop("nope"), cm.pause("nope"), cm.unpause("nope"),
                    cm.rename("nope", "x"), cm.remove("nope", true)}) {
        check_error(st, "no such container with id = nope exists");
    }
    check_error(cm.start(""), "no such container with id =  exists");
    check_error(cm.pause(id), "container with id = " + id + " is not running - current status is Created");
    check_error(cm.stop(id), "cannot perform stop operation for container: " + id + ", with state: Created");
    REQUIRE(cm.start(id).ok());
    check_error(cm.start(id), "the container with id = " + id + " is already running");
    check_error(cm.unpause(id), "container id = " + id + " is not paused - cannot unpause it ");
    REQUIRE(cm.pause(id).ok());
    check_error(cm.start(id),
                "the container with id = " + id + " is paused - cannot start it - try unpausing it instead");
    check_error(cm.pause(id), "container with id = " + id + " is not running - current status is Paused");
    kcm::types::StopOptions bad;
    bad.set_signal("SIGNOPE");
    check_error(cm.stop(id, &bad), "invalid signal = SIGNOPE");
    bad.set_signal("");
    bad.set_timeout(-3);
    check_error(cm.stop(id, &bad), "the timeout = -3 shouldn't be negative");

    kcm::types::Container dup;
    dup.set_id(id);
    dup.mutable_image()->set_name("busybox");
    kcm::svc::CreateContainerRequest req;
    *req.mutable_container() = dup;
    kcm::svc::CreateContainerResponse resp;
    check_error(cm.stub->Create(rpc_context().get(), req, &resp),
                "container with id = " + id + " already exists");
    req.mutable_container()->clear_id();
    req.mutable_container()->mutable_image()->set_name("registry.local/pull-fails:1");
    check_error(cm.stub->Create(rpc_context().get(), req, &resp),
                "failed to resolve reference \"registry.local/pull-fails:1\": object required");
    req.mutable_container()->mutable_image()->set_name("busybox");
    req.mutable_container()->mutable_host_config()->set_network_mode("none");
    check_error(cm.stub->Create(rpc_context().get(), req, &resp), "unsupported network mode none");
    req.clear_container();
    check_error(cm.stub->Create(rpc_context().get(), req, &resp),
                "the containers image configuration is invalid");
    CHECK(cm.list().size() == 1);  // failed creates leave nothing behind
}

TEST_CASE("names are not unique and List comes back complete") {
    harness::simulator sim;
    client cm(sim);
    const auto a = cm.create("same", "busybox").id();
    const auto b = cm.create("same", "busybox").id();
    CHECK(a != b);
    auto all = cm.list();
    REQUIRE(all.size() == 2);
    CHECK(all[0].name() == "same");
    CHECK(all[1].name() == "same");
}

TEST_CASE("on-failure with max 2 retries: exit code 3 ends Exited after 2 restarts") {
    harness::simulator sim;
    client cm(sim);
    kcm::types::Container c;
    c.set_name("crasher");
    c.mutable_image()->set_name("busybox");
    c.mutable_config()->add_cmd("sh");
    c.mutable_config()->add_cmd("-c");
    c.mutable_config()->add_cmd("exit 3");
    auto* policy = c.mutable_host_config()->mutable_restart_policy();
    policy->set_type("on-failure");
    policy->set_maximum_retry_count(2);
    const auto id = cm.create(c).id();
    REQUIRE(cm.start(id).ok());
    REQUIRE(harness::eventually(
        [&] {
            auto s = cm.must_get(id);
            return s.state().status() == "Exited" && s.restart_count() == 2;
        },
        15s));
    std::this_thread::sleep_for(1500ms);  // longer than the pending 100 + 200 ms back-offs
    auto final_state = cm.must_get(id);
    CHECK(final_state.state().status() == "Exited");
    CHECK(final_state.state().exited());
    CHECK(final_state.restart_count() == 2);
    CHECK(final_state.state().exit_code() == 3);
    CHECK(final_state.state().pid() == -1);
}

TEST_CASE("restart policies after a manual stop: always restarts, unless-stopped does not") {
    harness::simulator sim;
    client cm(sim);
    kcm::types::Container c;
    c.set_name("keeper");
    c.mutable_image()->set_name("busybox");
    c.mutable_host_config()->mutable_restart_policy()->set_type("always");
    const auto always = cm.create(c).id();
    const auto unless = cm.create("default-policy", "busybox").id();
    REQUIRE(cm.start(always).ok());
    REQUIRE(cm.start(unless).ok());
    REQUIRE(cm.stop(always).ok());
    REQUIRE(cm.stop(unless).ok());
    CHECK(harness::eventually([&] { return cm.must_get(always).state().status() == "Running"; }, 10s));
    auto restarted = cm.must_get(always);
    CHECK(restarted.restart_count() == 1);
    CHECK(restarted.manually_stopped());  // an automatic restart keeps the flag
    std::this_thread::sleep_for(500ms);
    CHECK(cm.must_get(unless).state().status() == "Stopped");

    SUBCASE("an Update to 'always' starts a stopped container at once") {
        kcm::types::UpdateOptions up;
        up.mutable_restart_policy()->set_type("always");
        REQUIRE(cm.update(unless, up).ok());
        CHECK(harness::eventually([&] { return cm.must_get(unless).state().status() == "Running"; }, 10s));
    }
}

TEST_CASE("stop: a process ignoring SIGTERM needs force; the timeout error leaves it running") {
    harness::simulator sim;
    client cm(sim);
    const auto id =
        cm.create("stubborn", "busybox", {"sh", "-c", "trap '' TERM; while :; do sleep 0.1; done"}).id();
    REQUIRE(cm.start(id).ok());
    const auto pid = cm.must_get(id).state().pid();
    REQUIRE(harness::eventually([&] { return ignores_sigterm(pid); }));  // the shell ran its trap
    kcm::types::StopOptions opts;
    opts.set_timeout(1);
    check_error(cm.stop(id, &opts), "could not stop container with ID = " + id + " with SIGTERM");
    CHECK(cm.must_get(id).state().status() == "Running");
    opts.set_force(true);
    REQUIRE(cm.stop(id, &opts).ok());
    auto s = cm.must_get(id);
    CHECK(s.state().status() == "Stopped");
    CHECK(s.state().exit_code() == 137);
}

TEST_CASE("a process that exits on its own: Exited with its code; policy 'no' keeps it there") {
    harness::simulator sim;
    client cm(sim);
    kcm::types::Container c;
    c.set_name("oneshot");
    c.mutable_image()->set_name("busybox");
    c.mutable_config()->add_cmd("sh");
    c.mutable_config()->add_cmd("-c");
    c.mutable_config()->add_cmd("echo \"hello $GREETING\"; exit 0");
    c.mutable_config()->add_env("GREETING=world");
    c.mutable_host_config()->mutable_restart_policy()->set_type("no");
    const auto id = cm.create(c).id();
    REQUIRE(cm.start(id).ok());
    REQUIRE(harness::eventually([&] { return cm.must_get(id).state().status() == "Exited"; }));
    CHECK(cm.must_get(id).state().exit_code() == 0);
    CHECK(cm.must_get(id).restart_count() == 0);

    kcm::svc::GetLogsRequest req;
    req.set_id(id);
    req.set_tail(-1);
    auto ctx = rpc_context();
    auto reader = cm.stub->Logs(ctx.get(), req);
    kcm::svc::GetLogsResponse msg;
    std::string all;
    while (reader->Read(&msg)) all += msg.log();
    REQUIRE(reader->Finish().ok());
    CHECK(all == "hello world\n");
}

TEST_CASE("the remaining RPCs: ListStream, Restart, Logs, Attach, ProjectInfo") {
    harness::simulator sim;
    client cm(sim);
    const auto id = cm.create("idle", "busybox").id();

    {
        auto ctx = rpc_context();
        auto reader = cm.stub->ListStream(ctx.get(), {});
        kcm::svc::ListContainerMessage m;
        CHECK_FALSE(reader->Read(&m));
        CHECK(reader->Finish().ok());
    }
    {
        kcm::svc::RestartContainerRequest req;
        req.set_id(id);
        auto st = cm.stub->Restart(rpc_context().get(), req, &cm.empty);
        CHECK(st.error_code() == grpc::StatusCode::INTERNAL);
        CHECK(st.error_message() == "grpc: error while marshaling: proto: Marshal called with nil");
    }
    {
        kcm::svc::GetLogsRequest req;
        req.set_id(id);
        auto ctx = rpc_context();
        auto reader = cm.stub->Logs(ctx.get(), req);
        kcm::svc::GetLogsResponse m;
        while (reader->Read(&m)) {
        }
        check_error(reader->Finish(), "there are no logs for container with status \"Created\"");
    }
    {
        auto ctx = rpc_context();
        auto stream = cm.stub->Attach(ctx.get());
        kcm::svc::AttachContainerRequest req;
        req.set_id("nope");
        REQUIRE(stream->Write(req));
        stream->WritesDone();
        kcm::svc::AttachContainerResponse resp;
        REQUIRE(stream->Read(&resp));
        CHECK(resp.read_data() == "no such container with id = nope exists\r\n");
        check_error(stream->Finish(), "no such container with id = nope exists");
    }
    {
        REQUIRE(cm.start(id).ok());
        auto ctx = rpc_context();
        auto stream = cm.stub->Attach(ctx.get());
        kcm::svc::AttachContainerRequest req;
        req.set_id(id);
        REQUIRE(stream->Write(req));
        kcm::svc::AttachContainerResponse resp;
        REQUIRE(stream->Read(&resp));
        CHECK(resp.id() == id);
        auto st = cm.stop(id);  // the stream ends with the container's process
        REQUIRE_MESSAGE(st.ok(), st.error_message() << "\n" << sim.log());
        stream->WritesDone();
        while (stream->Read(&resp)) {
        }
        CHECK(stream->Finish().ok());
    }
    {
        auto stub = kcm::sysinfo::SystemInfo::NewStub(sim.channel());
        kcm::sysinfo::ProjectInfoResponse resp;
        REQUIRE(stub->ProjectInfo(rpc_context().get(), {}, &resp).ok());
        CHECK(resp.project_info().api_version() == "1.0.0");
        CHECK(resp.project_info().project_version() == "1.0.0");
    }
}

TEST_CASE("stopping the simulator kills its containers' processes") {
    std::int64_t pid = 0;
    {
        harness::simulator sim;
        client cm(sim);
        const auto id = cm.create("victim", "busybox").id();
        REQUIRE(cm.start(id).ok());
        pid = cm.must_get(id).state().pid();
        REQUIRE(process_alive(pid));
        sim.stop();
    }
    CHECK(harness::eventually([&] { return !process_alive(pid); }));
}

TEST_CASE("a second simulator on the same socket refuses to start and leaves the first one serving") {
    harness::simulator sim;
    harness::temp_dir dir;
    harness::child_process second({harness::find_program("KANTO_CM_SIM", "kanto-cm-sim"), "--socket",
                                   sim.socket().string(), "--home", (dir.path() / "home").string()},
                                  dir.path() / "second.log");
    REQUIRE(harness::eventually([&] { return !second.alive(); }, 15000ms));
    const int status = second.stop();
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 1);
    CHECK(harness::read_file(dir.path() / "second.log").find("is served by another kanto-cm-sim") !=
          std::string::npos);
    client cm(sim);
    kcm::svc::ListContainersResponse resp;
    CHECK(cm.stub->List(rpc_context().get(), {}, &resp).ok());
}

namespace {

// Whether `pid` is PID 1 of a PID namespace of its own (NSpid has a second entry, 1).
bool pid_one_of_own_namespace(std::int64_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("NSpid:", 0) != 0) continue;
        std::istringstream fields(line.substr(6));
        std::vector<long> ids;
        for (long v; fields >> v;) ids.push_back(v);
        return ids.size() >= 2 && ids.back() == 1;
    }
    return false;
}

std::string first_line(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::string line;
    std::getline(in, line);
    return line;
}

}  // namespace

TEST_CASE("as root, a container's process is PID 1 of its own namespaces: a PID-1 sleep ignores SIGTERM") {
    harness::simulator sim;
    client cm(sim);
    const auto id = cm.create("sleeper", "docker.io/library/alpine:3", {"sleep", "3600"}).id();
    REQUIRE(cm.start(id).ok());
    const auto pid = cm.must_get(id).state().pid();
    if (!pid_one_of_own_namespace(pid)) {
        MESSAGE("skipped: the simulator runs containers without namespaces here (not root?): " << sim.log());
        return;
    }
    // Its own hostname (UTS namespace) and its own /proc.
    CHECK(std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/ns/uts") !=
          std::filesystem::read_symlink("/proc/self/ns/uts"));
    CHECK(std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/ns/mnt") !=
          std::filesystem::read_symlink("/proc/self/ns/mnt"));

    // The kernel drops SIGTERM for a PID 1 without a handler: Kanto-CM's stop times out with its text.
    kcm::types::StopOptions term;
    term.set_timeout(1);
    term.set_signal("SIGTERM");
    check_error(cm.stop(id, &term), "could not stop container with ID = " + id + " with SIGTERM");
    CHECK(cm.must_get(id).state().status() == "Running");
    CHECK(process_alive(pid));
    // Forced, it ends with SIGKILL after the timeout.
    term.set_force(true);
    REQUIRE(cm.stop(id, &term).ok());
    CHECK(cm.must_get(id).state().exit_code() == 137);
    CHECK(harness::eventually([&] { return !process_alive(pid); }));
}

TEST_CASE("the recording's busybox image traps SIGTERM: 0.5 s later it exits 0, so no exit code") {
    harness::simulator sim;
    client cm(sim);
    const auto id = cm.create("plain", "docker.io/library/busybox-local:latest").id();
    REQUIRE(cm.start(id).ok());
    REQUIRE(cm.stop(id).ok());
    const auto stopped = cm.must_get(id);
    CHECK(stopped.state().status() == "Stopped");
    CHECK(stopped.state().exit_code() == 0);
    // Any other image without a host command ends on SIGTERM with 128 + 15, as before.
    const auto other = cm.create("other", "docker.io/library/nginx:1.25").id();
    REQUIRE(cm.start(other).ok());
    REQUIRE(cm.stop(other).ok());
    CHECK(cm.must_get(other).state().exit_code() == 143);
}

TEST_CASE("as root, each container has its own cgroup: memory limit, pids, synchronous Pause") {
    harness::simulator sim;
    client cm(sim);
    kcm::types::Container c;
    c.set_name("limited");
    c.mutable_image()->set_name("docker.io/library/nginx:1.25");
    c.mutable_host_config()->mutable_resources()->set_memory("100M");
    const auto id = cm.create(c).id();
    REQUIRE(cm.start(id).ok());
    const auto pid = cm.must_get(id).state().pid();
    const auto memory = cgroup_dir(pid, "memory");
    if (memory.empty()) {
        MESSAGE("skipped: no cgroup per container here (not root?): " << sim.log());
        return;
    }
    INFO(harness::read_file("/proc/" + std::to_string(pid) + "/cgroup"));
    CHECK(memory.string().find(id) != std::string::npos);
    const auto limit_file =
        std::filesystem::exists(memory / "memory.max") ? "memory.max" : "memory.limit_in_bytes";
    CHECK(first_line(memory / limit_file) == "104857600");
    if (const auto pids = cgroup_dir(pid, "pids"); !pids.empty())
        CHECK(first_line(pids / "pids.current") == "1");

    // Frozen when Pause returns, running again when Unpause returns: no waiting.
    REQUIRE(cm.pause(id).ok());
    CHECK(frozen(pid));
    REQUIRE(cm.unpause(id).ok());
    CHECK_FALSE(frozen(pid));

    // Update changes the limit of the running container; a paused one stops with its signal.
    kcm::types::UpdateOptions up;
    up.mutable_resources()->set_memory("200M");
    REQUIRE(cm.update(id, up).ok());
    CHECK(first_line(memory / limit_file) == "209715200");
    REQUIRE(cm.pause(id).ok());
    REQUIRE(cm.stop(id).ok());
    CHECK(cm.must_get(id).state().exit_code() == 143);
    REQUIRE(cm.remove(id, true).ok());
    CHECK(harness::eventually([&] { return !std::filesystem::exists(memory); }));
}

TEST_CASE("a restarted simulator reloads its containers and applies their restart policies") {
    harness::simulator sim;
    client cm(sim);
    kcm::types::Container always;
    always.set_name("always");
    always.mutable_image()->set_name("docker.io/library/nginx:1.25");
    always.mutable_host_config()->mutable_restart_policy()->set_type("always");
    const auto always_id = cm.create(always).id();
    REQUIRE(cm.start(always_id).ok());
    const auto old_pid = cm.must_get(always_id).state().pid();
    kcm::types::Container once = always;
    once.set_name("once");
    once.mutable_host_config()->mutable_restart_policy()->set_type("no");
    const auto once_id = cm.create(once).id();
    REQUIRE(cm.start(once_id).ok());
    const auto created_id = cm.create("created-only", "localhost:5000/app:1.0").id();

    // Killed: its containers' processes die with it (as if the machine lost power under Kanto-CM).
    sim.restart(SIGKILL);
    client again(sim);
    INFO(sim.log());
    // The channel's first call may still fail on the connection to the previous simulator.
    REQUIRE(harness::eventually([&] {
        kcm::svc::ListContainersResponse resp;
        return again.stub->List(rpc_context().get(), {}, &resp).ok() && resp.containers_size() == 3;
    }));
    // The processes died with the simulator: reported exited, and the policy restarts "always".
    CHECK(harness::eventually([&] { return again.must_get(always_id).state().status() == "Running"; }));
    const auto restarted = again.must_get(always_id);
    CHECK(restarted.state().pid() != old_pid);
    CHECK(process_alive(restarted.state().pid()));
    CHECK(restarted.restart_count() == 1);
    const auto exited = again.must_get(once_id);
    CHECK(exited.state().status() == "Exited");
    CHECK(exited.state().error() == "the container's task was lost while the simulator was down");
    CHECK(again.must_get(created_id).state().status() == "Created");
    CHECK(again.must_get(created_id).name() == "created-only");

    // Stopped gracefully, it stops its containers first; they are all still there after a restart.
    sim.restart();
    REQUIRE(harness::eventually([&] {
        kcm::svc::ListContainersResponse resp;
        return again.stub->List(rpc_context().get(), {}, &resp).ok() && resp.containers_size() == 3;
    }));
    CHECK(again.must_get(always_id).state().status() == "Stopped");
    CHECK(again.must_get(created_id).state().status() == "Created");
}
