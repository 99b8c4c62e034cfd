// kanto-cm-sim: a process-backed simulator of the Kanto-CM daemon's gRPC API on a unix socket.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>
#include <boost/program_options.hpp>

#include "engine.hpp"
#include "service.hpp"

namespace po = boost::program_options;

namespace {

bool parse_delay(const std::string& text, std::pair<std::string, std::chrono::milliseconds>& out) {
    const auto eq = text.rfind('=');
    if (eq == std::string::npos || eq == 0) return false;
    try {
        std::size_t used = 0;
        const long ms = std::stol(text.substr(eq + 1), &used);
        if (used != text.size() - eq - 1 || ms < 0) return false;
        out = {text.substr(0, eq), std::chrono::milliseconds(ms)};
        return true;
    } catch (const std::exception&) {
        return false;
    }
}

}  // namespace

int main(int argc, char** argv) {
    std::string socket_path, home;
    sim::engine_options options;
    std::vector<std::string> delays;
    std::string isolation;
    po::options_description desc(
        "kanto-cm-sim: serves Kanto-CM's Containers and SystemInfo gRPC services on a unix socket;\n"
        "containers are real child processes (their cmd when it names a host executable, else\n"
        "kanto-cm-sim-process, found beside this program)");
    desc.add_options()("help,h", "show this help")("socket", po::value(&socket_path)->required(),
                                                   "unix socket path to listen on (required)")(
        "home", po::value(&home)->required(),
        "state directory; container files go to <home>/containers/<id>/config.json (required)")(
        "stop-timeout", po::value(&options.default_stop_timeout)->default_value(30),
        "default stop timeout in seconds (manager.default_ctrs_stop_timeout)")(
        "fail-pull",
        po::value(&options.fail_pull)
            ->composing()
            ->default_value({"pull-fails", "127.0.0.1:1/"}, "pull-fails 127.0.0.1:1/"),
        "Create fails like an image pull error for images whose name contains this text (repeatable)")(
        "fail-start",
        po::value(&options.fail_start)->composing()->default_value({"start-fails"}, "start-fails"),
        "Start fails like an image without its entrypoint for images whose name contains this text "
        "(repeatable)")(
        "ignore-sigterm", po::value(&options.ignore_sigterm)->composing(),
        "containers of images whose name contains this text ignore SIGTERM, like a PID 1 without handlers "
        "(repeatable)")(
        "graceful-term",
        po::value(&options.graceful_term)->composing()->default_value({"busybox-local"}, "busybox-local"),
        "containers of images whose name contains this text (and no host command) end on SIGTERM after 0.5 s "
        "with exit code 0, like a shell entrypoint with a trap (repeatable)")(
        "isolation", po::value(&isolation)->default_value("auto"),
        "auto: as root, each container's process is PID 1 of its own PID, mount, UTS and IPC namespaces and "
        "in its own cgroups (memory limit, Metrics figures, synchronous Pause); off: plain child processes")(
        "pull-delay", po::value(&delays)->composing(),
        "TEXT=MS: Create of images whose name contains TEXT takes MS milliseconds (repeatable)");
    po::variables_map vm;
    try {
        po::store(po::parse_command_line(argc, argv, desc), vm);
        if (vm.count("help") != 0) {
            std::cout << desc << "\n";
            return 0;
        }
        po::notify(vm);
    } catch (const po::error& e) {
        std::cerr << "kanto-cm-sim: " << e.what() << "\n" << desc << "\n";
        return 2;
    }
    for (const auto& d : delays) {
        std::pair<std::string, std::chrono::milliseconds> parsed;
        if (!parse_delay(d, parsed)) {
            std::cerr << "kanto-cm-sim: --pull-delay wants TEXT=MILLISECONDS, got '" << d << "'\n";
            return 2;
        }
        options.pull_delay.push_back(parsed);
    }
    if (isolation != "auto" && isolation != "off") {
        std::cerr << "kanto-cm-sim: --isolation wants auto or off, got '" << isolation << "'\n";
        return 2;
    }
    if (options.default_stop_timeout < 0) {
        std::cerr << "kanto-cm-sim: --stop-timeout must not be negative\n";
        return 2;
    }

    // Termination is handled by sigwait below; block it before any thread exists so all inherit it.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    std::error_code ec;
    const std::filesystem::path sock(socket_path);
    if (sock.has_parent_path()) std::filesystem::create_directories(sock.parent_path(), ec);
    // One simulator per socket: a second one must not take the socket away from a running one.
    // The lock goes with the process, so a crashed simulator leaves nothing that blocks the next.
    const auto lock_path = socket_path + ".lock";
    const int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock_fd < 0 || ::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
        std::cerr << "kanto-cm-sim: " << socket_path << " is served by another kanto-cm-sim (" << lock_path
                  << " is locked)" << (lock_fd < 0 ? std::string(": ") + std::strerror(errno) : std::string())
                  << "\n";
        return 1;
    }
    std::filesystem::remove(sock, ec);  // a stale socket from an earlier run

    options.home = home;
    {
        const auto beside =
            std::filesystem::read_symlink("/proc/self/exe", ec).parent_path() / "kanto-cm-sim-process";
        if (!ec && ::access(beside.c_str(), X_OK) == 0)
            options.stand_in = beside;
        else
            std::cerr << "kanto-cm-sim: warning: " << beside.string()
                      << " not found: containers without a host command run sleep\n";
    }
    if (isolation == "auto") {
        if (const auto why = sim::isolation_unavailable(); why.empty()) {
            options.isolate = true;
        } else {
            std::cerr
                << "kanto-cm-sim: warning: " << why
                << ": containers run as plain child processes (no PID namespace, no cgroup), so signals, "
                   "Pause and Metrics differ from Kanto-CM on containerd\n";
        }
    }
    std::unique_ptr<sim::engine> engine;
    try {
        engine = std::make_unique<sim::engine>(options);
    } catch (const std::exception& e) {
        std::cerr << "kanto-cm-sim: cannot use home " << home << ": " << e.what() << "\n";
        return 1;
    }
    for (const auto& p : engine->restore_problems()) std::cerr << "kanto-cm-sim: not restored: " << p << "\n";
    if (const auto why = engine->cgroups_disabled(); !why.empty())
        std::cerr << "kanto-cm-sim: warning: no cgroup per container (" << why
                  << "): no memory limit, Metrics from the host, Pause by SIGSTOP\n";

    sim::containers_service containers(*engine);
    sim::system_info_service sysinfo;
    grpc::ServerBuilder builder;
    builder.AddListeningPort("unix:" + socket_path, grpc::InsecureServerCredentials());
    builder.RegisterService(&containers);
    builder.RegisterService(&sysinfo);
    auto server = builder.BuildAndStart();
    if (!server) {
        std::cerr << "kanto-cm-sim: cannot listen on unix:" << socket_path << "\n";
        return 1;
    }
    std::cerr << fmt::format("kanto-cm-sim: serving unix:{} (home {})\n", socket_path, home);

    int sig = 0;
    sigwait(&stop_signals, &sig);
    std::cerr << "kanto-cm-sim: stopping containers and exiting\n";
    engine->shutdown();  // first, so Stop calls waiting on processes return
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    std::filesystem::remove(sock, ec);  // the lock file stays: removing it could let two in at once
    return 0;
}
