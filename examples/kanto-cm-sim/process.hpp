// Container processes: real children of the simulator, each the leader of its own process group so
// signals reach everything it starts; as root, PID 1 of its own namespaces and in its own cgroups. All forks
// happen on one long-lived thread, because PR_SET_PDEATHSIG fires when the *forking thread* ends: the
// children die with the simulator even if it is SIGKILLed, but not when a gRPC worker thread is retired.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sim {

struct spawn_spec {
    std::vector<std::string> argv;  // argv[0] must be an executable path
    std::vector<std::string> env;   // full environment, NAME=value
    std::string output_path;        // stdout and stderr are appended here
    bool ignore_sigterm = false;    // start with SIGTERM ignored (inherited through exec)
    // Start with SIGTERM, SIGINT, SIGHUP and SIGQUIT blocked, for kanto-cm-sim-process, which
    // unblocks them once its handlers are in place: as PID 1 of a PID namespace, a stop signal
    // that came before would be dropped.
    bool hold_stop_signals = false;
    // PID 1 of new PID, mount (its own /proc), UTS (`hostname`) and IPC namespaces; needs root.
    bool isolate = false;
    std::string hostname;
    std::vector<std::string> cgroup_procs;  // cgroup.procs files the process joins before exec
};

struct spawned {
    pid_t pid = -1;
    int pidfd = -1;     // readable when the process ends
    std::string error;  // non-empty when the spawn failed
};

// The command a container runs: its cmd when cmd[0] is an executable on this host (absolute, or
// found on PATH), else `stand_in` (kanto-cm-sim-process with its mode), or, without one, a process
// that sleeps until signalled.
std::vector<std::string> resolve_command(const std::vector<std::string>& cmd,
                                         const std::vector<std::string>& stand_in = {});

class spawner {
  public:
    spawner();
    ~spawner();
    spawner(const spawner&) = delete;
    spawner& operator=(const spawner&) = delete;

    spawned spawn(const spawn_spec& spec);

  private:
    void run();

    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::packaged_task<spawned()>> tasks_;
    bool stopping_ = false;
    std::thread thread_;
};

// Why containers cannot get their own namespaces here ("" when they can): not root, or the
// kernel or a container around the simulator refuses new PID/mount/UTS/IPC namespaces.
std::string isolation_unavailable();

// Signals the whole process group led by `pid` (falls back to the pid alone).
void signal_group(pid_t pid, int sig);

// Exit code in the runc convention: the status, or 128 + signal.
int exit_code_of(int wait_status);

}  // namespace sim
