// Container processes: real children of the simulator, each the leader of its own process group so
// signals reach everything it starts. All forks happen on one long-lived thread, because
// PR_SET_PDEATHSIG fires when the *forking thread* ends: the children die with the simulator even if
// it is SIGKILLed, but not when a gRPC worker thread is retired.
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
};

struct spawned {
    pid_t pid = -1;
    int pidfd = -1;     // readable when the process ends
    std::string error;  // non-empty when the spawn failed
};

// The command a container runs: its cmd when cmd[0] is an executable on this host (absolute, or
// found on PATH), else a process that sleeps until signalled.
std::vector<std::string> resolve_command(const std::vector<std::string>& cmd);

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

// Signals the whole process group led by `pid` (falls back to the pid alone).
void signal_group(pid_t pid, int sig);

// Exit code in the runc convention: the status, or 128 + signal.
int exit_code_of(int wait_status);

}  // namespace sim
