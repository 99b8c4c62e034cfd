// A second publisher of our thing: Kanto-CM's own things service left on publishes the same
// features to the same thing, and the twin flaps between two views. The core subscribes to its own
// event topic (QoS 0) and expects each of its messages back in order; a message it did not publish
// is someone else's, and a warning says what to turn off. Messages are told apart by a hash of
// their bytes, so a copy identical to ours still shows: one of the two arrivals finds nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>

#include "actions.hpp"

namespace twin {

class echo_watch {
  public:
    enum class state {
        off,       // no thing yet, or between sessions (our publishes are still noted)
        watching,  // subscribed to the thing's event topic
        given_up,  // the broker refused the subscription or never delivers our own messages
    };

    // A thing to publish to (a first or changed identity): watch its event topic.
    void watch(const std::string& topic, actions& out);
    // Connected again or disconnected: a clean session has no subscription; the next identity
    // subscribes again. What the link still holds is expected: it may go out after that.
    void on_session_lost();
    // Called with each action list the core returns: remembers our publishes on the topic, also
    // between sessions.
    void sent(actions& out);
    // A message on an event topic: ours is crossed off, anyone else's counted and warned about.
    void on_message(const std::string& topic, const std::string& payload, actions& out);
    void on_subscribe_failed(const std::string& filter, const std::string& reason, actions& out);

    state current() const { return state_; }
    const std::string& topic() const { return topic_; }
    std::uint64_t foreign() const { return foreign_; }  // messages on the topic that were not ours
    std::size_t expected() const { return expected_.size(); }

  private:
    void give_up(const std::string& why, actions& out);

    // Echoes not yet seen that are remembered (128 KiB). Filled while subscribed without a single
    // echo, the broker does not deliver them (an ACL that allows publishing but not reading, say)
    // and watching stops; otherwise the oldest is forgotten (a backlog this deep is a long outage
    // or a burst of over 16k messages, when a late echo of a forgotten one would be taken for
    // someone else's).
    static constexpr std::size_t capacity = 16384;

    state state_ = state::off;
    std::string topic_;
    std::deque<std::uint64_t> expected_;  // hashes of our messages not yet seen back, oldest first
    bool echoed_ = false;                 // an echo arrived since watching began
    std::uint64_t foreign_ = 0;           // messages on the topic that were not ours
    std::uint64_t next_warning_ = 1;      // warn at the 1st, 10th, 100th, ... foreign message
};

}  // namespace twin
