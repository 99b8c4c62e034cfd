// Identity and registration (things.md §2.4, §6.2, §11): no twin message without the cloud
// connector's identity; after it, the registration waits for a fresh List and the persistence file,
// then publishes every feature and subscribes to the thing's commands.
#pragma once

#include <optional>
#include <set>
#include <string>

#include "actions.hpp"
#include "identity.hpp"
#include "thing_model.hpp"

namespace twin {

class registration {
  public:
    enum class state {
        no_identity,             // connected or not, nothing is published
        awaiting_list_and_file,  // an identity: waiting for a fresh List and the persistence file
        awaiting_list,
        awaiting_file,
        registered,     // features published, commands subscribed; changes are published
        thing_deleted,  // the cloud deleted the thing: features keep publishing, commands get 404
    };

    // What the caller does next.
    enum class next_step { nothing, start };  // start: a new or changed identity, (re)register

    state current() const { return state_; }
    bool publishing() const { return state_ == state::registered || state_ == state::thing_deleted; }
    bool accepting_commands() const { return state_ == state::registered && !stopping_; }
    bool in_progress() const { return state_ != state::no_identity; }

    // MQTT (re)connected: a clean session has no subscription; subscribe and ask for the identity.
    void on_connected(actions& out);
    void on_disconnected() {
        state_ = state::no_identity;
        identity_.reset();
    }
    // A message on edge/thing/response.
    next_step on_identity(const std::string& payload, thing_model& model, actions& out);
    // Publish everything again from a fresh List (lost messages, a re-created thing, a new identity).
    void start(thing_model& model, actions& out);
    void on_list(thing_model& model, actions& out);
    void on_file(const std::string& path, const std::optional<std::string>& content, const std::string& error,
                 thing_model& model, actions& out);
    // Says what a refused subscription means for the twin (the link retries it).
    void on_subscribe_failed(const std::string& filter, const std::string& reason, const thing_model& model,
                             actions& out) const;
    // Twin events for the thing itself.
    void on_thing_deleted() {
        if (state_ == state::registered) state_ = state::thing_deleted;
    }
    bool thing_deleted() const { return state_ == state::thing_deleted; }
    // The bridge stops: no more commands (the subscription is dropped); changes still publish.
    void on_stopping(actions& out);

  private:
    void finish(thing_model& model, actions& out);
    void subscribe_commands(const thing_model& model, actions& out);

    state state_ = state::no_identity;
    std::optional<identity> identity_;
    std::set<std::string> persisted_;  // from the persistence file
    std::string command_filter_;       // command//<thing>/req/# while subscribed
    bool stopping_ = false;
};

}  // namespace twin
