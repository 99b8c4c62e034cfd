// The update agent core (Kanto's container update agent, sans-I/O). Inputs: the MQTT messages of
// its three inbound topics, connects, Kanto-CM's answers, the time. Outputs: feedback and current
// state publishes, Kanto-CM calls, log lines.
//   desired state  -> decode, convert and check (IDENTIFICATION_FAILED), IDENTIFYING, List,
//                     identify, IDENTIFIED (+ COMPLETED when there is nothing to do); an operation
//                     with actions replaces the current one;
//   command        -> for the current operation's activityId only: DOWNLOAD, UPDATE, ACTIVATE,
//                     ROLLBACK, CLEANUP on all actions or on one baseline (command_run);
//   currentstate/get, connect -> List, the inventory (retained), at once; requests arriving while
//                     a List is in flight share the next one.
// Desired states and commands are handled one at a time in arrival order: those arriving meanwhile
// wait in a bounded queue.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actions.hpp"
#include "command_run.hpp"
#include "envelope.hpp"
#include "inventory.hpp"
#include "operation.hpp"
#include "topics.hpp"

namespace update_agent {

struct agent_config {
    std::string domain = "containers";
    std::vector<std::string> system_containers;
    bool verbose_inventory = false;
    std::size_t max_payload = 256 * 1024;  // larger desired states are refused with a feedback
    std::size_t max_pending = 64;          // desired states and commands waiting for the running one
    // Without an update manager: after IDENTIFIED, run DOWNLOAD, UPDATE, ACTIVATE and CLEANUP (CLEANUP
    // right after a failure) as the update manager would command them. Off: wait for commands.
    bool auto_apply = false;
};

class agent {
  public:
    enum class state { idle, identifying, commanding };

    explicit agent(agent_config cfg);

    const update_agent::topics& topics() const { return topics_; }
    std::vector<std::string> inbound_topics() const;

    actions on_connected(std::int64_t now_ms);
    actions on_message(const std::string& topic, std::string_view payload, std::int64_t now_ms);
    actions on_listed(std::uint64_t tag, bool ok, const std::string& error,
                      const std::vector<kcm::types::Container>& containers, std::int64_t now_ms);
    actions on_kanto_done(std::uint64_t call, const kanto::result& r, std::int64_t now_ms);
    // The bridge stops: an identification in flight ends IDENTIFICATION_FAILED and a running phase
    // ends as if Kanto-CM had failed its call (<PHASE>_FAILURE), both with the same reason; inputs
    // still waiting are dropped, and nothing is accepted afterwards.
    actions on_stopping(std::int64_t now_ms);
    // Kanto-CM's project version, reported as the agent's version.
    void set_agent_version(std::string version) { inventory_.agent_version = std::move(version); }

    state current() const { return state_; }
    const operation* current_operation() const { return op_ ? &*op_ : nullptr; }
    std::size_t pending() const { return queue_.size(); }

  private:
    enum class kind { desired_state, command };
    struct input {
        kind what;
        inbound_envelope envelope;
    };

    void accept(kind what, const std::string& topic, std::string_view payload, std::int64_t now,
                actions& out);
    void process(input in, std::int64_t now, actions& out);
    void desired_state(inbound_envelope env, std::int64_t now, actions& out);
    void command(const inbound_envelope& env, std::int64_t now, actions& out);
    void identified(const std::vector<kcm::types::Container>& containers, std::int64_t now, actions& out);
    void start_command(const std::string& name, const std::string& baseline, std::int64_t now, actions& out);
    void run_finished(std::int64_t now, actions& out);
    void drain(std::int64_t now, actions& out);
    void request_inventory(std::string activity_id, actions& out);
    void list_for_inventory(actions& out);
    void answer_inventory(bool ok, const std::string& error,
                          const std::vector<kcm::types::Container>& containers, std::int64_t now,
                          actions& out);
    void feedback(const std::string& activity_id, std::int64_t now, const std::string& status,
                  const std::string& message, const std::string& baseline,
                  const std::vector<component_action>* list, actions& out);

    agent_config cfg_;
    update_agent::topics topics_;
    inventory_config inventory_;
    state state_ = state::idle;
    std::deque<input> queue_;
    std::uint64_t next_tag_ = 1, next_call_ = 1;
    std::uint64_t inventory_tag_ = 0;             // the List in flight for current-state requests
    std::vector<std::string> inventory_listing_;  // the requests it answers (activityIds)
    std::vector<std::string> inventory_waiting_;  // those that arrived since it was sent
    std::uint64_t identify_tag_ = 0;
    std::string identifying_activity_;
    std::optional<prepared_state> prepared_;
    std::optional<operation> op_;
    std::optional<command_run> run_;
    std::string auto_activity_;  // the operation this agent drives itself (auto_apply)
    feedback_sink sink_;
    bool stopping_ = false;
};

}  // namespace update_agent
