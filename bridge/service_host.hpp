// The daemon: one io_context, the shared adapters, and the services its configuration enables.
// The host routes each inbound MQTT message to the service whose topic filters match it, passes the
// link's events to every service, and on stop cancels and drains everything in order: services
// (timers, watches), then the Kanto-CM client (calls in flight), then the MQTT link.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "adapters.hpp"
#include "cgroup_reader.hpp"
#include "config.hpp"
#include "http_fetch.hpp"
#include "kanto_client.hpp"
#include "mqtt_link.hpp"
#include "service.hpp"
#include "systemd_notify.hpp"

namespace bridge {

class service_host {
  public:
    service_host(boost::asio::io_context& io, const config& cfg);
    ~service_host();
    service_host(const service_host&) = delete;
    service_host& operator=(const service_host&) = delete;

    adapters& shared() { return adapters_; }
    void add(std::unique_ptr<service> s);
    bool empty() const { return services_.empty(); }

    void start();
    // SIGTERM: the services answer what is in flight, calls to Kanto-CM are cancelled, the link
    // sends what is queued for at most `flush_budget`, then stop() and `done`.
    void shutdown(std::chrono::milliseconds flush_budget, std::function<void()> done);
    void stop();

  private:
    service* owner_of(const std::string& topic) const;
    void probe_kanto();  // until Kanto-CM answers once: readiness for systemd
    template <class F>
    void each(F&& f) {
        for (auto& s : services_) f(*s);
    }

    boost::asio::io_context& io_;
    const config& cfg_;
    kanto_client kanto_;
    http_fetch http_;
    cgroup_reader cgroups_;
    mqtt_link mqtt_;
    adapters adapters_;
    std::vector<std::unique_ptr<service>> services_;
    systemd_notify notify_;
    boost::asio::steady_timer probe_timer_;
    bool stopped_ = false;
};

}  // namespace bridge
