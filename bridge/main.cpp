// kanto-twin-bridge: the digital twin of a Kanto-CM device's containers, over MQTT.
#include <csignal>
#include <iostream>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "app.hpp"
#include "config.hpp"

namespace {

spdlog::level::level_enum level_of(std::string text) {
    for (auto& ch : text) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (text == "ERROR") return spdlog::level::err;
    if (text == "WARN") return spdlog::level::warn;
    if (text == "DEBUG") return spdlog::level::debug;
    if (text == "TRACE") return spdlog::level::trace;
    return spdlog::level::info;
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
    auto logger = spdlog::stderr_color_mt("kanto-twin-bridge");
    spdlog::set_default_logger(logger);
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %v");
    spdlog::set_level(level_of(cfg.log_level));
    std::signal(SIGPIPE, SIG_IGN);

    if (!cfg.things_enable) {
        spdlog::info("things.enable is false: nothing to do");
        return 0;
    }
    try {
        boost::asio::io_context io(1);
        bridge::app app(io, cfg);
        boost::asio::signal_set signals(io, SIGINT, SIGTERM);
        signals.async_wait([&](const boost::system::error_code& ec, int sig) {
            if (ec) return;
            spdlog::info("signal {}: disconnecting and exiting", sig);
            app.stop();
            io.stop();
        });
        app.start();
        io.run();
    } catch (const bridge::config_error& e) {
        std::cerr << "kanto-twin-bridge: invalid configuration: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        spdlog::critical("cannot start: {}", e.what());
        return 1;
    }
    return 0;
}
