#include "systemd_notify.hpp"

#include <systemd/sd-daemon.h>

#include <spdlog/spdlog.h>

namespace bridge {

systemd_notify::systemd_notify(boost::asio::io_context& io) : watchdog_(io) {}

void systemd_notify::start() {
    std::uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return;
    interval_ = std::chrono::microseconds(usec / 2);
    spdlog::info("systemd watchdog: a ping every {} ms", interval_.count() / 1000);
    ping();
}

void systemd_notify::ping() {
    sd_notify(0, "WATCHDOG=1");
    watchdog_.expires_after(interval_);
    watchdog_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) ping();
    });
}

void systemd_notify::mqtt_connected() {
    mqtt_ = true;
    check_ready();
}

void systemd_notify::kanto_answered(const std::string& version) {
    kanto_ = true;
    kanto_version_ = version;
    check_ready();
}

void systemd_notify::check_ready() {
    if (mqtt_ && kanto_) ready("connected to the MQTT broker and to Kanto-CM " + kanto_version_);
}

void systemd_notify::ready(const std::string& status) {
    if (ready_) return;
    ready_ = true;
    sd_notify(0, ("READY=1\nSTATUS=" + status).c_str());
}

void systemd_notify::status(const std::string& text) {
    sd_notify(0, ("STATUS=" + text).c_str());
}

void systemd_notify::stopping() {
    sd_notify(0, "STOPPING=1");
}

void systemd_notify::stop() {
    watchdog_.cancel();
}

}  // namespace bridge
