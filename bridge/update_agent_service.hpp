// The update agent service: update_agent::agent (Kanto's container update agent) bound to the
// host's shared MQTT link and Kanto-CM client. It subscribes to its three inbound topics on every
// connect and publishes the current state (retained) then; Kanto-CM's version, reported as the
// agent's, is asked once before the first current state.
#pragma once

#include "adapters.hpp"
#include "agent.hpp"
#include "service.hpp"

namespace bridge {

class update_agent_service final : public service {
  public:
    explicit update_agent_service(adapters& shared);

    const char* name() const override { return "update agent"; }
    std::vector<std::string> topic_filters() const override { return core_.inbound_topics(); }
    void start() override;
    void stop() override { stopped_ = true; }
    void on_stopping() override;
    void on_connected() override;
    void on_disconnected() override {}
    void on_message(std::string topic, std::string payload) override;
    void on_resync_needed() override {}
    void on_subscribe_failed(const std::string& filter, const std::string& reason) override;

    const update_agent::agent& core() const { return core_; }

  private:
    void execute(update_agent::actions actions);
    void list(std::uint64_t tag);
    template <class F>
    void feed(F&& input);  // post an input to the core and execute its actions

    adapters& a_;
    update_agent::agent core_;
    bool version_known_ = false;
    bool stopped_ = false;
};

update_agent::agent_config update_agent_config(const config& cfg);

}  // namespace bridge
