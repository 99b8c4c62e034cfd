// A service the host runs: a sans-I/O core (the twin; next the auto-deployer and the update agent)
// behind a thin binding that executes the core's actions with the host's shared adapters.
#pragma once

#include <string>
#include <vector>

namespace bridge {

class service {
  public:
    virtual ~service() = default;

    virtual const char* name() const = 0;
    // Filters of the inbound topics the service owns: the host routes each message by them.
    virtual std::vector<std::string> topic_filters() const = 0;

    virtual void start() = 0;
    // Cancels the service's timers and watches; no input reaches the core afterwards.
    virtual void stop() = 0;
    // A graceful stop: stop taking requests and answer (or fail) what is in flight while the link
    // can still send it, then stop().
    virtual void on_stopping() { stop(); }

    // The shared MQTT link's events.
    virtual void on_connected() = 0;
    virtual void on_disconnected() = 0;
    virtual void on_message(std::string topic, std::string payload) = 0;
    virtual void on_resync_needed() = 0;  // outbound messages were dropped
    virtual void on_subscribe_failed(const std::string& filter, const std::string& reason) = 0;
};

}  // namespace bridge
