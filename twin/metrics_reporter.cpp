#include "metrics_reporter.hpp"

#include "features.hpp"

namespace twin {

void metrics_reporter::submit(const command_request& req, core_context& ctx, actions& out) {
    if (req.operation != "request") {
        return reply_outbox_error(req, subject_not_found("unsupported operation " + req.operation), out);
    }
    auto decoded = decode_metrics_request(req.value ? &*req.value : nullptr);
    if (auto* e = std::get_if<std::string>(&decoded))
        return reply_outbox_error(req, parameter_invalid(*e), out);
    stop(out);  // a new request replaces filter and period and re-baselines the CPU
    auto& request = std::get<metrics_request>(decoded);
    if (request.period.count() > 0) {
        state_ = state::reporting;
        request_ = std::move(request);
        out.push_back(read_metrics{generation_, true, targets(ctx)});
        out.push_back(schedule_metrics{generation_, request_.period});
    }
    reply_outbox(req, 204, std::nullopt, out);
}

void metrics_reporter::stop(actions& out) {
    if (state_ == state::off) return;
    state_ = state::off;
    request_ = {};
    previous_.clear();
    ++generation_;
    out.push_back(schedule_metrics{generation_, std::chrono::milliseconds(0)});
}

void metrics_reporter::container_started(const std::string& id, std::int64_t pid, actions& out) {
    if (state_ == state::reporting) out.push_back(read_metrics{generation_, true, {{id, pid}}});
}

std::vector<metrics_target> metrics_reporter::targets(const core_context& ctx) const {
    std::vector<metrics_target> out;
    for (const auto& [id, c] : ctx.model.containers()) {  // only running or paused containers yield metrics
        const auto& status = c.state().status();
        if ((status != "Running" && status != "Paused") || c.state().pid() <= 0) continue;
        if (!originator_selected(request_.filters, features::container_feature_id(id))) continue;
        out.push_back({id, c.state().pid()});
    }
    return out;
}

void metrics_reporter::on_due(std::uint64_t generation, core_context& ctx, actions& out) {
    if (state_ != state::reporting || generation != generation_) return;  // an old timer: never races (B7)
    out.push_back(read_metrics{generation, false, targets(ctx)});
    out.push_back(schedule_metrics{generation, request_.period});
}

void metrics_reporter::on_read(std::uint64_t generation, bool baseline,
                               const std::vector<metrics_sample>& samples, std::int64_t unix_seconds,
                               core_context& ctx, actions& out) {
    if (state_ != state::reporting || generation != generation_) return;
    std::vector<std::pair<std::string, std::vector<measurement>>> snapshot;
    for (const auto& sample : samples) {
        auto prev = previous_.find(sample.container_id);
        if (!baseline) {
            const auto originator = features::container_feature_id(sample.container_id);
            std::vector<measurement> selected;
            for (auto& m : measurements(sample, prev == previous_.end() ? nullptr : &prev->second)) {
                if (measurement_selected(request_.filters, originator, m.id))
                    selected.push_back(std::move(m));
            }
            if (!selected.empty()) snapshot.emplace_back(originator, std::move(selected));
        }
        previous_[sample.container_id] = sample;
    }
    if (!snapshot.empty() && ctx.reg.publishing()) {
        ctx.model.publish_event(metrics_message(*ctx.model.thing(), snapshot, unix_seconds), out);
    }
}

}  // namespace twin
