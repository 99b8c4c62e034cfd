#include "container_operations.hpp"

#include <boost/json.hpp>

#include "features.hpp"
#include "operation_args.hpp"

#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC bug 107138, see thing_model.cpp
#endif

namespace twin {
namespace json = boost::json;
namespace {

template <class Request>
Request for_container(const std::string& id) {
    Request r;
    r.set_id(id);
    return r;
}

std::variant<operation_plan, error_info> plan_factory(const command_request& req, const json::value* value) {
    const auto& op = req.operation;
    if (op != "create" && op != "createWithConfig") return subject_not_found("unsupported operation " + op);
    auto args = op == "create" ? decode_create(value) : decode_create_with_config(value);
    if (auto* e = std::get_if<std::string>(&args)) return parameter_invalid(*e);
    auto& a = std::get<create_args>(args);
    if (a.image_ref.empty()) return execution_failed("imageRef must be set");
    operation_plan plan;
    kcm::svc::CreateContainerRequest create;
    *create.mutable_container() = std::move(a.container);
    plan.steps.push_back(std::move(create));
    if (a.start) plan.steps.push_back(kcm::svc::StartContainerRequest{});  // its id is known after the Create
    return plan;
}

std::variant<operation_plan, error_info> plan_container(const command_request& req,
                                                        const json::value* value) {
    const auto& op = req.operation;
    const auto id = req.feature.substr(features::container_prefix.size());  // the prefix once (Q8)
    operation_plan plan{id, id, {}};
    if (op == "start") {
        plan.steps.push_back(for_container<kcm::svc::StartContainerRequest>(id));
    } else if (op == "stop" || op == "stopWithOptions") {
        auto r = for_container<kcm::svc::StopContainerRequest>(id);
        if (op == "stopWithOptions") {
            auto o = decode_stop_options(value);
            if (auto* e = std::get_if<std::string>(&o)) return parameter_invalid(*e);
            *r.mutable_stopoptions() = std::get<kcm::types::StopOptions>(o);
        }
        plan.steps.push_back(std::move(r));
    } else if (op == "pause") {
        plan.steps.push_back(for_container<kcm::svc::PauseContainerRequest>(id));
    } else if (op == "resume") {
        plan.steps.push_back(for_container<kcm::svc::UnpauseContainerRequest>(id));
    } else if (op == "rename") {
        auto name = decode_name(value);
        if (name.index() == 1) return parameter_invalid(std::get<1>(name));
        auto r = for_container<kcm::svc::RenameContainerRequest>(id);
        r.set_name(std::get<0>(name));
        plan.steps.push_back(std::move(r));
    } else if (op == "remove") {
        auto force = decode_force(value);
        if (auto* e = std::get_if<std::string>(&force)) return parameter_invalid(*e);
        auto r = for_container<kcm::svc::RemoveContainerRequest>(id);
        r.set_force(std::get<bool>(force));
        plan.steps.push_back(std::move(r));
    } else if (op == "update") {
        auto o = decode_update(value);
        if (auto* e = std::get_if<std::string>(&o)) return parameter_invalid(*e);
        auto r = for_container<kcm::svc::UpdateContainerRequest>(id);
        *r.mutable_updateoptions() = std::get<kcm::types::UpdateOptions>(o);
        plan.steps.push_back(std::move(r));
    } else {
        return subject_not_found("unsupported operation " + op);
    }
    return plan;
}

}  // namespace

std::variant<operation_plan, error_info> plan_operation(const command_request& req) {
    const auto* value = req.value ? &*req.value : nullptr;
    if (req.feature == features::container_factory) return plan_factory(req, value);
    if (req.feature.rfind(features::container_prefix, 0) == 0) return plan_container(req, value);
    return subject_not_found("unsupported operation " + req.operation);
}

void container_operations::submit(command_request req, operation_plan plan, core_context& ctx, actions& out) {
    const auto call = ctx.new_call();
    if (plan.queue.empty()) plan.queue = "create#" + std::to_string(call);
    auto& q = queues_[plan.queue];
    q.push_back(call);
    ops_.emplace(call, operation{std::move(req), std::move(plan), state::queued, std::nullopt, 0});
    if (q.size() == 1) run(call, out);
}

void container_operations::run(std::uint64_t call, actions& out) {
    auto& op = ops_.at(call);
    op.st = state::calling;
    auto step = op.plan.steps.front();
    if (auto* start = std::get_if<kcm::svc::StartContainerRequest>(&step);
        start != nullptr && start->id().empty()) {
        start->set_id(op.plan.container_id);  // the Start after a Create
    }
    out.push_back(call_kanto{call, std::move(step)});
}

void container_operations::on_kanto_done(std::uint64_t call, const kanto_result& result, core_context& ctx,
                                         actions& out) {
    auto it = ops_.find(call);
    if (it == ops_.end() || it->second.st != state::calling) return;
    auto& op = it->second;
    const bool was_create = std::holds_alternative<kcm::svc::CreateContainerRequest>(op.plan.steps.front());
    op.plan.steps.erase(op.plan.steps.begin());
    if (!result.ok) {
        if (was_create || !op.result) {
            reply_outbox_error(op.req, execution_failed(result.error), out);
            return finish(call, out);
        }
        // The Start after a successful Create failed: Kanto only logs it and still returns the id.
        out.push_back(log{log_level::warn,
                          "starting the new container " + op.plan.container_id + " failed: " + result.error});
        op.plan.steps.clear();
    }
    if (was_create && result.container) {
        op.plan.container_id = result.container->id();
        op.result = json::value(op.plan.container_id);
        // Show the new container now, as Kanto's created event does, before starting or answering it.
        ctx.observe(op.plan.container_id, &*result.container, out);
    }
    if (!op.plan.steps.empty()) return run(call, out);
    op.st = state::awaiting_read;
    op.ticket = ctx.reads.want(op.plan.container_id, out);
    if (!ctx.reads.reachable()) on_read_completed(true, {}, ctx, out);
}

void container_operations::on_read_completed(bool list, const std::string& container_id, core_context& ctx,
                                             actions& out) {
    std::vector<std::uint64_t> done;
    for (auto& [call, op] : ops_) {
        if (op.st != state::awaiting_read || !ctx.reads.fresh(op.ticket)) continue;
        if (list || op.plan.container_id == container_id || !ctx.reads.reachable()) done.push_back(call);
    }
    for (auto call : done) {
        const auto& op = ops_.at(call);
        reply_outbox(op.req, op.result ? 200 : 204, op.result, out);
        finish(call, out);
    }
}

void container_operations::abort_all(const error_info& error, actions& out) {
    for (const auto& [call, op] : ops_) reply_outbox_error(op.req, error, out);
    ops_.clear();
    queues_.clear();
}

void container_operations::finish(std::uint64_t call, actions& out) {
    auto it = ops_.find(call);
    if (it == ops_.end()) return;
    const auto queue = it->second.plan.queue;
    ops_.erase(it);
    auto& q = queues_[queue];
    std::erase(q, call);
    if (q.empty()) {
        queues_.erase(queue);
    } else if (ops_.at(q.front()).st == state::queued) {
        run(q.front(), out);
    }
}

}  // namespace twin
