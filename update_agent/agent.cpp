#include "agent.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "feedback.hpp"

namespace update_agent {
namespace {

struct command_rule {
    const char* name;
    phase p;
    const char* failure;                     // the status of a refused command
    std::vector<const char*> allowed_after;  // empty: any status
};

const command_rule* rule_of(const std::string& name) {
    static const command_rule rules[] = {
        {"DOWNLOAD", phase::download, "DOWNLOAD_FAILURE", {"IDENTIFIED"}},
        {"UPDATE", phase::update, "UPDATE_FAILURE", {"DOWNLOAD_SUCCESS"}},
        {"ACTIVATE", phase::activate, "ACTIVATION_FAILURE", {"UPDATE_SUCCESS"}},
        {"ROLLBACK",
         phase::rollback,
         "ROLLBACK_FAILURE",
         {"DOWNLOAD_SUCCESS", "UPDATE_SUCCESS", "ACTIVATION_FAILURE", "ACTIVATION_SUCCESS"}},
        {"CLEANUP", phase::cleanup, "CLEANUP", {}},  // Kanto reports an unknown baseline with CLEANUP
    };
    for (const auto& r : rules) {
        if (name == r.name) return &r;
    }
    return nullptr;
}

std::string joined(const std::vector<const char*>& statuses) {
    std::string out;
    for (const auto* s : statuses) out += (out.empty() ? "" : "|") + std::string(s);
    return out;
}

}  // namespace

agent::agent(agent_config cfg) : cfg_(std::move(cfg)), topics_(topics_for(cfg_.domain)) {
    inventory_.domain = cfg_.domain;
    inventory_.verbose = cfg_.verbose_inventory;
    sink_.topic = topics_.feedback;
}

std::vector<std::string> agent::inbound_topics() const {
    return {topics_.desired_state, topics_.command, topics_.current_state_get};
}

actions agent::on_connected(std::int64_t now_ms) {
    actions out;
    request_inventory(fmt::format("initial-current-state-{}", now_ms), out);
    return out;
}

actions agent::on_message(const std::string& topic, std::string_view payload, std::int64_t now_ms) {
    actions out;
    if (stopping_) return out;
    if (topic == topics_.desired_state) {
        accept(kind::desired_state, topic, payload, now_ms, out);
    } else if (topic == topics_.command) {
        accept(kind::command, topic, payload, now_ms, out);
    } else if (topic == topics_.current_state_get) {
        // Answered at once, even while a command runs, as in Kanto.
        inbound_envelope env;
        if (payload.size() > cfg_.max_payload) {
            out.push_back(
                log{log_level::error, fmt::format("update agent: dropped a {}-byte message on {}: larger "
                                                  "than the limit of {} bytes",
                                                  payload.size(), topic, cfg_.max_payload)});
        } else if (auto e = decode_envelope(payload, env); !e.empty()) {
            out.push_back(
                log{log_level::error, fmt::format("update agent: dropped a message on {}: {}", topic, e)});
        } else {
            request_inventory(env.activity_id, out);
        }
    }
    return out;
}

void agent::accept(kind what, const std::string& topic, std::string_view payload, std::int64_t now,
                   actions& out) {
    input in{what, {}};
    if (payload.size() > cfg_.max_payload) {
        const auto why = fmt::format("the message is {} bytes, more than the limit of {} bytes",
                                     payload.size(), cfg_.max_payload);
        out.push_back(
            log{log_level::error, fmt::format("update agent: refused a message on {}: {}", topic, why)});
        if (what == kind::desired_state) feedback("", now, "IDENTIFICATION_FAILED", why, {}, nullptr, out);
        return;
    }
    if (auto e = decode_envelope(payload, in.envelope); !e.empty()) {
        out.push_back(
            log{log_level::error, fmt::format("update agent: dropped a message on {}: {}", topic, e)});
        return;
    }
    if (state_ != state::idle) {
        if (queue_.size() >= cfg_.max_pending) {
            out.push_back(log{log_level::error,
                              fmt::format("update agent: dropped a message on {} (activityId \"{}\"): {} are "
                                          "already waiting",
                                          topic, in.envelope.activity_id, queue_.size())});
            return;
        }
        queue_.push_back(std::move(in));
        return;
    }
    process(std::move(in), now, out);
}

void agent::process(input in, std::int64_t now, actions& out) {
    if (in.what == kind::desired_state) {
        desired_state(std::move(in.envelope), now, out);
    } else {
        command(in.envelope, now, out);
    }
}

void agent::drain(std::int64_t now, actions& out) {
    while (state_ == state::idle && !queue_.empty()) {
        auto in = std::move(queue_.front());
        queue_.pop_front();
        process(std::move(in), now, out);
    }
}

void agent::desired_state(inbound_envelope env, std::int64_t now, actions& out) {
    update_agent::desired_state ds;
    if (auto e = decode_desired_state(env.payload, ds); !e.empty()) {
        out.push_back(
            log{log_level::error, fmt::format("update agent: dropped the desired state \"{}\" on {}: {}",
                                              env.activity_id, topics_.desired_state, e)});
        return;
    }
    prepared_state p;
    auto error = prepare(ds, cfg_.domain, cfg_.system_containers, p);
    for (const auto& w : p.warnings) {
        out.push_back(
            log{log_level::warn, fmt::format("update agent: desired state \"{}\": {}", env.activity_id, w)});
    }
    if (!error.empty()) {
        out.push_back(log{log_level::error,
                          fmt::format("update agent: desired state \"{}\": {}", env.activity_id, error)});
        return feedback(env.activity_id, now, "IDENTIFICATION_FAILED", error, {}, nullptr, out);
    }
    feedback(env.activity_id, now, "IDENTIFYING", {}, {}, nullptr, out);
    prepared_ = std::move(p);
    identifying_activity_ = std::move(env.activity_id);
    identify_tag_ = next_tag_++;
    state_ = state::identifying;
    out.emplace_back(std::in_place_type<list_containers>, identify_tag_);
}

actions agent::on_listed(std::uint64_t tag, bool ok, const std::string& error,
                         const std::vector<kcm::types::Container>& containers, std::int64_t now_ms) {
    actions out;
    if (tag == inventory_tag_ && tag != 0) {
        inventory_tag_ = 0;
        answer_inventory(ok, error, containers, now_ms, out);
        return out;
    }
    if (tag != identify_tag_ || state_ != state::identifying) return out;
    identify_tag_ = 0;
    state_ = state::idle;
    if (!ok) {
        out.push_back(
            log{log_level::error, fmt::format("update agent: desired state \"{}\": listing the containers "
                                              "failed: {}",
                                              identifying_activity_, error)});
        feedback(identifying_activity_, now_ms, "IDENTIFICATION_FAILED", error, {}, nullptr, out);
    } else {
        identified(containers, now_ms, out);
    }
    prepared_.reset();
    drain(now_ms, out);
    return out;
}

void agent::identified(const std::vector<kcm::types::Container>& containers, std::int64_t now, actions& out) {
    std::vector<std::string> warnings;
    auto op = identify(*prepared_, cfg_.domain, identifying_activity_, containers, warnings);
    for (const auto& w : warnings) {
        out.push_back(
            log{log_level::warn, fmt::format("update agent: desired state \"{}\": {}", op.activity_id, w)});
    }
    feedback(op.activity_id, now, "IDENTIFIED", {}, {}, &op.actions, out);
    if (op.actions.empty()) {  // nothing to do; an operation in progress stays current
        feedback(op.activity_id, now, "COMPLETED", {}, {}, nullptr, out);
        return;
    }
    if (op_) {
        out.push_back(
            log{log_level::warn, fmt::format("update agent: desired state \"{}\" replaces \"{}\", which "
                                             "was not cleaned up",
                                             op.activity_id, op_->activity_id)});
    }
    op_ = std::move(op);
    auto_activity_.clear();
    if (cfg_.auto_apply) {
        auto_activity_ = op_->activity_id;
        start_command("DOWNLOAD", {}, now, out);
    }
}

void agent::command(const inbound_envelope& env, std::int64_t now, actions& out) {
    update_agent::command cmd;
    if (auto e = decode_command(env.payload, cmd); !e.empty()) {
        out.push_back(log{log_level::error,
                          fmt::format("update agent: dropped a command for \"{}\": {}", env.activity_id, e)});
        return;
    }
    if (!op_ || op_->activity_id != env.activity_id) {
        out.push_back(
            log{log_level::warn,
                fmt::format("update agent: ignored the command {} for \"{}\": {}", cmd.name, env.activity_id,
                            op_ ? "another operation is current (\"" + op_->activity_id + "\")"
                                : std::string("no operation is current"))});
        return;
    }
    start_command(cmd.name, cmd.baseline, now, out);
}

void agent::start_command(const std::string& name, const std::string& baseline, std::int64_t now,
                          actions& out) {
    const auto* rule = rule_of(name);
    if (rule == nullptr) {
        out.push_back(
            log{log_level::warn, fmt::format("update agent: ignored the unknown command \"{}\" for \"{}\"",
                                             name, op_->activity_id)});
        return;
    }
    const bool all = baseline.empty() || baseline == "*";
    const baseline_state* target = all ? &op_->all : op_->find_baseline(baseline);
    if (target == nullptr) {
        return feedback(op_->activity_id, now, rule->failure, "Unknown baseline " + baseline, baseline,
                        &op_->actions, out);
    }
    const auto& allowed = rule->allowed_after;
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), target->status) == allowed.end()) {
        return feedback(op_->activity_id, now, rule->failure,
                        fmt::format("{} is possible only after status {} is reported", name, joined(allowed)),
                        baseline, &op_->actions, out);
    }
    out.push_back(log{log_level::info, fmt::format("update agent: {} of \"{}\"{}", name, op_->activity_id,
                                                   all ? "" : " baseline " + baseline)});
    sink_.now_ms = now;
    run_.emplace(*op_, rule->p, baseline, next_call_);
    state_ = state::commanding;
    auto started = run_->start(sink_);
    out.insert(out.end(), std::make_move_iterator(started.begin()), std::make_move_iterator(started.end()));
    if (run_->finished()) run_finished(now, out);
}

actions agent::on_kanto_done(std::uint64_t call, const kanto::result& r, std::int64_t now_ms) {
    actions out;
    if (!run_ || state_ != state::commanding) return out;
    sink_.now_ms = now_ms;
    out = run_->on_done(call, r, sink_);
    if (run_->finished()) {
        run_finished(now_ms, out);
        drain(now_ms, out);
    }
    return out;
}

actions agent::on_stopping(std::int64_t now_ms) {
    constexpr const char* reason = kanto::interrupted_by_stop;
    actions out;
    stopping_ = true;
    sink_.now_ms = now_ms;
    if (state_ == state::identifying) {
        feedback(identifying_activity_, now_ms, "IDENTIFICATION_FAILED", reason, {}, nullptr, out);
    } else if (state_ == state::commanding && run_ && run_->pending_call() != 0) {
        // Only the feedback and the log lines: nothing is called any more.
        for (auto& a :
             run_->on_done(run_->pending_call(), kanto::result{false, reason, std::nullopt}, sink_)) {
            if (!std::holds_alternative<call_kanto>(a) && !std::holds_alternative<list_containers>(a))
                out.push_back(std::move(a));
        }
    }
    if (!queue_.empty())
        out.push_back(log{log_level::warn, fmt::format("update agent: stopping with {} desired state(s) or "
                                                       "command(s) not started",
                                                       queue_.size())});
    queue_.clear();
    run_.reset();
    state_ = state::idle;
    return out;
}

void agent::run_finished(std::int64_t now, actions& out) {
    run_.reset();
    state_ = state::idle;
    if (!op_) return;
    if (op_->baselines.empty()) {  // CLEANUP forgot the last baseline
        out.push_back(
            log{log_level::info, fmt::format("update agent: operation \"{}\" is over", op_->activity_id)});
        op_.reset();
        return;
    }
    if (op_->activity_id != auto_activity_) return;
    // Driven by this agent: the next command, as the update manager sends it.
    const auto& status = op_->all.status;
    const char* next = status == "DOWNLOAD_SUCCESS" ? "UPDATE"
                       : status == "UPDATE_SUCCESS" ? "ACTIVATE"
                                                    : "CLEANUP";
    start_command(next, {}, now, out);
}

void agent::request_inventory(std::string activity_id, actions& out) {
    if (inventory_waiting_.size() >= cfg_.max_pending) {
        out.push_back(
            log{log_level::error, fmt::format("update agent: dropped the current-state request \"{}\": {} "
                                              "are already waiting",
                                              activity_id, inventory_waiting_.size())});
        return;
    }
    inventory_waiting_.push_back(std::move(activity_id));
    list_for_inventory(out);
}

// One List at a time serves every request that arrived before it was sent.
void agent::list_for_inventory(actions& out) {
    if (inventory_tag_ != 0 || inventory_waiting_.empty()) return;
    inventory_listing_ = std::move(inventory_waiting_);
    inventory_waiting_.clear();
    inventory_tag_ = next_tag_++;
    out.emplace_back(std::in_place_type<list_containers>, inventory_tag_);
}

void agent::answer_inventory(bool ok, const std::string& error,
                             const std::vector<kcm::types::Container>& containers, std::int64_t now,
                             actions& out) {
    auto sorted = ok ? containers : std::vector<kcm::types::Container>{};
    if (!ok) {
        out.push_back(
            log{log_level::warn, fmt::format("update agent: listing the containers failed ({}): the current "
                                             "state shows the agent only",
                                             error)});
    }
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const auto& a, const auto& b) { return a.name() < b.name(); });
    const auto payload = inventory(sorted, inventory_);
    for (const auto& activity : inventory_listing_) {
        out.push_back(publish{topics_.current_state, encode_envelope(activity, now, payload), true});
    }
    inventory_listing_.clear();
    list_for_inventory(out);
}

void agent::feedback(const std::string& activity_id, std::int64_t now, const std::string& status,
                     const std::string& message, const std::string& baseline,
                     const std::vector<component_action>* list, actions& out) {
    out.push_back(
        publish{topics_.feedback,
                encode_envelope(activity_id, now, feedback_payload(status, baseline, message, list)), false});
}

}  // namespace update_agent
