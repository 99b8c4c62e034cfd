// The daemon: one io_context, the twin core, and the adapters that execute its actions. Every input
// reaches the core from a handler of its own (never from inside another input), so the actions of
// one input are executed in order before the next input is handled.
#pragma once

#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "cgroup_reader.hpp"
#include "config.hpp"
#include "http_fetch.hpp"
#include "core.hpp"
#include "kanto_client.hpp"
#include "mqtt_link.hpp"
#include "state_watch.hpp"

namespace bridge {

class app {
public:
    app(boost::asio::io_context& io, const config& cfg);

    void start();
    void stop();

private:
    void execute(twin::actions actions);
    template <class F>
    void feed(F&& input);  // post an input to the core and execute its actions

    boost::asio::io_context& io_;
    const config& cfg_;
    twin::core core_;
    kanto_client kanto_;
    mqtt_link mqtt_;
    std::unique_ptr<state_watch> watch_;
    boost::asio::steady_timer poll_timer_;
    boost::asio::steady_timer metrics_timer_;
    cgroup_reader cgroups_;
    http_fetch downloads_;
    bool stopped_ = false;
};

}  // namespace bridge
