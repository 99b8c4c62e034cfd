// SoftwareUpdatable and Metrics operations of the core (things.md §7.3, §7.4, §8, §9).
#include <boost/json.hpp>

#include "core.hpp"
#include "features.hpp"

namespace twin {

void core::handle_metrics(const command_request& req, actions& out) {
    const auto path = outbox_path(req.feature, req.operation);
    if (req.operation != "request") return reply_error(req, subject_not_found("unsupported operation " + req.operation), path, out);
    auto decoded = decode_metrics_request(req.value ? &*req.value : nullptr);
    if (auto* e = std::get_if<std::string>(&decoded)) return reply_error(req, parameter_invalid(*e), path, out);
    auto& request = std::get<metrics_request>(decoded);
    stop_metrics(out);  // a new request replaces filter and period and re-baselines the CPU
    if (request.period.count() > 0) {
        metrics_ = std::move(request);
        out.push_back(read_metrics{metrics_generation_, true, metrics_targets()});
        out.push_back(schedule_metrics{metrics_generation_, metrics_->period});
    }
    reply_outbox(req, 204, std::nullopt, out);
}

void core::stop_metrics(actions& out) {
    if (!metrics_) return;
    metrics_.reset();
    metrics_previous_.clear();
    ++metrics_generation_;
    out.push_back(schedule_metrics{metrics_generation_, std::chrono::milliseconds(0)});
}

std::vector<metrics_target> core::metrics_targets() const {
    std::vector<metrics_target> out;
    if (!metrics_) return out;
    for (const auto& [id, c] : known_) {  // only running or paused containers yield metrics
        const auto& status = c.state().status();
        if ((status != "Running" && status != "Paused") || c.state().pid() <= 0) continue;
        if (!originator_selected(metrics_->filters, features::container_feature_id(id))) continue;
        out.push_back({id, c.state().pid()});
    }
    return out;
}

actions core::on_metrics_due(std::uint64_t generation) {
    actions out;
    if (!metrics_ || generation != metrics_generation_) return out;  // an old timer: never races (B7)
    out.push_back(read_metrics{generation, false, metrics_targets()});
    out.push_back(schedule_metrics{generation, metrics_->period});
    return out;
}

actions core::on_metrics_read(std::uint64_t generation, bool baseline, const std::vector<metrics_sample>& samples,
                              std::int64_t unix_seconds) {
    actions out;
    if (!metrics_ || generation != metrics_generation_) return out;
    std::vector<std::pair<std::string, std::vector<measurement>>> snapshot;
    for (const auto& sample : samples) {
        auto prev = metrics_previous_.find(sample.container_id);
        if (!baseline) {
            const auto originator = features::container_feature_id(sample.container_id);
            std::vector<measurement> selected;
            for (auto& m : measurements(sample, prev == metrics_previous_.end() ? nullptr : &prev->second)) {
                if (measurement_selected(metrics_->filters, originator, m.id)) selected.push_back(std::move(m));
            }
            if (!selected.empty()) snapshot.emplace_back(originator, std::move(selected));
        }
        metrics_previous_[sample.container_id] = sample;
    }
    if (!snapshot.empty() && registered_) {
        out.push_back(publish{event_topic_, metrics_message(*thing_, snapshot, unix_seconds)});
    }
    return out;
}

}  // namespace twin
