#include "deployer.hpp"

#include <algorithm>

#include "container_compare.hpp"
#include "manifest.hpp"

namespace deploy {
namespace {

std::string quoted_path(const std::string& path) {
    return "[\"" + path + "\"]";
}

}  // namespace

actions deployer::start_pass(const std::string& dir, std::vector<std::string> paths) {
    actions out;
    out.push_back(log{log_level::info, "Reading manifests from [" + dir + "]"});
    if (paths.empty()) {
        out.push_back(log{log_level::error, "Failed to deploy directory: No manifests found in " + dir});
        out.push_back(pass_finished{});
        return out;
    }
    pass_running_ = true;
    pass_total_ = paths.size();
    pass_done_ = pass_failed_ = 0;
    for (auto& p : paths) queue_.push_back(job{std::move(p), false, true, {}, {}, {}, {}, {}});
    if (config_.mode == deploy_mode::init && state_ == state::idle) {
        init_gate_ = true;  // only while Kanto-CM has no container at all
        state_ = state::listing;
        out.push_back(list_containers{});
        return out;
    }
    next(out);
    return out;
}

actions deployer::on_changed(const std::string& path) {
    actions out;
    // A change already waiting covers this one; the running job may have read the old content.
    const bool queued =
        std::any_of(queue_.begin(), queue_.end(), [&](const job& j) { return j.path == path; });
    if (!queued) queue_.push_back(job{path, true, false, {}, {}, {}, {}, {}});
    next(out);
    return out;
}

void deployer::next(actions& out) {
    if (state_ != state::idle || queue_.empty()) return;
    job_ = std::move(queue_.front());
    queue_.pop_front();
    state_ = state::reading;
    out.push_back(read_manifest{job_->path});
}

void deployer::finish(bool ok, actions& out) {
    const bool initial = job_ && job_->initial;
    job_.reset();
    state_ = state::idle;
    if (initial) {
        ++pass_done_;
        if (!ok) ++pass_failed_;
        if (pass_done_ == pass_total_ && pass_running_) {
            pass_running_ = false;
            out.push_back(log{log_level::debug, "Successfully deployed " +
                                                    std::to_string(pass_total_ - pass_failed_) +
                                                    ", Failed: " + std::to_string(pass_failed_) +
                                                    ", Out of " + std::to_string(pass_total_)});
            if (pass_failed_ > 0) {
                out.push_back(
                    log{log_level::error,
                        "Failed to deploy directory: One or more deployments failed. Check the logs "
                        "above for more information."});
            }
            out.push_back(pass_finished{pass_total_ - pass_failed_, pass_failed_, pass_total_});
        }
    }
    next(out);
}

void deployer::fail(const std::string& error, actions& out) {
    out.push_back(log{log_level::error, "[CM error] " + error});
    finish(false, out);
}

actions deployer::on_manifest_read(const std::string& path, const std::optional<std::string>& content,
                                   const std::string& error) {
    actions out;
    if (state_ != state::reading || !job_ || job_->path != path) return out;
    if (!content) {
        if (error.empty() && !job_->initial) {  // gone again (an editor's save, a rename): nothing to do
            out.push_back(log{log_level::debug, "Skipping " + path + ": it no longer exists"});
            finish(true, out);
        } else {
            fail("cannot read " + quoted_path(path) + ": " + (error.empty() ? "no such file" : error), out);
        }
        return out;
    }
    if (config_.mode == deploy_mode::kad) {
        auto parsed = parse_manifest(*content);
        if (auto* e = std::get_if<manifest_error>(&parsed)) {
            fail("Wrong json in " + quoted_path(path) + ": " + e->reason, out);
            return out;
        }
        auto& m = std::get<manifest>(parsed);
        out.push_back(
            log{log_level::debug, m.format == manifest_format::internal
                                      ? "Manifest is in auto-deployer format already. Deploying directly"
                                      : "Failed to load manifest directly. Will attempt auto-conversion "
                                        "from init-dir format."});
        job_->container = std::move(m.container);
    } else {
        auto parsed = parse_container_config(*content);
        if (auto* e = std::get_if<manifest_error>(&parsed)) {
            fail("error reading container configuration from file = " + path + ": " + e->reason, out);
            return out;
        }
        job_->container = std::move(std::get<kcm::types::Container>(parsed));
    }
    state_ = state::listing;
    out.push_back(list_containers{});
    return out;
}

std::chrono::milliseconds deployer::retry_delay() {
    const auto delay = std::chrono::milliseconds(std::min<std::uint64_t>(fib_b_, config_.max_retry.count()));
    const auto sum = fib_a_ + fib_b_;
    fib_a_ = fib_b_;
    fib_b_ = std::min<std::uint64_t>(sum, config_.max_retry.count());
    return delay;
}

actions deployer::on_listed(bool ok, bool unreachable, const std::string& error,
                            const std::vector<kcm::types::Container>& containers) {
    actions out;
    if (state_ != state::listing) return out;
    if (!ok) {
        if (unreachable && config_.wait_for_kanto) {
            out.push_back(log{log_level::error, "An error occurred when connecting to socket: " + error});
            const auto delay = retry_delay();
            out.push_back(
                log{log_level::debug, "Retrying connection in " + std::to_string(delay.count()) + " ms"});
            state_ = state::waiting_for_kanto;
            out.push_back(schedule_retry{delay});
        } else if (init_gate_) {
            out.push_back(log{log_level::error, "init deployment: cannot list the containers: " + error});
            close_init_pass(true, out);
        } else {
            fail(error, out);
        }
        return out;
    }
    fib_a_ = 0;
    fib_b_ = 100;
    if (init_gate_) {
        if (!containers.empty()) {  // init mode deploys only onto an empty Kanto-CM
            out.push_back(log{log_level::info, "init deployment skipped: Kanto-CM already has " +
                                                   std::to_string(containers.size()) + " container(s)"});
            close_init_pass(false, out);
            return out;
        }
        init_gate_ = false;
        state_ = state::idle;
        next(out);
        return out;
    }
    if (!job_) return out;
    const auto& name = job_->container.name();
    const auto it = std::find_if(containers.begin(), containers.end(),
                                 [&](const kcm::types::Container& c) { return c.name() == name; });
    const auto* existing = it == containers.end() ? nullptr : &*it;
    switch (config_.mode) {
        case deploy_mode::kad:
            kad_matched(existing, out);
            break;
        case deploy_mode::update:
            update_matched(existing, out);
            break;
        case deploy_mode::init:
            create(out);
            break;  // no name check: Kanto-CM had no container
    }
    return out;
}

// Init mode's gate ends the pass before any of its jobs ran: nothing is deployed, and every
// manifest counts as failed when Kanto-CM could not be asked.
void deployer::close_init_pass(bool failed, actions& out) {
    init_gate_ = false;
    state_ = state::idle;
    queue_.clear();  // only the pass's jobs: init mode does not watch
    pass_running_ = false;
    out.push_back(pass_finished{0, failed ? pass_total_ : 0, pass_total_});
}

void deployer::kad_matched(const kcm::types::Container* existing, actions& out) {
    const auto& name = job_->container.name();
    if (existing == nullptr) return create(out);
    out.push_back(log{log_level::info, "Already exists [" + name + "]"});
    job_->existing_id = existing->id();
    const bool running = existing->state().running();
    if (!job_->recreate) {
        if (!running) return start_created(existing->id(), out);
        out.push_back(log{log_level::debug, "Skipping " + name});
        return finish(true, out);
    }
    if (running) {
        out.push_back(log{log_level::debug, "Stopping [" + name + "]"});
        kcm::svc::StopContainerRequest stop;
        stop.set_id(existing->id());
        stop.mutable_stopoptions()->set_timeout(1);
        stop.mutable_stopoptions()->set_force(true);
        stop.mutable_stopoptions()->set_signal("SIGTERM");
        return call(std::move(stop), state::stopping, out);
    }
    out.push_back(log{log_level::info, "Removing [" + name + "]"});
    kcm::svc::RemoveContainerRequest remove;
    remove.set_id(existing->id());
    remove.set_force(true);
    call(std::move(remove), state::removing, out);
}

void deployer::update_matched(const kcm::types::Container* existing, actions& out) {
    const auto action = kanto::determine_update_action(existing, job_->container);
    out.push_back(log{log_level::info, "[" + job_->container.name() + "] " + kanto::action_message(action)});
    if (existing != nullptr) {
        job_->existing = *existing;
        job_->existing_id = existing->id();
    }
    switch (action) {
        case kanto::update_action::create:
            return create(out);
        case kanto::update_action::check:
            return ensure_running(out);
        case kanto::update_action::update: {
            kcm::svc::UpdateContainerRequest update;
            update.set_id(existing->id());
            const auto& hc = job_->container.host_config();
            if (hc.has_restart_policy())
                *update.mutable_updateoptions()->mutable_restart_policy() = hc.restart_policy();
            if (hc.has_resources()) *update.mutable_updateoptions()->mutable_resources() = hc.resources();
            return call(std::move(update), state::updating, out);
        }
        case kanto::update_action::recreate:
            return recreate_new_first(out);
    }
}

// Paused: unpause; not running: start; running: nothing.
void deployer::ensure_running(actions& out) {
    const auto& st = job_->existing->state();
    if (st.paused() || st.status() == "Paused") {
        kcm::svc::UnpauseContainerRequest unpause;
        unpause.set_id(job_->existing_id);
        return call(std::move(unpause), state::unpausing, out);
    }
    if (!st.running()) return start_created(job_->existing_id, out);
    finish(true, out);
}

// Kanto's recreate: the new container first, then stop the old one, start the new one; if the new
// one does not start, the old one is started again and the new one removed. A pinned id that both
// would share cannot be created twice: then the old one goes first (stop, remove, create, start).
void deployer::recreate_new_first(actions& out) {
    if (!job_->container.id().empty() && job_->container.id() == job_->existing_id) {
        job_->recreate = job_->old_first = true;
        return kad_matched(&*job_->existing, out);
    }
    out.push_back(log{log_level::info, "Creating [" + job_->container.name() + "]"});
    kcm::svc::CreateContainerRequest create;
    *create.mutable_container() = job_->container;
    call(std::move(create), state::creating, out);
}

actions deployer::on_retry_due() {
    actions out;
    if (state_ != state::waiting_for_kanto) return out;
    state_ = state::listing;
    out.push_back(list_containers{});
    return out;
}

void deployer::call(kanto::request request, state next_state, actions& out) {
    waiting_call_ = next_call_++;
    state_ = next_state;
    out.push_back(call_kanto{waiting_call_, std::move(request)});
}

void deployer::create(actions& out) {
    out.push_back(log{log_level::info, "Creating [" + job_->container.name() + "]"});
    kcm::svc::CreateContainerRequest create;
    *create.mutable_container() = job_->container;
    call(std::move(create), state::creating, out);
}

void deployer::start_created(const std::string& id, actions& out) {
    out.push_back(log{log_level::info, "Starting [" + job_->container.name() + "]"});
    kcm::svc::StartContainerRequest start;
    start.set_id(id);
    call(std::move(start), state::starting, out);
}

actions deployer::on_kanto_done(std::uint64_t id, const kanto::result& result) {
    actions out;
    if (id != waiting_call_ || !job_) return out;
    waiting_call_ = 0;
    if (config_.mode == deploy_mode::update && update_step(result, out)) return out;
    if (!result.ok) {
        fail(result.error, out);
        return out;
    }
    const auto& name = job_->container.name();
    switch (state_) {
        case state::stopping: {
            out.push_back(log{log_level::info, "Removing [" + name + "]"});
            kcm::svc::RemoveContainerRequest remove;
            remove.set_id(job_->existing_id);
            remove.set_force(true);
            call(std::move(remove), state::removing, out);
            break;
        }
        case state::removing:
            create(out);
            break;
        case state::creating:
            out.push_back(log{log_level::info, "Created [" + name + "]"});
            start_created(result.container ? result.container->id() : std::string(), out);
            break;
        case state::starting:
            out.push_back(log{log_level::info, "Started [" + name + "]"});
            finish(true, out);
            break;
        default:
            break;
    }
    return out;
}

// The steps of update mode's recreate (new first) and its rollback; false when `state_` is not one.
bool deployer::recreate_step(const kanto::result& result, actions& out) {
    const auto& name = job_->container.name();
    const bool recreating = job_->existing.has_value() && !job_->old_first;
    switch (state_) {
        case state::creating:
            if (!recreating) return false;  // a plain create: Start follows as usual
            if (!result.ok) {
                fail(result.error, out);
                return true;
            }
            job_->new_id = result.container ? result.container->id() : std::string();
            if (job_->existing->state().running() || job_->existing->state().paused()) {
                kcm::svc::StopContainerRequest stop;
                stop.set_id(job_->existing_id);
                stop.mutable_stopoptions()->set_force(true);
                stop.mutable_stopoptions()->set_signal("SIGTERM");
                call(std::move(stop), state::stopping_old, out);
                return true;
            }
            [[fallthrough]];
        case state::stopping_old: {
            if (!result.ok) {
                fail(result.error, out);
                return true;
            }
            kcm::svc::StartContainerRequest start;
            start.set_id(job_->new_id);
            call(std::move(start), state::starting_new, out);
            return true;
        }
        case state::starting_new:
            if (result.ok) {
                kcm::svc::RemoveContainerRequest remove;
                remove.set_id(job_->existing_id);
                remove.set_force(true);
                call(std::move(remove), state::removing_old, out);
            } else {  // rollback: the old one runs again, the new one goes
                job_->failure = result.error;
                kcm::svc::StartContainerRequest start;
                start.set_id(job_->existing_id);
                call(std::move(start), state::restarting_old, out);
            }
            return true;
        case state::removing_old:
            if (!result.ok)
                out.push_back(
                    log{log_level::warn, "removing the old [" + name + "] failed: " + result.error});
            out.push_back(log{log_level::info, "Recreated [" + name + "]"});
            finish(true, out);
            return true;
        case state::restarting_old: {
            if (!result.ok) job_->failure += "; starting the old container again failed: " + result.error;
            kcm::svc::RemoveContainerRequest remove;
            remove.set_id(job_->new_id);
            remove.set_force(true);
            call(std::move(remove), state::removing_new, out);
            return true;
        }
        case state::removing_new:
            fail("the new [" + name + "] did not start (" + job_->failure +
                     "): rolled back to the old container",
                 out);
            return true;
        default:
            return false;
    }
}

// The steps of update mode: recreate, in-place update, "make sure it runs"; false when `state_` is
// not one of them.
bool deployer::update_step(const kanto::result& result, actions& out) {
    if (recreate_step(result, out)) return true;
    switch (state_) {
        case state::updating:
            if (!result.ok) {
                fail(result.error, out);
                return true;
            }
            ensure_running(out);
            return true;
        case state::unpausing:
            if (!result.ok) {
                fail(result.error, out);
                return true;
            }
            finish(true, out);
            return true;
        default:
            return false;
    }
}

}  // namespace deploy
