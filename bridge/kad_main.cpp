// kanto-auto-deployer: deploys the container manifests of a directory to Kanto-CM, once or, with
// --daemon, again whenever a manifest is written, moved in or touched. A drop-in replacement for
// Leda's Rust kanto-auto-deployer: same arguments, defaults, log lines and exit codes.
#include <unistd.h>

#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/program_options.hpp>

#include "deploy_runner.hpp"
#include "dir_watch.hpp"
#include "handover.hpp"
#include "kanto_client.hpp"
#include "log_format.hpp"
#include "manifest.hpp"
#include "mqtt_link.hpp"
#include "systemd_notify.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {

constexpr const char* version = "0.3.0";
constexpr const char* about = "Automated deployment of Kanto Container Management Manifests";

// RUST_LOG as env_logger reads a plain level: error, warn, info (default), debug, trace.
spdlog::level::level_enum level_from_env() {
    const char* v = std::getenv("RUST_LOG");
    const std::string s = v != nullptr ? v : "";
    if (s == "error") return spdlog::level::err;
    if (s == "warn") return spdlog::level::warn;
    if (s == "debug") return spdlog::level::debug;
    if (s == "trace") return spdlog::level::trace;
    if (s == "off") return spdlog::level::off;
    return spdlog::level::info;
}

void setup_logging() {
    auto logger = spdlog::stderr_logger_mt("kanto_auto_deployer");
    // env_logger's format; its level names are Kanto's, padded the same way.
    logger->set_formatter(bridge::program_formatter(
        bridge::stderr_is_journal(), "[%Y-%m-%dT%H:%M:%SZ %* kanto_auto_deployer] %v",
        "[%* kanto_auto_deployer] %v", spdlog::pattern_time_type::utc));
    logger->set_level(level_from_env());
    spdlog::set_default_logger(logger);
}

struct options {
    std::string manifests = ".";
    std::string socket = "/run/container-management/container-management.sock";
    bool daemon = false;
    bool mqtt = false;
    std::string broker_host = "localhost";
    std::uint16_t broker_port = 1883;
    std::string topic = "containersupdate/desiredstatefeedback";
    std::string lock_file = KAD_LOCK_PATH;
};

// --daemon --mqtt: hand over to the update agent. Listens for its feedback; on IDENTIFIED renames
// the lock file to *.disabled and ends the daemon (exit 0), so systemd's ConditionPathExists keeps
// the unit off until someone renames it back.
class handover_listener {
  public:
    handover_listener(boost::asio::io_context& io, const options& opt, std::function<void()> terminate)
        : opt_(opt), terminate_(std::move(terminate)) {
        cfg_.broker_url = "tcp://" + opt.broker_host + ":" + std::to_string(opt.broker_port);
        cfg_.mqtt_client_id = "kanto_auto_deployer";
        cfg_.keep_alive = std::chrono::seconds(5);
        link_ = std::make_unique<bridge::mqtt_link>(
            io, cfg_,
            bridge::mqtt_link::handlers{[this] { link_->subscribe(opt_.topic, 2); },
                                        [](const std::string&) {},
                                        [this](std::string, std::string payload) { on_message(payload); },
                                        [] {}, [](const std::string&, const std::string&) {}});
    }
    void start() { link_->start(); }
    void stop() { link_->stop(); }

  private:
    void on_message(const std::string& payload) {
        if (!deploy::is_identified_feedback(payload)) {
            spdlog::debug("MQTT payload handling error: not an IDENTIFIED feedback");
            return;
        }
        std::error_code ec;
        std::filesystem::rename(opt_.lock_file, deploy::disabled_lock_path(opt_.lock_file), ec);
        if (ec) {
            spdlog::debug("MQTT payload handling error: cannot rename {}: {}", opt_.lock_file, ec.message());
            return;
        }
        spdlog::warn("Getting terminated from MQTT!");
        terminate_();
    }

    const options& opt_;
    std::function<void()> terminate_;
    bridge::config cfg_;
    std::unique_ptr<bridge::mqtt_link> link_;
};

std::string usage(const po::options_description& visible) {
    std::ostringstream out;
    out << "kanto-auto-deployer " << version << "\n"
        << about << "\n\n"
        << "USAGE:\n    kanto-auto-deployer [OPTIONS] [MANIFESTS_PATH]\n\n"
        << "ARGS:\n    <MANIFESTS_PATH>    Directory holding the manifests [default: .]\n\n"
        << visible << "\n"
        << "EXIT STATUS:\n"
        << "    0      the pass is done (failed manifests are logged), or the daemon was stopped or handed "
           "over\n"
        << "    1      could not start, e.g. the directory cannot be watched\n"
        << "    2      invalid command line\n"
        << "    255    MANIFESTS_PATH does not exist\n";
    return out.str();
}

}  // namespace

namespace {

// Parses the command line into `opt`; an exit code when the program ends here (help, version,
// usage error).
std::optional<int> parse_args(int argc, char** argv, options& opt) {
    po::options_description visible("OPTIONS", 110);
    visible.add_options()  //
        ("socket-cm,s", po::value(&opt.socket)->value_name("SOCKET_CM"),
         "Unix socket of Kanto-CM's gRPC server [default: "
         "/run/container-management/container-management.sock]")  //
        ("daemon,d", po::bool_switch(&opt.daemon),
         "After the initial deployment, deploy again every manifest that is written, moved in or touched")  //
        ("mqtt,m", po::bool_switch(&opt.mqtt),
         "With --daemon: disable this deployer (rename its lock file) once the update agent reports "
         "IDENTIFIED")  //
        ("mqtt-broker-host", po::value(&opt.broker_host)->value_name("IP"),
         "MQTT broker host [default: localhost]")  //
        ("mqtt-broker-port", po::value(&opt.broker_port)->value_name("PORT"),
         "MQTT broker port [default: 1883]")  //
        ("mqtt-topic", po::value(&opt.topic)->value_name("TOPIC"),
         "Feedback topic of the update agent [default: containersupdate/desiredstatefeedback]")  //
        ("lock-file", po::value(&opt.lock_file)->value_name("PATH"),
         "With --mqtt: the lock file [default: " KAD_LOCK_PATH "]")  //
        ("help,h", "Print help information")                         //
        ("version,V", "Print version information");
    po::options_description all;
    all.add(visible).add_options()("manifests", po::value(&opt.manifests));
    po::positional_options_description positional;
    positional.add("manifests", 1);
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        std::cerr << "error: " << e.what() << "\n\n" << usage(visible);
        return 2;
    }
    if (vm.count("help") != 0) {
        std::cout << usage(visible);
        return 0;
    }
    if (vm.count("version") != 0) {
        std::cout << "kanto-auto-deployer " << version << "\n";
        return 0;
    }
    return std::nullopt;
}

// Deploys `dir` once, or as a daemon until SIGTERM/SIGINT or the hand-over; the exit code.
int run(const options& opt, const fs::path& dir) {
    try {
        boost::asio::io_context io(1);
        bridge::config cfg;
        cfg.grpc_protocol = "unix";
        cfg.grpc_address = opt.socket;
        bridge::kanto_client kanto(io, cfg);
        std::unique_ptr<bridge::dir_watch> watch;
        // One-shot: a single attempt at Kanto-CM and exit 0 after the pass, whatever failed.
        // Daemon: wait for Kanto-CM (capped back-off), then keep watching.
        std::unique_ptr<handover_listener> handover;
        bridge::systemd_notify notify(io);  // a unit with Type=notify: ready once the first pass is done
        notify.start();
        auto stop_all = [&] {
            notify.stopping();
            notify.stop();
            if (handover) handover->stop();
            kanto.stop();
            io.stop();
        };
        bridge::deploy_runner runner(
            io, kanto, deploy::deployer_config{opt.daemon, std::chrono::seconds(30)},
            [&](const deploy::pass_finished& pass) {
                if (!opt.daemon) return stop_all();
                notify.ready(std::to_string(pass.deployed) + " of " + std::to_string(pass.total) +
                             " manifest(s) deployed; watching " + dir.string());
                if (!opt.mqtt || handover) return;
                // As the auto-deployer: the listener starts after the initial pass, and only with a lock
                // file.
                std::error_code lock_ec;
                if (!std::filesystem::is_regular_file(opt.lock_file, lock_ec)) {
                    spdlog::error(
                        "MQTT hand-over requested, but the lock file {} does not exist or is not a regular "
                        "file: "
                        "running as a plain daemon. Create it (or rename {} back) to enable the hand-over.",
                        opt.lock_file, deploy::disabled_lock_path(opt.lock_file));
                    return;
                }
                spdlog::info("MQTT for daemon mode enabled. Will auto-disable whenever VUM takes over.");
                handover = std::make_unique<handover_listener>(io, opt, [&] {
                    runner.stop();
                    if (watch) watch->stop();
                    stop_all();
                });
                handover->start();
            });
        boost::asio::signal_set signals(io, SIGINT, SIGTERM);
        signals.async_wait([&](const boost::system::error_code& e, int) {
            if (e) return;
            runner.stop();
            if (watch) watch->stop();
            stop_all();
        });
        spdlog::info("Running initial deployment of \"{}\"", dir.string());
        if (opt.daemon) {
            // Watching starts before the initial pass, so nothing written meanwhile is missed.
            watch = std::make_unique<bridge::dir_watch>(
                io, dir,
                [&](const std::string& name) {
                    if (deploy::is_manifest_name(name)) runner.changed((dir / name).string());
                },
                [&](const std::string& why) {
                    spdlog::error("Watching \"{}\" failed: {}", dir.string(), why);
                });
            if (auto e = watch->start()) {
                spdlog::error("Cannot watch \"{}\": {}", dir.string(), e.message());
                return 1;
            }
            spdlog::info("Running in daemon mode. Continuously monitoring \"{}\"", dir.string());
        }
        runner.initial_pass(dir.string());
        io.run();
        runner.stop();
        if (watch) watch->stop();
        if (handover) handover->stop();
        kanto.stop();
        notify.stop();
        signals.cancel();
        // Let cancelled handlers run while their objects live; returns as soon as none is left.
        io.restart();
        io.run_for(std::chrono::milliseconds(500));
    } catch (const std::exception& e) {
        spdlog::critical("{}", e.what());
        return 1;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    options opt;
    if (auto code = parse_args(argc, argv, opt)) return *code;
    setup_logging();
    std::signal(SIGPIPE, SIG_IGN);
    std::error_code ec;
    const auto dir = fs::canonical(opt.manifests, ec);
    if (ec) {
        spdlog::error("Could not expand path \"{}\", err: {}", opt.manifests, ec.message());
        return 255;
    }
    return run(opt, dir);
}
