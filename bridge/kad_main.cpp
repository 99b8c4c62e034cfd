// kanto-auto-deployer: deploys the container manifests of a directory to Kanto-CM, once or, with
// --daemon, again whenever a manifest is written, moved in or touched. A drop-in replacement for
// Leda's Rust kanto-auto-deployer: same arguments, defaults, log lines and exit codes.
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/program_options.hpp>

#include "deploy_runner.hpp"
#include "dir_watch.hpp"
#include "kanto_client.hpp"
#include "manifest.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {

constexpr const char* version = "0.3.0";
constexpr const char* about = "Automated deployment of Kanto Container Management Manifests";

// env_logger's level names: ERROR, WARN, INFO, DEBUG, TRACE.
class upper_level final : public spdlog::custom_flag_formatter {
  public:
    void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
        static constexpr const char* names[] = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "ERROR", "OFF"};
        const std::string_view name = names[static_cast<int>(msg.level)];
        dest.append(name.data(), name.data() + name.size());
    }
    std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<upper_level>(); }
};

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
    auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    formatter->add_flag<upper_level>('*').set_pattern("[%Y-%m-%dT%H:%M:%SZ %* kanto_auto_deployer] %v");
    logger->set_formatter(std::move(formatter));
    logger->set_level(level_from_env());
    spdlog::set_default_logger(logger);
}

struct options {
    std::string manifests = ".";
    std::string socket = "/run/container-management/container-management.sock";
    bool daemon = false;
};

std::string usage(const po::options_description& visible) {
    std::ostringstream out;
    out << "kanto-auto-deployer " << version << "\n"
        << about << "\n\n"
        << "USAGE:\n    kanto-auto-deployer [OPTIONS] [MANIFESTS_PATH]\n\n"
        << "ARGS:\n    <MANIFESTS_PATH>    Directory holding the manifests [default: .]\n\n"
        << visible;
    return out.str();
}

}  // namespace

int main(int argc, char** argv) {
    options opt;
    po::options_description visible("OPTIONS", 110);
    visible.add_options()  //
        ("socket-cm,s", po::value(&opt.socket)->value_name("SOCKET_CM"),
         "Unix socket of Kanto-CM's gRPC server [default: "
         "/run/container-management/container-management.sock]")  //
        ("daemon,d", po::bool_switch(&opt.daemon),
         "After the initial deployment, deploy again every manifest that is written, moved in or touched")  //
        ("help,h", "Print help information")                                                                //
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
    setup_logging();
    std::signal(SIGPIPE, SIG_IGN);

    std::error_code ec;
    const auto dir = fs::canonical(opt.manifests, ec);
    if (ec) {
        spdlog::error("Could not expand path \"{}\", err: {}", opt.manifests, ec.message());
        return 255;
    }
    try {
        boost::asio::io_context io(1);
        bridge::config cfg;
        cfg.grpc_protocol = "unix";
        cfg.grpc_address = opt.socket;
        bridge::kanto_client kanto(io, cfg);
        std::unique_ptr<bridge::dir_watch> watch;
        // One-shot: a single attempt at Kanto-CM and exit 0 after the pass, whatever failed.
        // Daemon: wait for Kanto-CM (capped back-off), then keep watching.
        bridge::deploy_runner runner(io, kanto, deploy::deployer_config{opt.daemon, std::chrono::seconds(30)},
                                     [&](const deploy::pass_finished&) {
                                         if (!opt.daemon) {
                                             kanto.stop();
                                             io.stop();
                                         }
                                     });
        boost::asio::signal_set signals(io, SIGINT, SIGTERM);
        signals.async_wait([&](const boost::system::error_code& e, int) {
            if (e) return;
            runner.stop();
            if (watch) watch->stop();
            kanto.stop();
            io.stop();
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
        kanto.stop();
        io.restart();
        io.run_for(std::chrono::milliseconds(500));  // let cancelled handlers run while their objects live
    } catch (const std::exception& e) {
        spdlog::critical("{}", e.what());
        return 1;
    }
    return 0;
}
