// systemd's notify protocol (sd_notify from libsystemd), for a unit with Type=notify: READY=1 once
// the bridge is connected to the MQTT broker and Kanto-CM has answered (the auto-deployer: once its
// first pass is done), STATUS= lines, STOPPING=1,
// and WATCHDOG=1 from the event loop at half the unit's WatchdogSec, so a stuck loop is restarted.
// Outside systemd (no NOTIFY_SOCKET) every call does nothing.
#pragma once

#include <chrono>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace bridge {

class systemd_notify {
  public:
    explicit systemd_notify(boost::asio::io_context& io);

    // The watchdog pings, when the unit asks for them.
    void start();
    // Each part of readiness; READY=1 when both are in, once.
    void mqtt_connected();
    void kanto_answered(const std::string& version);
    // READY=1 with a status line, once; for a program whose readiness is one event.
    void ready(const std::string& status);
    void status(const std::string& text);
    void stopping();
    void stop();

  private:
    void ping();
    void check_ready();

    boost::asio::steady_timer watchdog_;
    std::chrono::microseconds interval_{0};
    bool mqtt_ = false, kanto_ = false, ready_ = false;
    std::string kanto_version_;
};

}  // namespace bridge
