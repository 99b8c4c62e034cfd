// Reading Kanto-CM (things.md §13): one request at a time, so observations arrive in the order
// Kanto-CM served them and the twin never moves back to an older state; a List on every poll, a Get
// for a hinted container; polling while Kanto-CM is reachable, capped exponential back-off while not.
#pragma once

#include <cstdint>
#include <set>
#include <string>

#include "actions.hpp"
#include "core_config.hpp"

namespace twin {

class read_scheduler {
  public:
    enum class phase { idle, reading };
    enum class availability { reachable, unreachable };
    enum class poll_timer { off, armed };

    explicit read_scheduler(const core_config& config) : config_(config) {}

    // A full List soon (start, poll, registration).
    void want_list(actions& out);
    // A Get of `id` soon. Returns the ticket of the read whose completion shows it (see fresh()).
    std::uint64_t want(const std::string& id, actions& out);
    // A state file changed: read it now, unless Kanto-CM is down (then only the back-off retries).
    void hint(const std::string& id, actions& out);
    void poll_due(actions& out);

    // Completions: a read returned (the caller then observes it and calls next()), or failed.
    void succeeded(actions& out);
    void failed(const std::string& error, actions& out);
    // Issues the next read, or arms the poll timer when there is nothing to read.
    void next(actions& out);

    // Whether the read numbered `ticket` has completed, or no fresh read can be had (Kanto-CM down).
    bool fresh(std::uint64_t ticket) const {
        return ticket <= issued_ || availability_ == availability::unreachable;
    }
    bool reachable() const { return availability_ == availability::reachable; }
    phase current() const { return phase_; }

  private:
    std::chrono::milliseconds retry_delay() const;

    const core_config& config_;
    phase phase_ = phase::idle;
    availability availability_ = availability::reachable;
    poll_timer timer_ = poll_timer::off;
    bool list_wanted_ = false;
    std::set<std::string> dirty_;  // containers to Get
    std::uint64_t issued_ = 0;     // numbers the reads, so answers can wait for a fresh one
    int failures_ = 0;             // consecutive, for the back-off
};

}  // namespace twin
