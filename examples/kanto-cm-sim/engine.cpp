#include "engine.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <random>

#include <fmt/format.h>
#include <google/protobuf/util/message_differencer.h>

#include "restart_policy.hpp"
#include "rfc3339.hpp"
#include "sizes.hpp"
#include "uuid.hpp"

extern char** environ;

namespace sim {
namespace {

std::string not_found(const std::string& id) {
    return fmt::format("no such container with id = {} exists", id);
}

// What containerd reports for an image that cannot be pulled: a refused connection for an explicit
// host:port registry, else an unresolvable reference.
std::string pull_error(const std::string& image) {
    const auto slash = image.find('/');
    const auto registry = slash == std::string::npos ? std::string() : image.substr(0, slash);
    if (registry.find(':') == std::string::npos) {
        return fmt::format("failed to resolve reference \"{}\": object required", image);
    }
    auto repo = image.substr(slash + 1);
    std::string tag = "latest";
    if (const auto colon = repo.rfind(':'); colon != std::string::npos) {
        tag = repo.substr(colon + 1);
        repo.resize(colon);
    }
    return fmt::format(
        "failed to resolve reference \"{}\": failed to do request: Head \"http://{}/v2/{}/manifests/{}\": "
        "dial tcp {}: connect: connection refused",
        image, registry, repo, tag, registry);
}

std::string now_text() {
    return rfc3339_nano(std::chrono::system_clock::now());
}

bool is_running_or_paused(const kcm::types::Container& c) {
    return c.state().status() == "Running" || c.state().status() == "Paused";
}

bool same(const google::protobuf::Message& a, const google::protobuf::Message& b) {
    return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

std::optional<std::int64_t> memory_limit(const kcm::types::Container& c) {
    if (!c.host_config().has_resources() || c.host_config().resources().memory().empty()) return std::nullopt;
    return kanto::parse_size(c.host_config().resources().memory());
}

}  // namespace

struct engine::record {
    kcm::types::Container c;
    pid_t pid = 0;  // live process, 0 when none
    int pidfd = -1;
    bool stopping = false;  // a Stop/Remove is signalling the process and waits for its end
    int last_exit = 0;      // exit code of the process that ended last
    bool restart_pending = false;
    clock::time_point restart_at{};
    std::chrono::milliseconds backoff{0};
    clock::time_point started{};
};

engine::engine(engine_options options)
    : options_(std::move(options)),
      files_(options_.home),
      wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (options_.isolate) cgroups_ = std::make_unique<cgroups>();
    restore();
    supervisor_ = std::thread([this] { supervise(); });
}

engine::~engine() {
    shutdown();
}

std::shared_ptr<engine::record> engine::find(const std::string& id) const {
    auto it = records_.find(id);
    return it == records_.end() ? nullptr : it->second;
}

void engine::wake() {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
}

void engine::persist(const record& r) {
    // Failures are not fatal for a simulator; the gRPC state stays the truth.
    if (auto e = files_.write(r.c); !e.empty()) fmt::print(stderr, "kanto-cm-sim: {}\n", e);
}

void engine::restore() {
    for (auto& c : files_.load(restore_problems_)) {
        if (c.state().status() == "Dead") {
            files_.remove(c.id());
            continue;
        }
        auto r = std::make_shared<record>();
        r->c = std::move(c);
        records_[r->c.id()] = r;
        if (is_running_or_paused(r->c)) {
            // Its process belonged to an earlier simulator: like a daemon whose task is gone.
            set_ended(*r, "Exited");
            r->c.mutable_state()->set_error("the container's task was lost while the simulator was down");
            persist(*r);
            evaluate_policy(*r, false);
        }
    }
}

create_outcome engine::create(kcm::types::Container c) {
    create_outcome out;
    {
        std::lock_guard lock(mu_);
        if (!c.id().empty() && records_.count(c.id()) != 0) {
            out.error = fmt::format("container with id = {} already exists", c.id());
            return out;
        }
    }
    kanto::apply_create_defaults(c, new_uuid());
    if (out.error = kanto::validate_container(c); !out.error.empty()) return out;

    const auto& image = c.image().name();
    for (const auto& [text, delay] : options_.pull_delay) {
        if (image.find(text) != std::string::npos) std::this_thread::sleep_for(delay);
    }
    for (const auto& text : options_.fail_pull) {
        if (image.find(text) != std::string::npos) {
            out.error = pull_error(image);
            return out;
        }
    }

    auto* state = c.mutable_state();
    state->Clear();
    state->set_status("Created");
    state->set_pid(-1);
    c.set_created(now_text());

    std::lock_guard lock(mu_);
    if (records_.count(c.id()) != 0) {  // created meanwhile by a concurrent call with the same id
        out.error = fmt::format("container with id = {} already exists", c.id());
        return out;
    }
    auto r = std::make_shared<record>();
    r->c = std::move(c);
    records_[r->c.id()] = r;
    persist(*r);
    out.container = r->c;
    return out;
}

std::optional<kcm::types::Container> engine::get(const std::string& id) const {
    std::lock_guard lock(mu_);
    auto r = find(id);
    if (!r) return std::nullopt;
    return r->c;
}

std::vector<kcm::types::Container> engine::list() const {
    std::vector<kcm::types::Container> out;
    {
        std::lock_guard lock(mu_);
        out.reserve(records_.size());
        for (const auto& [id, r] : records_) out.push_back(r->c);
    }
    thread_local std::mt19937 gen{std::random_device{}()};
    std::shuffle(out.begin(), out.end(), gen);
    return out;
}

void engine::set_running(record& r) {
    auto* s = r.c.mutable_state();
    s->set_status("Running");
    s->set_running(true);
    s->set_paused(false);
    s->set_exited(false);
    s->set_dead(false);
    s->set_restarting(false);
    s->set_pid(r.pid);
    s->set_exit_code(0);
    s->set_started_at(now_text());
    s->clear_error();
    s->set_oomkilled(false);
    const auto dir = files_.container_dir(r.c.id());
    r.c.set_resolv_conf_path((dir / "resolv.conf").string());
    r.c.set_hosts_path((dir / "hosts").string());
    r.c.set_hostname_path((dir / "hostname").string());
    auto* net = r.c.mutable_network_settings();
    const bool host_mode = r.c.host_config().network_mode() == "host";
    auto& ep = (*net->mutable_networks())[host_mode ? "host" : "bridge"];
    ep.set_id(fmt::format("sim-endpoint-{}", r.pid));
    if (!host_mode) {
        ep.set_gateway("172.17.0.1");
        ep.set_ip_address(fmt::format("172.17.{}.{}", (r.pid >> 8) & 0xff, (r.pid & 0xff) | 2));
    }
    ep.set_network_id("sim-network");
    net->set_sandbox_id(fmt::format("sim-sandbox-{}", r.pid));
}

void engine::set_ended(record& r, const char* status) {
    auto* s = r.c.mutable_state();
    s->set_status(status);
    s->set_running(false);
    s->set_paused(false);
    s->set_exited(std::string_view(status) == "Exited");
    s->set_pid(-1);
    s->set_exit_code(r.last_exit);
    s->set_finished_at(now_text());
    s->clear_error();
    r.c.clear_network_settings();
}

std::string engine::do_start(record& r, bool by_user) {
    const auto image_has = [&](const std::vector<std::string>& texts) {
        return std::any_of(texts.begin(), texts.end(),
                           [&](const auto& t) { return r.c.image().name().find(t) != std::string::npos; });
    };
    spawn_spec spec;
    spec.ignore_sigterm = image_has(options_.ignore_sigterm);
    std::vector<std::string> stand_in;
    if (!options_.stand_in.empty()) {
        stand_in = {options_.stand_in.string(), spec.ignore_sigterm                 ? "term-ignored"
                                                : image_has(options_.graceful_term) ? "term-graceful"
                                                                                    : "term-exits"};
    }
    spec.argv = resolve_command({r.c.config().cmd().begin(), r.c.config().cmd().end()}, stand_in);
    spec.hold_stop_signals = !stand_in.empty() && spec.argv == stand_in;
    for (char** e = environ; *e != nullptr; ++e) spec.env.emplace_back(*e);
    for (const auto& e : r.c.config().env()) {
        const auto name = e.substr(0, e.find('='));
        std::erase_if(spec.env, [&](const std::string& x) { return x.substr(0, x.find('=')) == name; });
        spec.env.push_back(e.find('=') == std::string::npos ? e + "=" : e);
    }
    std::error_code ec;
    std::filesystem::create_directories(files_.container_dir(r.c.id()), ec);
    spec.output_path = (files_.container_dir(r.c.id()) / "output.log").string();
    std::string cgroup_error;
    if (options_.isolate) {
        spec.isolate = true;
        spec.hostname = r.c.host_name();
        if (cgroups_->enabled())
            spec.cgroup_procs = cgroups_->prepare(r.c.id(), memory_limit(r.c), cgroup_error);
    }

    spawned s{-1, -1, cgroup_error};
    if (cgroup_error.empty()) s = spawner_.spawn(spec);  // the spawner thread never takes mu_: safe
    if (!s.error.empty()) {
        set_ended(r, "Stopped");
        r.c.mutable_state()->set_error(s.error);
        persist(r);
        return s.error;
    }
    r.pid = s.pid;
    r.pidfd = s.pidfd;
    r.started = clock::now();
    by_pidfd_[s.pidfd] = find(r.c.id());
    set_running(r);
    if (by_user) {
        r.c.set_restart_count(0);
        r.c.set_manually_stopped(false);
    }
    persist(r);
    wake();
    return {};
}

void engine::cancel_pending_restart(record& r) {
    if (!r.restart_pending) return;
    r.restart_pending = false;
    set_ended(r, "Stopped");
    r.c.mutable_state()->set_error("container's restart manager is canceled");
    persist(r);
}

void engine::evaluate_policy(record& r, bool manual_stop) {
    if (shutting_down_ || r.restart_pending || !r.c.host_config().has_restart_policy()) return;
    if (!should_restart(r.c.host_config().restart_policy(), r.c.state().exit_code(), manual_stop,
                        r.c.restart_count())) {
        return;
    }
    r.c.set_restart_count(r.c.restart_count() + 1);
    const auto ran_for = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - r.started);
    r.backoff = next_backoff(r.backoff, ran_for, r.c.host_config().restart_policy().retry_timeout());
    r.restart_pending = true;
    r.restart_at = clock::now() + r.backoff;
    persist(r);
    wake();
}

std::string engine::start(const std::string& id) {
    std::lock_guard lock(mu_);
    auto r = find(id);
    if (!r) return not_found(id);
    if (shutting_down_) return "the simulator is shutting down";
    const auto& status = r->c.state().status();
    if (status == "Paused") {
        return fmt::format(
            "the container with id = {} is paused - cannot start it - try unpausing it instead", id);
    }
    if (status == "Running") return fmt::format("the container with id = {} is already running", id);
    if (status == "Dead") return fmt::format("the container with id = {} is dead - cannot start it", id);
    for (const auto& text : options_.fail_start) {
        if (r->c.image().name().find(text) == std::string::npos) continue;
        return fmt::format(
            "failed to start container with id = {}: exec: \"/entrypoint\": stat /entrypoint: no such file "
            "or "
            "directory",
            id);
    }
    cancel_pending_restart(*r);
    return do_start(*r, true);
}

std::string engine::stop_process(record& r, const kanto::stop_plan& plan,
                                 std::unique_lock<std::mutex>& lock) {
    const auto gone_within = [&](std::int64_t seconds) {
        return changed_.wait_for(lock, std::chrono::seconds(seconds), [&] { return r.pid == 0; });
    };
    r.stopping = true;
    const bool paused = r.c.state().status() == "Paused";
    if (plan.signal != SIGKILL) {
        signal_group(r.pid, plan.signal);
        if (paused) freeze(r, false);  // a paused process cannot act on the signal
        if (!gone_within(plan.timeout_seconds) && !plan.force) {
            r.stopping = false;
            return fmt::format("could not stop container with ID = {} with {}", r.c.id(), plan.signal_name);
        }
    }
    if (r.pid != 0) {
        signal_group(r.pid, SIGKILL);
        if (paused) freeze(r, false);  // a v1-frozen process does not even die
        if (!gone_within(plan.timeout_seconds)) {
            r.stopping = false;
            return fmt::format("could not stop container with ID = {} with SIGKILL", r.c.id());
        }
    }
    r.stopping = false;
    return {};
}

std::string engine::freeze(record& r, bool frozen) {
    if (cgroups_ && cgroups_->can_freeze())
        return frozen ? cgroups_->freeze(r.c.id()) : cgroups_->thaw(r.c.id());
    signal_group(r.pid, frozen ? SIGSTOP : SIGCONT);
    return {};
}

std::string engine::stop(const std::string& id, const kcm::types::StopOptions* options) {
    std::unique_lock lock(mu_);
    auto r = find(id);
    if (!r) return not_found(id);
    const auto plan = kanto::resolve_stop_options(options, options_.default_stop_timeout, false);
    if (!plan.error.empty()) return plan.error;
    if (!is_running_or_paused(r->c)) {
        return fmt::format("cannot perform stop operation for container: {}, with state: {}", id,
                           r->c.state().status());
    }
    if (auto e = stop_process(*r, plan, lock); !e.empty()) return e;
    if (find(id) != r) return {};  // removed while we waited
    set_ended(*r, "Stopped");
    r->c.set_manually_stopped(true);
    persist(*r);
    evaluate_policy(*r, true);
    return {};
}

std::string engine::pause(const std::string& id) {
    std::lock_guard lock(mu_);
    auto r = find(id);
    if (!r) return not_found(id);
    if (r->c.state().status() != "Running") {
        return fmt::format("container with id = {} is not running - current status is {}", id,
                           r->c.state().status());
    }
    if (auto e = freeze(*r, true); !e.empty()) return e;  // done when the call returns, as with containerd
    auto* s = r->c.mutable_state();
    s->set_status("Paused");
    s->set_running(false);
    s->set_paused(true);
    persist(*r);
    return {};
}

std::string engine::unpause(const std::string& id) {
    std::lock_guard lock(mu_);
    auto r = find(id);
    if (!r) return not_found(id);
    if (r->c.state().status() != "Paused") {
        return fmt::format("container id = {} is not paused - cannot unpause it ", id);
    }
    if (auto e = freeze(*r, false); !e.empty()) return e;
    auto* s = r->c.mutable_state();
    s->set_status("Running");
    s->set_running(true);
    s->set_paused(false);
    persist(*r);
    return {};
}

std::string engine::rename(const std::string& id, const std::string& name) {
    std::lock_guard lock(mu_);
    auto r = find(id);
    if (!r) return not_found(id);
    if (name.empty() || name == r->c.name()) return {};
    if (!kanto::valid_container_name(name)) return fmt::format("invalid container name format : {}", name);
    r->c.set_name(name);
    persist(*r);
    return {};
}

std::string engine::update(const std::string& id, const kcm::types::UpdateOptions* options) {
    std::lock_guard lock(mu_);
    auto r = find(id);
    if (!r) return not_found(id);
    if (options == nullptr) return {};
    if (options->has_restart_policy()) {
        if (auto e = kanto::validate_restart_policy(options->restart_policy()); !e.empty()) return e;
    }
    if (options->has_resources()) {
        if (auto e = kanto::validate_resources(options->resources()); !e.empty()) return e;
    }
    auto* hc = r->c.mutable_host_config();
    bool changed = false;
    bool policy_changed = false;
    if (options->has_restart_policy() && !same(options->restart_policy(), hc->restart_policy())) {
        *hc->mutable_restart_policy() = options->restart_policy();
        changed = policy_changed = true;
    }
    if (options->has_resources()) {
        const auto& res = options->resources();
        const bool all_empty =
            res.memory().empty() && res.memory_reservation().empty() && res.memory_swap().empty();
        if (all_empty) {
            if (hc->has_resources()) {
                hc->clear_resources();
                changed = true;
            }
        } else if (!hc->has_resources() || !same(res, hc->resources())) {
            *hc->mutable_resources() = res;
            changed = true;
        }
    }
    if (!changed) return {};
    if (cgroups_ && cgroups_->enabled()) {
        if (auto e = cgroups_->set_memory_limit(id, memory_limit(r->c)); !e.empty())
            fmt::print(stderr, "kanto-cm-sim: {}\n", e);
    }
    persist(*r);
    if (policy_changed) {
        cancel_pending_restart(*r);
        r->backoff = std::chrono::milliseconds{0};
        const auto& status = r->c.state().status();
        if (status == "Stopped" || status == "Exited") evaluate_policy(*r, r->c.manually_stopped());
    }
    return {};
}

std::string engine::remove(const std::string& id, bool force, const kcm::types::StopOptions* options) {
    std::unique_lock lock(mu_);
    auto r = find(id);
    if (!r) return not_found(id);
    if (is_running_or_paused(r->c) && !force) {
        return fmt::format(
            "container with id = {} is not stopped - must set the force flag to true to remove it", id);
    }
    const auto plan = kanto::resolve_stop_options(options, options_.default_stop_timeout, force);
    if (!plan.error.empty()) return plan.error;
    cancel_pending_restart(*r);
    if (r->pid != 0) {
        if (auto e = stop_process(*r, plan, lock); !e.empty()) return e;
        if (find(id) != r) return {};  // removed by a concurrent call while we waited
    }
    // Like the daemon: no Stopped state in between; Dead keeps the last pid, times and exit code.
    r->restart_pending = false;
    auto* s = r->c.mutable_state();
    s->set_status("Dead");
    s->set_dead(true);
    s->set_running(false);
    s->set_paused(false);
    persist(*r);
    records_.erase(id);
    files_.remove(id);
    if (cgroups_) cgroups_->remove(id);
    return {};
}

logs_outcome engine::logs(const std::string& id, int tail) const {
    logs_outcome out;
    std::filesystem::path file;
    {
        std::lock_guard lock(mu_);
        auto r = find(id);
        if (!r) {
            out.error = not_found(id);  // the real daemon crashes here (kanto-cm-grpc.md §3.7)
            return out;
        }
        if (r->c.state().status() == "Created") {
            out.error = "there are no logs for container with status \"Created\"";
            return out;
        }
        if (r->c.host_config().log_config().driver_config().type() == "none") {
            out.error = fmt::format("there are not any logs for container {} with log type none", id);
            return out;
        }
        file = files_.container_dir(id) / "output.log";
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        out.error = fmt::format("log file not found {}", file.string());
        return out;
    }
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(std::move(line));
    if (tail < 0) {
        constexpr std::size_t batch_limit = 3 * 1024 * 1024;
        std::string batch;
        for (const auto& l : lines) {
            if (!batch.empty() && batch.size() + l.size() + 1 > batch_limit)
                out.messages.push_back(std::exchange(batch, {}));
            batch += l;
            batch += '\n';
        }
        out.messages.push_back(std::move(batch));  // a final message is always sent, even ""
        return out;
    }
    // Kanto's quirk: asking for at least as many lines as the file has drops its first line.
    std::size_t first = lines.size() > static_cast<std::size_t>(tail) ? lines.size() - tail : 1;
    for (std::size_t i = first; i < lines.size(); ++i) out.messages.push_back(lines[i]);
    return out;
}

void engine::on_process_end(int pidfd) {
    auto it = by_pidfd_.find(pidfd);
    if (it == by_pidfd_.end()) return;
    auto r = it->second;
    by_pidfd_.erase(it);
    int status = 0;
    while (::waitpid(r->pid, &status, 0) < 0 && errno == EINTR) {
    }
    ::close(pidfd);
    r->pid = 0;
    r->pidfd = -1;
    r->last_exit = exit_code_of(status);
    changed_.notify_all();
    if (r->stopping || find(r->c.id()) != r) return;  // a Stop/Remove finishes the transition
    set_ended(*r, "Exited");
    persist(*r);
    evaluate_policy(*r, false);
}

void engine::run_due_restarts() {
    const auto now = clock::now();
    for (auto& [id, r] : records_) {
        if (!r->restart_pending || r->restart_at > now) continue;
        r->restart_pending = false;
        const auto& status = r->c.state().status();
        if (status == "Exited" || status == "Stopped") do_start(*r, false);
    }
}

void engine::supervise() {
    std::vector<pollfd> fds;
    for (;;) {
        int timeout_ms = 1000;
        {
            std::lock_guard lock(mu_);
            if (supervisor_done_) return;
            fds.assign(1, pollfd{wake_fd_, POLLIN, 0});
            for (const auto& [fd, r] : by_pidfd_) fds.push_back(pollfd{fd, POLLIN, 0});
            const auto now = clock::now();
            for (const auto& [id, r] : records_) {
                if (!r->restart_pending) continue;
                const auto ms = std::chrono::ceil<std::chrono::milliseconds>(r->restart_at - now).count();
                timeout_ms = static_cast<int>(std::clamp<long long>(ms, 0, timeout_ms));
            }
        }
        ::poll(fds.data(), fds.size(), timeout_ms);
        std::uint64_t drained = 0;
        [[maybe_unused]] auto n = ::read(wake_fd_, &drained, sizeof drained);
        std::lock_guard lock(mu_);
        for (std::size_t i = 1; i < fds.size(); ++i) {
            if (fds[i].revents != 0) on_process_end(fds[i].fd);
        }
        if (!shutting_down_) run_due_restarts();
    }
}

void engine::shutdown() {
    std::unique_lock lock(mu_);
    if (supervisor_done_) return;
    shutting_down_ = true;
    for (auto& [id, r] : records_) {
        r->restart_pending = false;
        if (r->pid == 0) continue;
        r->stopping = true;
        signal_group(r->pid, SIGTERM);
        if (r->c.state().status() == "Paused") freeze(*r, false);
    }
    const auto all_gone = [&] { return by_pidfd_.empty(); };
    if (!changed_.wait_for(lock, std::chrono::seconds(2), all_gone)) {
        for (auto& [fd, r] : by_pidfd_) signal_group(r->pid, SIGKILL);
        changed_.wait_for(lock, std::chrono::seconds(5), all_gone);
    }
    for (auto& [id, r] : records_) {
        if (cgroups_) cgroups_->remove(id);  // made again when the container starts
        if (!r->stopping) continue;
        r->stopping = false;
        set_ended(*r, "Stopped");
        persist(*r);
    }
    supervisor_done_ = true;
    wake();
    lock.unlock();
    if (supervisor_.joinable()) supervisor_.join();
    ::close(wake_fd_);
}

}  // namespace sim
