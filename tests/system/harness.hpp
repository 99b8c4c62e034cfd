// System-test harness: real processes on loopback and temporary unix sockets, torn down by RAII
// (and by PR_SET_PDEATHSIG if the test process itself dies).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "kanto_cm_api.hpp"

namespace harness {

using namespace std::chrono_literals;

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it.
class temp_dir {
  public:
    temp_dir();
    ~temp_dir();
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

// A child process with stdout+stderr to `log`; stopped (SIGTERM, then SIGKILL) on destruction.
class child_process {
  public:
    child_process(std::vector<std::string> argv, const std::filesystem::path& log);
    ~child_process();
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    pid_t pid() const { return pid_; }
    bool alive();
    // Blocks until the process exits; its wait status (or -1).
    int wait();
    // Sends `sig` and waits up to `grace`, then SIGKILLs. Returns the wait status (or -1).
    int stop(int sig = 15, std::chrono::milliseconds grace = 5000ms);

  private:
    pid_t pid_ = -1;
    int status_ = -1;
};

// A free TCP port on 127.0.0.1 (bound and released; the broker binds it right after).
int free_tcp_port();

// Path of a program: an environment variable set by meson, else the PATH, else /usr/sbin.
std::string find_program(const char* env_var, const char* name);

// Text of a file, or "" when it cannot be read (for failure messages).
std::string read_file(const std::filesystem::path& p);

// Polls `done` every 10 ms until it holds or `limit` passes; returns its last value.
template <class F>
bool eventually(F&& done, std::chrono::milliseconds limit = 10000ms);

// A real mosquitto broker on a free 127.0.0.1 port with a generated config.
class mosquitto {
  public:
    // `extra`: configuration appended after the plain loopback listener (e.g. a TLS listener).
    explicit mosquitto(std::string extra = {});
    int port() const { return port_; }
    std::string url() const { return "tcp://127.0.0.1:" + std::to_string(port_); }
    std::string log() const { return read_file(dir_.path() / "mosquitto.log"); }
    void stop() { proc_->stop(); }
    // Starts a stopped broker again on the same port.
    void start();
    // Stops the broker and starts it again on the same port (clients see a lost connection).
    void restart() {
        stop();
        start();
    }

  private:
    void launch();
    temp_dir dir_;
    int port_ = 0;
    std::unique_ptr<child_process> proc_;
};

// The project's Kanto-CM simulator on a temporary unix socket with a temporary home.
class simulator {
  public:
    explicit simulator(std::vector<std::string> extra_args = {});
    const std::filesystem::path& socket() const { return socket_; }
    const std::filesystem::path& home() const { return home_; }
    std::string log() const { return read_file(dir_.path() / "sim.log"); }
    std::shared_ptr<grpc::Channel> channel() const { return channel_; }
    std::unique_ptr<kcm::svc::Containers::Stub> containers() const;
    // Creates `n` containers named <prefix>0..<prefix>n-1 from a busybox image; false if one failed.
    bool create_many(int n, const std::string& prefix) const;
    int stop(int sig = 15) { return proc_->stop(sig); }
    pid_t pid() const { return proc_->pid(); }
    // Stops it (SIGTERM, or `sig`) and starts it again on the same socket and home (it restores
    // its containers from there, as Kanto-CM does).
    void restart(int sig = 15);

  private:
    void launch();
    temp_dir dir_;
    std::filesystem::path socket_, home_;
    std::vector<std::string> extra_args_;
    std::unique_ptr<child_process> proc_;
    std::shared_ptr<grpc::Channel> channel_;
};

// kanto-twin-bridge connected to `broker` and a simulator, with a generated Kanto-CM config.json
// (things.home_dir in its own temporary directory unless one is given, e.g. to test a restart).
class bridge_process {
  public:
    bridge_process(const mosquitto& broker, const simulator& sim, std::vector<std::string> extra_args = {},
                   std::filesystem::path things_home = {});
    const std::filesystem::path& things_home() const { return things_home_; }
    const std::filesystem::path& config_file() const { return config_; }
    std::string log() const { return read_file(dir_.path() / "bridge.log"); }
    bool alive() { return proc_->alive(); }
    pid_t pid() const { return proc_->pid(); }
    int stop(int sig = 15) { return proc_->stop(sig); }

  private:
    temp_dir dir_;
    std::filesystem::path things_home_, config_;
    std::unique_ptr<child_process> proc_;
};

// A TCP listener on 127.0.0.1 that accepts connections into its backlog and never answers.
class silent_server {
  public:
    silent_server();
    ~silent_server();
    silent_server(const silent_server&) = delete;
    silent_server& operator=(const silent_server&) = delete;
    int port = 0;

  private:
    int fd_ = -1;
};

// systemd's side of the notify protocol: a datagram socket whose path goes into NOTIFY_SOCKET for
// a child process. until() reads notifications until one contains `text` (15 s at most each).
class notify_socket {
  public:
    explicit notify_socket(const std::filesystem::path& path);
    ~notify_socket();
    notify_socket(const notify_socket&) = delete;
    notify_socket& operator=(const notify_socket&) = delete;
    const std::string& path() const { return path_; }
    bool until(const std::string& text);
    const std::vector<std::string>& received() const { return received_; }

  private:
    std::string path_;
    int fd_ = -1;
    std::vector<std::string> received_;
};

// A client context with a deadline, so a stuck server fails the test instead of hanging it.
std::unique_ptr<grpc::ClientContext> rpc_context(std::chrono::milliseconds deadline = 30000ms);

// Milliseconds since `t0`, for the benchmarks.
inline double ms_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

template <class F>
bool eventually(F&& done, std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    for (;;) {
        if (done()) return true;
        if (std::chrono::steady_clock::now() >= end) return false;
        std::this_thread::sleep_for(10ms);
    }
}

}  // namespace harness
