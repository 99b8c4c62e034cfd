#include "deployer.hpp"

#include <algorithm>

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
    for (auto& p : paths) queue_.push_back(job{std::move(p), false, true, {}, {}});
    next(out);
    return out;
}

actions deployer::on_changed(const std::string& path) {
    actions out;
    // A change already waiting covers this one; the running job may have read the old content.
    const bool queued =
        std::any_of(queue_.begin(), queue_.end(), [&](const job& j) { return j.path == path; });
    if (!queued) queue_.push_back(job{path, true, false, {}, {}});
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
    if (state_ != state::listing || !job_) return out;
    if (!ok) {
        if (unreachable && config_.wait_for_kanto) {
            out.push_back(log{log_level::error, "An error occurred when connecting to socket: " + error});
            const auto delay = retry_delay();
            out.push_back(
                log{log_level::debug, "Retrying connection in " + std::to_string(delay.count()) + " ms"});
            state_ = state::waiting_for_kanto;
            out.push_back(schedule_retry{delay});
        } else {
            fail(error, out);
        }
        return out;
    }
    fib_a_ = 0;
    fib_b_ = 100;
    const auto& name = job_->container.name();
    const auto it = std::find_if(containers.begin(), containers.end(),
                                 [&](const kcm::types::Container& c) { return c.name() == name; });
    if (it == containers.end()) {
        create(out);
        return out;
    }
    out.push_back(log{log_level::info, "Already exists [" + name + "]"});
    job_->existing_id = it->id();
    const bool running = it->state().running();
    if (!job_->recreate) {
        if (running) {
            out.push_back(log{log_level::debug, "Skipping " + name});
            finish(true, out);
        } else {
            start_created(it->id(), out);
        }
        return out;
    }
    if (running) {
        out.push_back(log{log_level::debug, "Stopping [" + name + "]"});
        kcm::svc::StopContainerRequest stop;
        stop.set_id(it->id());
        stop.mutable_stopoptions()->set_timeout(1);
        stop.mutable_stopoptions()->set_force(true);
        stop.mutable_stopoptions()->set_signal("SIGTERM");
        call(std::move(stop), state::stopping, out);
        return out;
    }
    out.push_back(log{log_level::info, "Removing [" + name + "]"});
    kcm::svc::RemoveContainerRequest remove;
    remove.set_id(it->id());
    remove.set_force(true);
    call(std::move(remove), state::removing, out);
    return out;
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

}  // namespace deploy
