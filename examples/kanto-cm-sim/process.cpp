#include "process.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace sim {

std::vector<std::string> resolve_command(const std::vector<std::string>& cmd,
                                         const std::vector<std::string>& stand_in) {
    namespace fs = std::filesystem;
    auto executable = [](const fs::path& p) {
        return ::access(p.c_str(), X_OK) == 0 && !fs::is_directory(p);
    };
    if (!cmd.empty() && !cmd[0].empty()) {
        std::string found;
        if (cmd[0].find('/') != std::string::npos) {
            if (executable(cmd[0])) found = cmd[0];
        } else if (const char* path = std::getenv("PATH")) {
            std::string_view rest(path);
            while (found.empty() && !rest.empty()) {
                auto colon = rest.find(':');
                fs::path candidate = fs::path(std::string(rest.substr(0, colon))) / cmd[0];
                if (executable(candidate)) found = candidate.string();
                rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
            }
        }
        if (!found.empty()) {
            std::vector<std::string> argv = cmd;
            argv[0] = found;
            return argv;
        }
    }
    if (!stand_in.empty()) return stand_in;
    for (const char* sleep : {"/usr/bin/sleep", "/bin/sleep"}) {
        if (executable(sleep)) return {sleep, "infinity"};
    }
    return {"/bin/sh", "-c", "while :; do sleep 3600; done"};
}

spawner::spawner() : thread_([this] { run(); }) {}

spawner::~spawner() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
}

void spawner::run() {
    std::unique_lock lock(mu_);
    for (;;) {
        cv_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
        if (tasks_.empty()) return;
        auto task = std::move(tasks_.front());
        tasks_.pop_front();
        lock.unlock();
        task();
        lock.lock();
    }
}

namespace {

// What the child needs, prepared before fork/clone: it only makes syscalls.
struct child_args {
    std::vector<char*> argv, envp;
    std::vector<const char*> cgroup_procs;
    const char* hostname = nullptr;
    bool isolated = false;
    bool ignore_sigterm = false;
    bool hold_stop_signals = false;
    pid_t parent = 0;
    int in = -1, out = -1;
    int report = -1;  // close-on-exec: EOF tells the parent the exec happened, an errno that it failed
};

[[noreturn]] void fail_child(const child_args& a, int code) {
    const int err = errno;
    [[maybe_unused]] auto n = ::write(a.report, &err, sizeof err);
    ::_exit(code);
}

int child_main(void* arg) {
    const auto& a = *static_cast<const child_args*>(arg);
    // Join the container's cgroups first: "0" is the writing process itself.
    for (const char* procs : a.cgroup_procs) {
        const int fd = ::open(procs, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || ::write(fd, "0", 1) != 1) fail_child(a, 126);
        ::close(fd);
    }
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    // The simulator died before prctl (in a new PID namespace the parent is always pid 0).
    if (!a.isolated && ::getppid() != a.parent) ::_exit(127);
    if (a.isolated) {
        // Its own /proc (it is PID 1 there) in a mount namespace that does not propagate back.
        ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr);
        ::mount("proc", "/proc", "proc", MS_NOSUID | MS_NOEXEC | MS_NODEV, nullptr);
        if (a.hostname != nullptr) ::sethostname(a.hostname, std::strlen(a.hostname));
    }
    sigset_t mask;
    sigemptyset(&mask);
    if (a.hold_stop_signals) {
        for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGQUIT}) sigaddset(&mask, sig);
    }
    ::sigprocmask(SIG_SETMASK, &mask, nullptr);
    if (a.ignore_sigterm) {
        struct sigaction ignore {};
        ignore.sa_handler = SIG_IGN;
        ::sigaction(SIGTERM, &ignore, nullptr);
    }
    ::dup2(a.in, 0);
    ::dup2(a.out, 1);
    ::dup2(a.out, 2);
    ::execve(a.argv[0], a.argv.data(), a.envp.data());
    fail_child(a, 127);
}

}  // namespace

spawned spawner::spawn(const spawn_spec& spec) {
    std::packaged_task<spawned()> task([&spec] {
        child_args a;
        for (const auto& x : spec.argv) a.argv.push_back(const_cast<char*>(x.c_str()));
        a.argv.push_back(nullptr);
        for (const auto& e : spec.env) a.envp.push_back(const_cast<char*>(e.c_str()));
        a.envp.push_back(nullptr);
        for (const auto& p : spec.cgroup_procs) a.cgroup_procs.push_back(p.c_str());
        a.isolated = spec.isolate;
        a.hostname = spec.hostname.empty() ? nullptr : spec.hostname.c_str();
        a.ignore_sigterm = spec.ignore_sigterm;
        a.hold_stop_signals = spec.hold_stop_signals;
        a.parent = ::getpid();
        a.out = ::open(spec.output_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (a.out < 0) a.out = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
        a.in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        int report[2] = {-1, -1};
        if (::pipe2(report, O_CLOEXEC) != 0) {
            ::close(a.out);
            ::close(a.in);
            return spawned{-1, -1, std::string("pipe failed: ") + std::strerror(errno)};
        }
        a.report = report[1];

        pid_t pid = -1;
        if (spec.isolate) {
            // PID 1 of new PID, mount, UTS and IPC namespaces, as a container's process is.
            constexpr std::size_t stack_size = 64 * 1024;
            std::vector<char> stack(stack_size);
            pid = ::clone(child_main, stack.data() + stack.size(),
                          CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | SIGCHLD, &a);
        } else {
            pid = ::fork();
            if (pid == 0) child_main(&a);
        }
        const int saved_errno = errno;
        ::close(a.out);
        ::close(a.in);
        ::close(report[1]);
        spawned result;
        if (pid < 0) {
            ::close(report[0]);
            result.error =
                std::string(spec.isolate ? "clone" : "fork") + " failed: " + std::strerror(saved_errno);
            return result;
        }
        // Started means running the container's program, as with containerd: wait for the exec
        // (the child first joins its cgroups, which can take the kernel a while).
        int child_errno = 0;
        ssize_t got = 0;
        do {
            got = ::read(report[0], &child_errno, sizeof child_errno);
        } while (got < 0 && errno == EINTR);
        ::close(report[0]);
        if (got > 0) {
            ::waitpid(pid, nullptr, 0);
            result.error = std::string("cannot start ") + spec.argv[0] + ": " + std::strerror(child_errno);
            return result;
        }
        ::setpgid(pid, pid);  // also from the parent, so the group exists before anyone signals it
        result.pid = pid;
        // glibc 2.36 declares pidfd_open without extern "C", so call the kernel directly.
        result.pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
        if (result.pidfd < 0) {
            result.error = std::string("pidfd_open failed: ") + std::strerror(errno);
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
            result.pid = -1;
        }
        return result;
    });
    auto future = task.get_future();
    {
        std::lock_guard lock(mu_);
        tasks_.push_back(std::move(task));
    }
    cv_.notify_one();
    return future.get();
}

std::string isolation_unavailable() {
    if (::geteuid() != 0) return "not running as root";
    const pid_t pid = ::fork();  // tried in a child: unshare would change the simulator itself
    if (pid == 0) {
        ::_exit(::unshare(CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC) == 0 ? 0 : errno);
    }
    if (pid < 0) return std::string("fork failed: ") + std::strerror(errno);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
    return std::string("new namespaces are refused: ") +
           std::strerror(WIFEXITED(status) ? WEXITSTATUS(status) : EPERM);
}

void signal_group(pid_t pid, int sig) {
    if (pid <= 0) return;
    if (::kill(-pid, sig) != 0) ::kill(pid, sig);
}

int exit_code_of(int wait_status) {
    if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
    if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
    return 0;
}

}  // namespace sim
