// The twin service ("things"): twin::core bound to the host's adapters, plus what only the twin
// uses: the poll and metrics timers, the state-file watch and the persistence file. Every input
// reaches the core from a handler of its own (never from inside another input), so the actions of
// one input are executed in order before the next input is handled.
#pragma once

#include <map>
#include <memory>

#include <boost/asio/steady_timer.hpp>

#include "adapters.hpp"
#include "core.hpp"
#include "service.hpp"
#include "state_watch.hpp"

namespace bridge {

class twin_service final : public service {
  public:
    explicit twin_service(adapters& shared);

    const char* name() const override { return "twin (things)"; }
    std::vector<std::string> topic_filters() const override { return twin::core::topic_filters(); }
    void start() override;
    void stop() override;
    void on_stopping() override;
    void on_connected() override;
    void on_disconnected() override;
    void on_message(std::string topic, std::string payload) override;
    void on_resync_needed() override;
    void on_subscribe_failed(const std::string& filter, const std::string& reason) override;

  private:
    void execute(twin::actions actions);
    void execute_one(twin::action& a);
    template <class F>
    void feed(F&& input);  // post an input to the core and execute its actions

    adapters& a_;
    twin::core core_;
    std::unique_ptr<state_watch> watch_;
    boost::asio::steady_timer poll_timer_;
    boost::asio::steady_timer metrics_timer_;
    // When each answered command arrived, by request id: its answer is logged at DEBUG with the
    // status and the time taken (bounded: a command never answered does not grow it forever).
    std::map<std::string, std::chrono::steady_clock::time_point> commands_;
    bool stopped_ = false;
};

twin::core_config twin_core_config(const config& cfg);

}  // namespace bridge
