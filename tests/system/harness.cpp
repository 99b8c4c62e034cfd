#include "harness.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace harness {

temp_dir::temp_dir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/ktb-test-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + pattern);
    path_ = pattern;
}

temp_dir::~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

child_process::child_process(std::vector<std::string> argv, const std::filesystem::path& log) {
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (out < 0) throw std::runtime_error("cannot open " + log.string());
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(127);
        ::dup2(out, 1);
        ::dup2(out, 2);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    ::close(out);
    if (pid_ < 0) throw std::runtime_error("fork failed for " + argv[0]);
}

child_process::~child_process() {
    stop();
}

bool child_process::alive() {
    if (pid_ <= 0) return false;
    int st = 0;
    const pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
        status_ = st;
        pid_ = -1;
        return false;
    }
    return r == 0;
}

int child_process::wait() {
    if (pid_ <= 0) return status_;
    int st = 0;
    if (::waitpid(pid_, &st, 0) == pid_) status_ = st;
    pid_ = -1;
    return status_;
}

int child_process::stop(int sig, std::chrono::milliseconds grace) {
    if (!alive()) return status_;
    ::kill(pid_, sig);
    if (!eventually([&] { return !alive(); }, grace)) {
        ::kill(pid_, SIGKILL);
        int st = 0;
        ::waitpid(pid_, &st, 0);
        status_ = st;
        pid_ = -1;
    }
    return status_;
}

int free_tcp_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        ::close(fd);
        throw std::runtime_error("cannot find a free port");
    }
    ::close(fd);
    return ntohs(addr.sin_port);
}

std::string find_program(const char* env_var, const char* name) {
    if (const char* v = std::getenv(env_var); v != nullptr && *v != '\0') return v;
    std::string dirs = std::getenv("PATH") != nullptr ? std::getenv("PATH") : "";
    dirs += ":/usr/sbin:/usr/local/sbin:/sbin";
    std::stringstream ss(dirs);
    for (std::string d; std::getline(ss, d, ':');) {
        const auto p = std::filesystem::path(d) / name;
        if (::access(p.c_str(), X_OK) == 0) return p.string();
    }
    throw std::runtime_error(std::string("program not found: ") + name + " (set " + env_var + ")");
}

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

namespace {

bool tcp_accepts(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
}

}  // namespace

mosquitto::mosquitto(std::string extra) {
    for (int attempt = 0; attempt < 5; ++attempt) {
        port_ = free_tcp_port();
        std::ofstream(dir_.path() / "mosquitto.conf")
            << "listener " << port_ << " 127.0.0.1\n"
            << "allow_anonymous true\n"
            << "persistence false\n"
            << "set_tcp_nodelay true\n"  // no Nagle: see shared/conformance/README.md
            << "max_queued_messages 100000\n"
            << "user root\n"  // no privilege drop when run as root: the log is in our dir
            << "log_dest stderr\n"
            << "log_type error\nlog_type warning\nlog_type notice\n"
            << extra;
        launch();
        if (eventually([&] { return tcp_accepts(port_) || !proc_->alive(); }, 10000ms) && proc_->alive())
            return;
        proc_->stop();  // most likely the port was taken meanwhile: try another
    }
    throw std::runtime_error("mosquitto did not start: " + log());
}

void mosquitto::launch() {
    proc_ =
        std::make_unique<child_process>(std::vector<std::string>{find_program("MOSQUITTO", "mosquitto"), "-c",
                                                                 (dir_.path() / "mosquitto.conf").string()},
                                        dir_.path() / "mosquitto.log");
}

void mosquitto::start() {
    launch();
    if (!eventually([&] { return tcp_accepts(port_) || !proc_->alive(); }, 10000ms) || !proc_->alive())
        throw std::runtime_error("mosquitto did not restart: " + log());
}

simulator::simulator(std::vector<std::string> extra_args) : extra_args_(std::move(extra_args)) {
    socket_ = dir_.path() / "cm.sock";
    home_ = dir_.path() / "home";
    launch();
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 50);
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 50);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
    channel_ =
        grpc::CreateCustomChannel("unix:" + socket_.string(), grpc::InsecureChannelCredentials(), args);
    if (!channel_->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(15))) {
        throw std::runtime_error("kanto-cm-sim did not start: " + log());
    }
}

// Starts the process and waits for its socket: a first attempt on a missing socket costs gRPC's
// reconnect back-off (1 s by default; kept short on our channel too).
void simulator::launch() {
    std::vector<std::string> argv{find_program("KANTO_CM_SIM", "kanto-cm-sim"), "--socket", socket_.string(),
                                  "--home", home_.string()};
    argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
    proc_ = std::make_unique<child_process>(argv, dir_.path() / "sim.log");
    std::error_code ec;
    eventually([&] { return std::filesystem::exists(socket_, ec) || !proc_->alive(); }, 15000ms);
}

void simulator::restart(int sig) {
    proc_->stop(sig);
    launch();
    if (!channel_->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(15))) {
        throw std::runtime_error("kanto-cm-sim did not restart: " + log());
    }
}

std::unique_ptr<kcm::svc::Containers::Stub> simulator::containers() const {
    return kcm::svc::Containers::NewStub(channel_);
}

bool simulator::create_many(int n, const std::string& prefix) const {
    auto stub = containers();
    for (int i = 0; i < n; ++i) {
        kcm::svc::CreateContainerRequest req;
        req.mutable_container()->set_name(prefix + std::to_string(i));
        req.mutable_container()->mutable_image()->set_name("docker.io/library/busybox:latest");
        kcm::svc::CreateContainerResponse resp;
        if (!stub->Create(rpc_context().get(), req, &resp).ok()) return false;
    }
    return true;
}

bridge_process::bridge_process(const mosquitto& broker, const simulator& sim,
                               std::vector<std::string> extra_args, std::filesystem::path things_home)
    : things_home_(things_home.empty() ? dir_.path() / "things" : std::move(things_home)),
      config_(dir_.path() / "config.json") {
    std::ofstream(config_) << R"({"things":{"home_dir":")" << things_home_.string() << R"("},)"
                           << R"("connection":{"broker_url":")" << broker.url() << R"("},)"
                           << R"("grpc_server":{"address_path":")" << sim.socket().string() << R"("},)"
                           << R"("manager":{"home_dir":")" << sim.home().string() << R"("},)"
                           << R"("log":{"log_level":"DEBUG"}})";
    std::vector<std::string> argv{find_program("KANTO_TWIN_BRIDGE", "kanto-twin-bridge"), "--cfg-file",
                                  config_.string()};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    proc_ = std::make_unique<child_process>(argv, dir_.path() / "bridge.log");
}

silent_server::silent_server() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        throw std::runtime_error("cannot listen on 127.0.0.1");
    }
    port = ntohs(a.sin_port);
}

silent_server::~silent_server() {
    if (fd_ >= 0) ::close(fd_);
}

std::unique_ptr<grpc::ClientContext> rpc_context(std::chrono::milliseconds deadline) {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + deadline);
    return ctx;
}

notify_socket::notify_socket(const std::filesystem::path& path) : path_(path.string()) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("notify socket: " + std::string(std::strerror(errno)));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd_);
        throw std::runtime_error("notify socket: bind " + path_ + ": " + std::strerror(errno));
    }
    timeval wait{15, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
}

notify_socket::~notify_socket() {
    ::close(fd_);
}

bool notify_socket::until(const std::string& text) {
    char buf[512];
    for (;;) {
        const auto n = ::recv(fd_, buf, sizeof buf, 0);
        if (n <= 0) return false;
        received_.emplace_back(buf, static_cast<std::size_t>(n));
        if (received_.back().find(text) != std::string::npos) return true;
    }
}

}  // namespace harness
