// The memory floor for bench-twin: a process that links and starts the same clients as the bridge
// (our Kanto-CM gRPC client with one List, our Paho MQTT link connected) and nothing else. Prints
// "ready" once both are up, then idles until SIGTERM.
#include <csignal>
#include <iostream>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "config.hpp"
#include "kanto_client.hpp"
#include "mqtt_link.hpp"

int main(int argc, char** argv) {
    if (argc != 3) {
        std::cerr << "usage: bench-floor <broker-url> <kanto-cm-socket>\n";
        return 2;
    }
    bridge::config cfg;
    cfg.broker_url = argv[1];
    cfg.grpc_address = argv[2];
    boost::asio::io_context io(1);
    bridge::kanto_client kanto(io, cfg);
    bool listed = false, connected = false;
    auto ready = [&] {
        if (listed && connected) std::cout << "ready" << std::endl;
    };
    bridge::mqtt_link mqtt(io, cfg,
                           {[&] {
                                connected = true;
                                ready();
                            },
                            [](const std::string&) {}, [](std::string, std::string) {}, [] {},
                            [](const std::string&, const std::string&) {}});
    kanto.list([&](const grpc::Status& st, std::vector<kcm::types::Container>) {
        listed = st.ok();
        ready();
    });
    mqtt.start();
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code&, int) {
        kanto.stop();
        mqtt.stop();
        io.stop();
    });
    io.run();
    return 0;
}
