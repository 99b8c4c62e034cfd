// The simulated Kanto-CM: container store and state machine (kanto-cm-grpc.md §3-§8) over real child
// processes. Thread-safe: gRPC handlers call it from any thread. One supervisor thread reaps ended
// processes (pidfds) and runs restart-policy back-off timers.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cgroups.hpp"
#include "container_rules.hpp"
#include "kanto_cm_types.hpp"
#include "process.hpp"
#include "state_files.hpp"

namespace sim {

struct engine_options {
    std::filesystem::path home;
    std::int64_t default_stop_timeout = 30;  // manager.default_ctrs_stop_timeout
    // Images whose name contains one of these fail to "pull" on Create.
    std::vector<std::string> fail_pull{"pull-fails", "127.0.0.1:1/"};
    // Images whose name contains one of these fail to start (like an image without its entrypoint).
    std::vector<std::string> fail_start{"start-fails"};
    // Containers of images whose name contains one of these ignore SIGTERM (like a container's PID 1
    // without signal handlers): only a forced stop ends them.
    std::vector<std::string> ignore_sigterm;
    // Images whose name contains the text take this long to "pull" on Create.
    std::vector<std::pair<std::string, std::chrono::milliseconds>> pull_delay;
    // kanto-cm-sim-process: what a container runs when its cmd is not a host executable (empty:
    // `sleep infinity`, which ends on SIGTERM only outside a PID namespace).
    std::filesystem::path stand_in;
    // Containers of images whose name contains one of these run it in term-graceful mode (SIGTERM:
    // 0.5 s, then exit 0), like the busybox image of the recorded conformance scenario.
    std::vector<std::string> graceful_term{"busybox-local"};
    // Each container's process is PID 1 of its own namespaces and in its own cgroups (root only).
    bool isolate = false;
};

struct create_outcome {
    std::string error;  // "" on success
    kcm::types::Container container;
};

struct logs_outcome {
    std::string error;
    std::vector<std::string> messages;
};

class engine {
  public:
    explicit engine(engine_options options);
    ~engine();
    engine(const engine&) = delete;
    engine& operator=(const engine&) = delete;

    // Every operation returns "" on success or Kanto-CM's error text (sent as gRPC UNKNOWN).
    create_outcome create(kcm::types::Container request);
    std::optional<kcm::types::Container> get(const std::string& id) const;
    std::vector<kcm::types::Container> list() const;  // in random order, like the real daemon
    std::string start(const std::string& id);
    std::string stop(const std::string& id, const kcm::types::StopOptions* options);
    std::string pause(const std::string& id);
    std::string unpause(const std::string& id);
    std::string rename(const std::string& id, const std::string& name);
    std::string update(const std::string& id, const kcm::types::UpdateOptions* options);
    std::string remove(const std::string& id, bool force, const kcm::types::StopOptions* options);
    logs_outcome logs(const std::string& id, int tail) const;

    // Stops every container (SIGTERM, then SIGKILL) and ends the supervisor; idempotent.
    void shutdown();
    // Why containers are not in their own cgroups ("" when they are, or when not isolated).
    std::string cgroups_disabled() const { return cgroups_ ? cgroups_->why_disabled() : std::string(); }
    // Messages about state files that could not be restored at start-up.
    const std::vector<std::string>& restore_problems() const { return restore_problems_; }

  private:
    struct record;
    using clock = std::chrono::steady_clock;

    std::shared_ptr<record> find(const std::string& id) const;
    std::string do_start(record& r, bool by_user);
    std::string stop_process(record& r, const kanto::stop_plan& plan, std::unique_lock<std::mutex>& lock);
    void set_running(record& r);
    void set_ended(record& r, const char* status);
    void cancel_pending_restart(record& r);
    void evaluate_policy(record& r, bool manual_stop);
    void persist(const record& r);
    void supervise();
    void on_process_end(int pidfd);
    void run_due_restarts();
    void wake();
    void restore();
    // Pause or resume the container's processes: the cgroup freezer when there is one (done when
    // it returns), else SIGSTOP / SIGCONT to the process group. "" or the freezer's error.
    std::string freeze(record& r, bool frozen);

    engine_options options_;
    std::unique_ptr<cgroups> cgroups_;  // with `isolate`
    state_files files_;
    spawner spawner_;
    mutable std::mutex mu_;
    std::condition_variable changed_;  // a process ended
    std::unordered_map<std::string, std::shared_ptr<record>> records_;
    std::unordered_map<int, std::shared_ptr<record>> by_pidfd_;
    std::vector<std::string> restore_problems_;
    bool shutting_down_ = false;
    bool supervisor_done_ = false;
    int wake_fd_ = -1;
    std::thread supervisor_;
};

}  // namespace sim
