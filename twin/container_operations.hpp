// ContainerFactory and Container:<id> operations (things.md §7.1, §7.2): each a short list of
// Kanto-CM calls. Operations on one container run one after another in arrival order; a success is
// answered after a fresh read of the container, so its twin update precedes the answer (as Kanto's).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <boost/json/value.hpp>

#include "command_request.hpp"
#include "core_context.hpp"

namespace twin {

// The Kanto-CM calls of an operation, or the error to answer at once.
struct operation_plan {
    std::string queue;         // operations of one queue run one after another
    std::string container_id;  // empty for a create until it returns
    std::vector<kanto_request> steps;
};
std::variant<operation_plan, error_info> plan_operation(const command_request& req);

class container_operations {
  public:
    enum class state { queued, calling, awaiting_read };

    // Queues a planned operation (the plan's queue may be empty: it gets one of its own).
    void submit(command_request req, operation_plan plan, core_context& ctx, actions& out);
    bool owns(std::uint64_t call) const { return ops_.count(call) != 0; }
    void on_kanto_done(std::uint64_t call, const kanto_result& result, core_context& ctx, actions& out);
    // A read completed (a List, or a Get of `container_id`): answer the operations waiting for it.
    void on_read_completed(bool list, const std::string& container_id, core_context& ctx, actions& out);

    // The bridge stops: every operation, running or queued, is answered with `error`.
    void abort_all(const error_info& error, actions& out);

    std::size_t pending() const { return ops_.size(); }

  private:
    struct operation {
        command_request req;
        operation_plan plan;
        state st = state::queued;
        std::optional<boost::json::value> result;  // 200 value (create: the new id)
        std::uint64_t ticket = 0;                  // awaiting_read: the read that shows the result
    };
    void run(std::uint64_t call, actions& out);
    void finish(std::uint64_t call, actions& out);

    std::map<std::uint64_t, operation> ops_;  // by the number of their Kanto-CM call
    std::map<std::string, std::vector<std::uint64_t>> queues_;
};

}  // namespace twin
