// kanto-twin-bridge: the digital twin of a Kanto-CM device's containers, over MQTT.
#include <csignal>
#include <filesystem>
#include <functional>
#include <iostream>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "config.hpp"
#include "deploy_service.hpp"
#include "log_format.hpp"
#include "service_host.hpp"
#include "twin_service.hpp"
#include "update_agent_service.hpp"

namespace {

spdlog::level::level_enum level_of(std::string text) {
    for (auto& ch : text) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (text == "ERROR") return spdlog::level::err;
    if (text == "WARN") return spdlog::level::warn;
    if (text == "DEBUG") return spdlog::level::debug;
    if (text == "TRACE") return spdlog::level::trace;
    return spdlog::level::info;
}

// Runs the loop. Handlers report errors as values; an exception escaping one anyway (a bug, or
// bad_alloc) is logged and the loop goes on, so the daemon keeps serving.
void run_loop(boost::asio::io_context& io) {
    for (;;) {
        try {
            io.run();
            return;
        } catch (const std::exception& e) {
            spdlog::error("internal error in an event handler (continuing): {}", e.what());
        }
    }
}

// Rotated log files older than `days` are removed (the current one never is); 0 keeps them.
void remove_old_logs(const std::filesystem::path& file, int count, int days) {
    if (days <= 0) return;
    const auto limit = std::filesystem::file_time_type::clock::now() - std::chrono::hours(24) * days;
    const auto stem = file.stem().string(), ext = file.extension().string();
    for (int i = 1; i <= count; ++i) {
        const auto rotated = file.parent_path() / (stem + "." + std::to_string(i) + ext);
        std::error_code ec;
        if (const auto t = std::filesystem::last_write_time(rotated, ec); !ec && t < limit)
            std::filesystem::remove(rotated, ec);
    }
}

// The log: a rotating file when one is configured (Kanto's size and count), else stderr, which
// under systemd is the journal. A file that cannot be written falls back to stderr, with `problem`.
std::shared_ptr<spdlog::logger> make_logger(const bridge::config& cfg, std::string& problem) {
    if (!cfg.log_file.empty()) {
        try {
            const std::filesystem::path file(cfg.log_file);
            std::error_code ec;
            if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
            remove_old_logs(file, cfg.log_file_count, cfg.log_file_max_age_days);
            auto sink = std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
                cfg.log_file, static_cast<std::size_t>(cfg.log_file_size_mb) * 1024 * 1024,
                static_cast<std::size_t>(cfg.log_file_count));
            auto logger = std::make_shared<spdlog::logger>("kanto-twin-bridge", std::move(sink));
            logger->set_formatter(bridge::program_formatter(false, "%Y-%m-%dT%H:%M:%S.%e %* %v", ""));
            logger->flush_on(spdlog::level::trace);  // a line is on disk when it is logged
            return logger;
        } catch (const std::exception& e) {
            problem = "cannot write the log file " + cfg.log_file + " (" + e.what() + "): logging to stderr";
        }
    }
    auto logger = spdlog::stderr_color_mt("kanto-twin-bridge");
    logger->set_formatter(
        bridge::program_formatter(bridge::stderr_is_journal(), "%Y-%m-%dT%H:%M:%S.%e %^%*%$ %v", "%* %v"));
    return logger;
}

}  // namespace

int main(int argc, char** argv) {
    bridge::config cfg;
    try {
        cfg = bridge::load_config(argc, argv);
    } catch (const bridge::help_requested& h) {
        std::cout << h.text << "\n";
        return 0;
    } catch (const bridge::config_error& e) {
        std::cerr << "kanto-twin-bridge: invalid configuration: " << e.what() << "\n";
        return 2;
    }
    std::string log_problem;
    spdlog::set_default_logger(make_logger(cfg, log_problem));
    spdlog::set_level(level_of(cfg.log_level));
    std::signal(SIGPIPE, SIG_IGN);

    try {
        boost::asio::io_context io(1);
        bridge::service_host host(io, cfg);
        if (cfg.things_enable) host.add(std::make_unique<bridge::twin_service>(host.shared()));
        if (cfg.deployment_enable) host.add(std::make_unique<bridge::deploy_service>(host.shared()));
        if (cfg.update_agent_enable) host.add(std::make_unique<bridge::update_agent_service>(host.shared()));
        std::string services;
        for (const auto& [on, name] :
             {std::pair{cfg.things_enable, "twin (things)"}, std::pair{cfg.deployment_enable, "deployment"},
              std::pair{cfg.update_agent_enable, "update agent"}}) {
            if (on) services += (services.empty() ? "" : ", ") + std::string(name);
        }
        spdlog::info("kanto-twin-bridge {}; configuration: {}; services: {}", KTB_VERSION,
                     cfg.config_file.empty() ? "defaults and command line" : cfg.config_file,
                     services.empty() ? "none" : services);
        for (const auto& w : cfg.warnings) spdlog::warn("{}", w);
        if (!log_problem.empty()) spdlog::warn("{}", log_problem);
        if (host.empty()) {
            spdlog::info(
                "twin_bridge.things_enable, deployment_enable and update_agent_enable are all "
                "false: nothing to do");
            return 0;
        }
        // SIGTERM/SIGINT: stop. SIGHUP (a closed terminal, or "reload" by habit) must not kill the
        // daemon: the configuration is read at start only, so it is logged and ignored.
        boost::asio::signal_set signals(io, SIGINT, SIGTERM, SIGHUP);
        // Flush, disconnect and drain within about 2 s of the signal.
        constexpr std::chrono::milliseconds flush_budget{1000};
        bool stopping = false;
        std::function<void(const boost::system::error_code&, int)> on_signal =
            [&](const boost::system::error_code& ec, int sig) {
                if (ec) return;
                if (sig == SIGHUP) {
                    spdlog::warn(
                        "SIGHUP ignored: the configuration is read at start only; restart to apply changes");
                    signals.async_wait(on_signal);
                    return;
                }
                if (stopping) {  // a second signal: no more waiting
                    host.stop();
                    io.stop();
                    return;
                }
                stopping = true;
                spdlog::info("signal {}: answering what is in flight, sending what is queued, exiting", sig);
                signals.async_wait(on_signal);
                host.shutdown(flush_budget, [&io] { io.stop(); });
            };
        signals.async_wait(on_signal);
        host.start();
        run_loop(io);
        // Let the cancelled operations' handlers run while their adapters still exist (bounded;
        // returns as soon as none is left).
        signals.cancel();
        io.restart();
        io.run_for(std::chrono::seconds(1));
    } catch (const bridge::config_error& e) {
        std::cerr << "kanto-twin-bridge: invalid configuration: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        spdlog::critical("cannot start: {}", e.what());
        return 1;
    }
    return 0;
}
