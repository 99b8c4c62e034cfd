// The Metrics feature's reporting (things.md §7.4, §9): a request starts periodic reports of the
// selected measurements; a new request replaces it; frequency 0 stops it. Each report reads the
// containers' counters (an action) and publishes what the filters select.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "command_request.hpp"
#include "core_context.hpp"
#include "metrics.hpp"

namespace twin {

class metrics_reporter {
  public:
    enum class state { off, reporting };

    void submit(const command_request& req, core_context& ctx, actions& out);
    void stop(actions& out);  // registration disposes the feature
    // A container (re)started: like Kanto's metrics event handler, give it a fresh CPU baseline.
    void container_started(const std::string& id, std::int64_t pid, actions& out);
    void on_due(std::uint64_t generation, core_context& ctx, actions& out);
    void on_read(std::uint64_t generation, bool baseline, const std::vector<metrics_sample>& samples,
                 std::int64_t unix_seconds, core_context& ctx, actions& out);

    state current() const { return state_; }

  private:
    std::vector<metrics_target> targets(const core_context& ctx) const;

    state state_ = state::off;
    metrics_request request_;
    std::uint64_t generation_ = 0;  // a new request or a stop invalidates older ticks and reads (B7)
    std::map<std::string, metrics_sample> previous_;
};

}  // namespace twin
