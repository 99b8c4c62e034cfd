#include "process.hpp"

#include <fcntl.h>
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

std::vector<std::string> resolve_command(const std::vector<std::string>& cmd) {
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

spawned spawner::spawn(const spawn_spec& spec) {
    std::packaged_task<spawned()> task([&spec] {
        // Everything the child needs is prepared before fork: the child only makes syscalls.
        std::vector<char*> argv, envp;
        for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        for (const auto& e : spec.env) envp.push_back(const_cast<char*>(e.c_str()));
        envp.push_back(nullptr);
        const pid_t parent = ::getpid();
        int out = ::open(spec.output_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (out < 0) out = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
        const int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);

        const pid_t pid = ::fork();
        if (pid == 0) {
            ::setpgid(0, 0);
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (::getppid() != parent) ::_exit(127);  // the simulator died before prctl
            sigset_t none;
            sigemptyset(&none);
            ::sigprocmask(SIG_SETMASK, &none, nullptr);
            if (spec.ignore_sigterm) {
                struct sigaction ignore {};
                ignore.sa_handler = SIG_IGN;
                ::sigaction(SIGTERM, &ignore, nullptr);
            }
            ::dup2(in, 0);
            ::dup2(out, 1);
            ::dup2(out, 2);
            ::execve(argv[0], argv.data(), envp.data());
            ::_exit(127);
        }
        const int saved_errno = errno;
        ::close(out);
        ::close(in);
        spawned result;
        if (pid < 0) {
            result.error = std::string("fork failed: ") + std::strerror(saved_errno);
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
