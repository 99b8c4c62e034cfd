// One command (DOWNLOAD, UPDATE, ACTIVATE, ROLLBACK or CLEANUP) carried out on a baseline's
// actions, one action at a time, as a small state machine over Kanto-CM calls:
//   DOWNLOAD  create and recreate: Create the new container (pulls the image; not started);
//   UPDATE    recreate and destroy: Stop the old container when it runs or is paused;
//             update: Update its restart policy and resources in place;
//   ACTIVATE  check and update: make sure it runs (Unpause or Start); create and recreate: Start
//             the new container;
//   ROLLBACK  update: restore the old configuration and make sure it runs; create: Remove the new
//             container; recreate: Remove the new one and make sure the old one runs. It goes on
//             after a failure;
//   CLEANUP   after ACTIVATION_SUCCESS: Remove the old containers of recreate and destroy.
// The first three stop at the first failure. Feedback: an *-ING message as each handled action
// starts, the phase result at the end (Kanto's statuses and texts).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "actions.hpp"
#include "operation.hpp"

namespace update_agent {

enum class phase { download, update, activate, rollback, cleanup };

// Publishes one feedback message of the running operation.
struct feedback_sink {
    std::string topic;
    std::int64_t now_ms = 0;
};

class command_run {
  public:
    enum class state {
        idle,
        creating,        // DOWNLOAD: Create
        inspecting_old,  // UPDATE: Get of the old container
        stopping_old,    // UPDATE: Stop
        updating,        // UPDATE: Update in place; ROLLBACK: restoring the old configuration
        inspecting,      // make sure it runs: Get
        unpausing,       // make sure it runs: Unpause
        starting,        // make sure it runs: Start
        rechecking,      // make sure it runs: Start failed, Get again (it may have been started meanwhile)
        starting_new,    // ACTIVATE: Start of the new container
        removing_new,    // ROLLBACK: Remove of the new container
        removing_old,    // CLEANUP: Remove of the old container
        done,
    };

    // `echo` is the command's baseline as given: "" or "*" for all actions, else a title of `op`.
    // Call ids come from `next_call`, shared by every run of the agent.
    command_run(operation& op, phase p, std::string echo, std::uint64_t& next_call);

    actions start(const feedback_sink& out);
    actions on_done(std::uint64_t call, const kanto::result& r, const feedback_sink& out);

    state current() const { return state_; }
    bool finished() const { return state_ == state::done; }
    std::uint64_t pending_call() const { return finished() || state_ == state::idle ? 0 : call_; }

  private:
    void succeeded(const kanto::result& r, actions& out);
    void start_answered(const kanto::result& r, const std::string& error, actions& out);
    void old_removed(bool ok, const std::string& error, actions& out);
    void next(actions& out);
    bool handles(const component_action& a) const;
    void begin_action(component_action& a, actions& out);
    void action_succeeded(std::string message, actions& out);
    void action_failed(const std::string& error, actions& out);
    void ensure_running(const std::string& id, actions& out);
    void call(kanto::request request, state next, actions& out);
    void report(const std::string& status, actions& out);
    void finish(actions& out);
    void cleanup(actions& out);
    void cleanup_next(actions& out);
    void cleanup_finish(actions& out);
    baseline_state* target();
    component_action& current_action() { return op_.actions[actions_[pos_]]; }

    operation& op_;
    bool all_;
    std::vector<std::size_t> actions_;  // the target's, copied: CLEANUP forgets the target
    phase phase_;
    std::string echo_;
    state state_ = state::idle;
    std::size_t pos_ = 0;
    bool failed_ = false;
    std::string after_ensure_;                // the message when the container runs
    std::string ensure_id_;                   // the container made sure to run
    std::string start_error_;                 // Start's error while rechecking
    std::optional<std::size_t> rolled_back_;  // ROLLBACK: the last handled action, reported late
    std::string rollback_result_;
    std::string cleanup_status_;  // the target's status when CLEANUP began
    std::uint64_t call_ = 0;
    std::uint64_t& next_call_;
    const feedback_sink* sink_ = nullptr;
};

const char* phase_name(phase p);

}  // namespace update_agent
