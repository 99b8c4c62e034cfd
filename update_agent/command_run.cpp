#include "command_run.hpp"

#include <fmt/format.h>

#include "envelope.hpp"
#include "feedback.hpp"

namespace update_agent {
namespace {

constexpr const char* created_text = "New container created.";
constexpr const char* stopped_text = "Old container instance is stopped.";
constexpr const char* updated_text = "Container instance is updated with new configuration.";
constexpr const char* running_text = "Existing container instance is running.";
constexpr const char* started_text = "New container instance is started.";
constexpr const char* removed_text = "Old container instance is removed.";
constexpr const char* rolled_back_update =
    "Update unsuccessful, but rollback succeeded - container configuration restored from older instance.";
constexpr const char* rolled_back_recreate =
    "Update unsuccessful, but rollback succeeded - new container instance destroyed, old container instance "
    "restored.";
constexpr const char* rolled_back_create =
    "Update unsuccessful, but rollback succeeded - new container instance destroyed.";

struct phase_texts {
    const char* action_in_progress;  // the action's status while it is worked on
    const char* in_progress;         // the feedback's status then
    const char* action_success;
    const char* action_failure;
    const char* success;
    const char* failure;
};

const phase_texts& texts(phase p) {
    static const phase_texts table[] = {
        {"DOWNLOADING", "DOWNLOADING", "DOWNLOAD_SUCCESS", "DOWNLOAD_FAILURE", "DOWNLOAD_SUCCESS",
         "DOWNLOAD_FAILURE"},
        {"UPDATING", "UPDATING", "UPDATE_SUCCESS", "UPDATE_FAILURE", "UPDATE_SUCCESS", "UPDATE_FAILURE"},
        {"ACTIVATING", "ACTIVATING", "ACTIVATION_SUCCESS", "ACTIVATION_FAILURE", "ACTIVATION_SUCCESS",
         "ACTIVATION_FAILURE"},
        {"UPDATING", "ROLLBACK", "UPDATE_FAILURE", "UPDATE_FAILURE", "ROLLBACK_SUCCESS", "ROLLBACK_FAILURE"},
        {"", "CLEANUP", "REMOVAL_SUCCESS", "REMOVAL_FAILURE", "CLEANUP_SUCCESS", "CLEANUP_FAILURE"},
    };
    return table[static_cast<int>(p)];
}

bool running_or_paused(const kcm::types::Container& c) {
    return c.state().status() == "Running" || c.state().status() == "Paused";
}

template <class Request>
Request with_id(const std::string& id) {
    Request r;
    r.set_id(id);
    return r;
}

}  // namespace

const char* phase_name(phase p) {
    static const char* names[] = {"DOWNLOAD", "UPDATE", "ACTIVATE", "ROLLBACK", "CLEANUP"};
    return names[static_cast<int>(p)];
}

command_run::command_run(operation& op, phase p, std::string echo, std::uint64_t& next_call)
    : op_(op), all_(echo.empty() || echo == "*"), phase_(p), echo_(std::move(echo)), next_call_(next_call) {
    if (auto* t = target()) actions_ = t->actions;
}

baseline_state* command_run::target() {
    return all_ ? &op_.all : op_.find_baseline(echo_);
}

actions command_run::start(const feedback_sink& out) {
    actions a;
    sink_ = &out;
    if (phase_ == phase::cleanup) {
        cleanup(a);
    } else {
        next(a);
    }
    return a;
}

actions command_run::on_done(std::uint64_t call_id, const kanto::result& r, const feedback_sink& sink) {
    actions out;
    if (call_id != call_ || finished()) return out;
    sink_ = &sink;
    const auto error = r.error.empty() ? std::string("Kanto-CM failed without a reason") : r.error;
    if (state_ == state::removing_old) {
        old_removed(r.ok, error, out);
    } else if (state_ == state::starting || state_ == state::rechecking) {
        start_answered(r, error, out);
    } else if (!r.ok) {
        action_failed(error, out);
    } else {
        succeeded(r, out);
    }
    return out;
}

void command_run::succeeded(const kanto::result& r, actions& out) {
    auto& a = current_action();
    switch (state_) {
        case state::creating:
            if (r.container) a.created_id = r.container->id();
            return action_succeeded(created_text, out);
        case state::inspecting_old:
            if (r.container && running_or_paused(*r.container)) {
                kcm::svc::StopContainerRequest stop;
                stop.set_id(a.current->id());
                auto* options = stop.mutable_stopoptions();
                options->set_force(true);
                options->set_signal("SIGTERM");
                options->set_timeout(0);  // Kanto-CM's default stop timeout
                return call(std::move(stop), state::stopping_old, out);
            }
            return action_succeeded(stopped_text, out);  // not running, or already gone
        case state::stopping_old:
            return action_succeeded(stopped_text, out);
        case state::updating:
            if (phase_ != phase::rollback) return action_succeeded(updated_text, out);
            after_ensure_ = rolled_back_update;
            return ensure_running(a.current->id(), out);
        case state::inspecting:
            if (!r.container) {
                return action_failed(fmt::format("the container with id = {} no longer exists", ensure_id_),
                                     out);
            }
            if (r.container->state().status() == "Running") return action_succeeded(after_ensure_, out);
            if (r.container->state().status() == "Paused") {
                return call(with_id<kcm::svc::UnpauseContainerRequest>(ensure_id_), state::unpausing, out);
            }
            return call(with_id<kcm::svc::StartContainerRequest>(ensure_id_), state::starting, out);
        case state::unpausing:
            return action_succeeded(after_ensure_, out);
        case state::starting_new:
            return action_succeeded(started_text, out);
        case state::removing_new:
            if (a.type != action_type::recreate) return action_succeeded(rolled_back_create, out);
            after_ensure_ = rolled_back_recreate;
            return ensure_running(a.current->id(), out);
        default:
            return;
    }
}

void command_run::start_answered(const kanto::result& r, const std::string& error, actions& out) {
    if (state_ == state::starting) {
        if (r.ok) return action_succeeded(after_ensure_, out);
        // Kanto-CM's restart manager may have started it meanwhile (a restart policy just set to
        // "always"): then it runs, which is all that was asked.
        start_error_ = error;
        return call(with_id<kcm::svc::GetContainerRequest>(ensure_id_), state::rechecking, out);
    }
    if (r.ok && r.container && r.container->state().status() == "Running")
        return action_succeeded(after_ensure_, out);
    action_failed(start_error_, out);
}

void command_run::old_removed(bool ok, const std::string& error, actions& out) {
    auto& a = current_action();
    if (a.type == action_type::destroy && a.status == "UPDATE_SUCCESS") {
        a.status = ok ? "REMOVAL_SUCCESS" : "REMOVAL_FAILURE";
        a.message = ok ? removed_text : error;
        failed_ = failed_ || !ok;
    } else if (!ok) {  // a recreate's old container: left as it is, as in Kanto
        out.push_back(log{log_level::warn, fmt::format("update agent: the replaced container {} of {} stays "
                                                       "(stopped): removing it failed: {}",
                                                       a.current->id(), a.component_id, error)});
    }
    ++pos_;
    cleanup_next(out);
}

bool command_run::handles(const component_action& a) const {
    switch (phase_) {
        case phase::download:
            return a.type == action_type::create || a.type == action_type::recreate;
        case phase::update:
            return a.type == action_type::recreate || a.type == action_type::destroy ||
                   a.type == action_type::update;
        case phase::activate:
            return a.type != action_type::destroy;
        case phase::rollback:
            return a.type == action_type::update || a.type == action_type::create ||
                   a.type == action_type::recreate;
        case phase::cleanup:
            return a.type == action_type::recreate || a.type == action_type::destroy;
    }
    return false;
}

void command_run::next(actions& out) {
    for (; pos_ < actions_.size(); ++pos_) {
        if (phase_ == phase::rollback && rolled_back_) {
            // The previous rolled-back action is reported as the next entry starts.
            auto& prev = op_.actions[*rolled_back_];
            prev.status = "UPDATE_FAILURE";
            prev.message = rollback_result_;
            rolled_back_.reset();
            report(texts(phase_).in_progress, out);
        }
        auto& a = current_action();
        if (handles(a)) return begin_action(a, out);
    }
    finish(out);
}

void command_run::begin_action(component_action& a, actions& out) {
    a.status = texts(phase_).action_in_progress;
    report(texts(phase_).in_progress, out);
    switch (phase_) {
        case phase::download: {
            kcm::svc::CreateContainerRequest create;
            *create.mutable_container() = a.desired;
            return call(std::move(create), state::creating, out);
        }
        case phase::update:
            if (a.type == action_type::update) {
                kcm::svc::UpdateContainerRequest update;
                update.set_id(a.current->id());
                auto* options = update.mutable_updateoptions();
                *options->mutable_restart_policy() = a.desired.host_config().restart_policy();
                // No memory keys: an empty Resources clears the limits (without it Kanto-CM keeps
                // them and every later desired state reports UPDATE again).
                *options->mutable_resources() = a.desired.host_config().resources();
                return call(std::move(update), state::updating, out);
            }
            return call(with_id<kcm::svc::GetContainerRequest>(a.current->id()), state::inspecting_old, out);
        case phase::activate:
            if (a.type == action_type::create || a.type == action_type::recreate) {
                return call(with_id<kcm::svc::StartContainerRequest>(a.created_id), state::starting_new, out);
            }
            after_ensure_ = a.type == action_type::check ? running_text : a.message;
            return ensure_running(a.current->id(), out);
        case phase::rollback:
            if (a.type == action_type::update) {
                kcm::svc::UpdateContainerRequest update;
                update.set_id(a.current->id());
                auto* options = update.mutable_updateoptions();
                const auto& old = a.current->host_config();
                *options->mutable_restart_policy() = old.restart_policy();
                *options->mutable_resources() = old.resources();
                return call(std::move(update), state::updating, out);
            } else {
                kcm::svc::RemoveContainerRequest remove;
                remove.set_id(a.created_id);
                remove.set_force(true);
                return call(std::move(remove), state::removing_new, out);
            }
        case phase::cleanup:
            break;
    }
}

void command_run::ensure_running(const std::string& id, actions& out) {
    ensure_id_ = id;
    call(with_id<kcm::svc::GetContainerRequest>(id), state::inspecting, out);
}

void command_run::action_succeeded(std::string message, actions& out) {
    if (phase_ == phase::rollback) {
        rollback_result_ = std::move(message);
        rolled_back_ = actions_[pos_];
    } else {
        auto& a = current_action();
        a.status = texts(phase_).action_success;
        a.message = std::move(message);
    }
    ++pos_;
    next(out);
}

void command_run::action_failed(const std::string& error, actions& out) {
    failed_ = true;
    if (phase_ == phase::rollback) {  // rollback goes on with the next action
        rollback_result_ = error;
        rolled_back_ = actions_[pos_];
        ++pos_;
        return next(out);
    }
    auto& a = current_action();
    a.status = texts(phase_).action_failure;
    a.message = error;
    finish(out);
}

void command_run::call(kanto::request request, state next_state, actions& out) {
    state_ = next_state;
    call_ = next_call_++;
    out.push_back(call_kanto{call_, std::move(request)});
}

void command_run::report(const std::string& status, actions& out) {
    out.push_back(publish{
        sink_->topic,
        encode_envelope(op_.activity_id, sink_->now_ms, feedback_payload(status, echo_, {}, &op_.actions)),
        false});
}

void command_run::finish(actions& out) {
    if (rolled_back_) {
        auto& prev = op_.actions[*rolled_back_];
        prev.status = "UPDATE_FAILURE";
        prev.message = rollback_result_;
        rolled_back_.reset();
    }
    const auto* result = failed_ ? texts(phase_).failure : texts(phase_).success;
    if (auto* t = target()) t->status = result;
    report(result, out);
    state_ = state::done;
}

void command_run::cleanup(actions& out) {
    auto* t = target();
    cleanup_status_ = t != nullptr ? t->status : std::string();
    if (all_) {
        op_.baselines.clear();
    } else {
        std::erase_if(op_.baselines, [&](const baseline_state& b) { return b.title == echo_; });
    }
    if (cleanup_status_ != "ACTIVATION_SUCCESS") {
        out.push_back(
            log{log_level::warn,
                fmt::format("update agent: CLEANUP of {} after {}: containers created or stopped are "
                            "left as they are",
                            op_.activity_id, cleanup_status_)});
        return cleanup_finish(out);
    }
    pos_ = 0;
    cleanup_next(out);
}

void command_run::cleanup_next(actions& out) {
    for (; pos_ < actions_.size(); ++pos_) {
        auto& a = current_action();
        if (!handles(a) || !a.current) continue;
        kcm::svc::RemoveContainerRequest remove;
        remove.set_id(a.current->id());
        remove.set_force(true);
        return call(std::move(remove), state::removing_old, out);
    }
    cleanup_finish(out);
}

void command_run::cleanup_finish(actions& out) {
    const std::string result = failed_ ? "CLEANUP_FAILURE" : "CLEANUP_SUCCESS";
    report(result, out);
    if (op_.baselines.empty()) {
        const bool complete = cleanup_status_ == "ACTIVATION_SUCCESS" && result == "CLEANUP_SUCCESS";
        out.push_back(publish{
            sink_->topic,
            encode_envelope(op_.activity_id, sink_->now_ms,
                            feedback_payload(complete ? "COMPLETED" : "INCOMPLETE", {}, {}, &op_.actions)),
            false});
    }
    state_ = state::done;
}

}  // namespace update_agent
