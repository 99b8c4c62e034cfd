#include "software_update_job.hpp"

#include <boost/json.hpp>

#include "features.hpp"

#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC bug 107138, see thing_model.cpp
#endif

namespace twin {

void software_update_job::submit(const command_request& req, core_context& ctx, actions& out) {
    const auto* value = req.value ? &*req.value : nullptr;
    job j;
    if (req.operation == "install") {
        auto a = decode_update_action(value);
        if (auto* e = std::get_if<std::string>(&a))
            return reply_outbox_error(req, parameter_invalid(*e), out);
        j.update = std::move(std::get<update_action>(a));
        j.status.correlation_id = j.update.correlation_id;
    } else if (req.operation == "remove") {
        auto a = decode_remove_action(value);
        if (auto* e = std::get_if<std::string>(&a))
            return reply_outbox_error(req, parameter_invalid(*e), out);
        j.install = false;
        j.removal = std::move(std::get<remove_action>(a));
        j.status.correlation_id = j.removal.correlation_id;
    } else {  // download, cancel, cancelRemove, ...
        return reply_outbox_error(
            req, subject_not_found("unsupported operation called [operationId = " + req.operation + "]"),
            out);
    }
    reply_outbox(req, 204, std::nullopt, out);  // the flow reports through lastOperation
    queue_.push_back(std::move(j));
    if (phase_ == phase::idle) start_next(ctx, out);
}

void software_update_job::start_next(core_context& ctx, actions& out) {
    job_.reset();
    phase_ = phase::idle;
    waiting_ = 0;
    if (queue_.empty()) return;
    job_ = std::move(queue_.front());
    queue_.pop_front();
    if (job_->install) return begin_module(ctx, out);
    remove_next(ctx, out);
}

void software_update_job::publish_status(const char* property, core_context& ctx, actions& out) {
    if (!ctx.reg.publishing() || !ctx.model.enabled(features::software_updatable)) return;
    ctx.model.publish_modify("/features/SoftwareUpdatable/properties/status/" + std::string(property),
                             job_->status.to_json(), out);
}

void software_update_job::call(kanto_request request, core_context& ctx, actions& out) {
    waiting_ = ctx.new_call();
    out.push_back(call_kanto{waiting_, std::move(request)});
}

void software_update_job::fail(bool rejected, const std::string& message, core_context& ctx, actions& out) {
    out.push_back(
        log{log_level::warn, "software update " + job_->status.correlation_id + " failed: " + message});
    job_->status.status = rejected ? "FINISHED_REJECTED" : "FINISHED_ERROR";
    job_->status.message = message;
    publish_status("lastFailedOperation", ctx, out);
    publish_status("lastOperation", ctx, out);
    start_next(ctx, out);  // containers created so far are not rolled back (as in Kanto)
}

void software_update_job::abort_all(const std::string& message, core_context& ctx, actions& out) {
    if (job_) queue_.push_front(std::move(*job_));
    for (auto& j : queue_) {
        job_ = std::move(j);
        out.push_back(log{log_level::warn,
                          "software update " + job_->status.correlation_id + " interrupted: " + message});
        job_->status.status = "FINISHED_ERROR";
        job_->status.message = message;
        publish_status("lastFailedOperation", ctx, out);
        publish_status("lastOperation", ctx, out);
    }
    queue_.clear();
    job_.reset();
    phase_ = phase::idle;
    waiting_ = 0;
}

// ---- install (§8.1) ----

void software_update_job::begin_module(core_context& ctx, actions& out) {
    auto& j = *job_;
    if (j.module == j.update.modules.size()) return start_next(ctx, out);
    const auto& m = j.update.modules[j.module];
    j.status.software_module = {m.name, m.version};
    j.status.message.clear();
    j.status.status = "STARTED";
    publish_status("lastOperation", ctx, out);
    j.status.status = "DOWNLOADING";
    publish_status("lastOperation", ctx, out);
    j.artifact = 0;
    j.to_create.clear();
    j.created.clear();
    download_next(ctx, out);
}

void software_update_job::download_next(core_context& ctx, actions& out) {
    auto& j = *job_;
    const auto& m = j.update.modules[j.module];
    if (j.artifact == m.artifacts.size()) {
        j.status.status = "DOWNLOADED";
        publish_status("lastOperation", ctx, out);
        j.status.status = "INSTALLING";
        publish_status("lastOperation", ctx, out);
        j.next = 0;
        phase_ = phase::create;
        return create_next(ctx, out);
    }
    const auto& a = m.artifacts[j.artifact];
    const auto& url = !a.http_url.empty() ? a.http_url : a.https_url;
    if (url.empty()) {
        return fail(false, "the SoftwareArtifact [" + a.filename + "] has no HTTP or HTTPS download link",
                    ctx, out);
    }
    phase_ = phase::download;
    waiting_ = ctx.new_call();
    out.push_back(http_get{waiting_, url});
}

void software_update_job::on_http_done(std::uint64_t id, const http_result& result, core_context& ctx,
                                       actions& out) {
    if (phase_ != phase::download || waiting_ != id) return;
    waiting_ = 0;
    auto& j = *job_;
    const auto& a = j.update.modules[j.module].artifacts[j.artifact];
    if (!result.ok) return fail(false, result.error, ctx, out);
    if (auto e = check_checksum(a, digests{result.md5, result.sha1, result.sha256}); !e.empty()) {
        return fail(true, e, ctx, out);
    }
    auto parsed = parse_descriptor(result.body);
    if (auto* e = std::get_if<descriptor_error>(&parsed)) return fail(e->rejected, e->message, ctx, out);
    j.to_create.push_back(std::move(std::get<kcm::types::Container>(parsed)));
    ++j.artifact;
    download_next(ctx, out);
}

void software_update_job::create_next(core_context& ctx, actions& out) {
    auto& j = *job_;
    if (j.next == j.to_create.size()) {
        j.status.status = "INSTALLED";
        publish_status("lastOperation", ctx, out);
        j.next = 0;
        phase_ = phase::start;
        return start_containers(ctx, out);
    }
    kcm::svc::CreateContainerRequest req;
    *req.mutable_container() = j.to_create[j.next];
    call(std::move(req), ctx, out);
}

void software_update_job::start_containers(core_context& ctx, actions& out) {
    auto& j = *job_;
    if (j.next == j.created.size()) {
        j.status.status = "FINISHED_SUCCESS";
        publish_status("lastOperation", ctx, out);
        ++j.module;
        return begin_module(ctx, out);
    }
    kcm::svc::StartContainerRequest req;
    req.set_id(j.created[j.next]);
    call(std::move(req), ctx, out);
}

// ---- remove (§8.2) ----

void software_update_job::remove_next(core_context& ctx, actions& out) {
    auto& j = *job_;
    if (j.item == j.removal.software.size()) return finish_remove(ctx, out);
    if (!j.removal.forced && !j.failed.empty()) {  // not forced: stop at the first failure
        for (; j.item < j.removal.software.size(); ++j.item) j.rejected.push_back(j.removal.software[j.item]);
        return finish_remove(ctx, out);
    }
    const auto& item = j.removal.software[j.item];
    j.status.status = "REMOVING";
    j.status.software = {item};
    publish_status("lastOperation", ctx, out);
    j.container_id = std::string(item.at("name").as_string());  // the name is the container id
    phase_ = phase::remove_get;
    kcm::svc::GetContainerRequest req;
    req.set_id(j.container_id);
    call(std::move(req), ctx, out);
}

void software_update_job::removed(core_context& ctx, actions& out) {
    auto& j = *job_;
    const auto& item = j.removal.software[j.item];
    j.status.status = "REMOVED";
    j.status.software = {item};
    publish_status("lastOperation", ctx, out);
    j.succeeded.push_back(item);
    ++j.item;
    remove_next(ctx, out);
}

void software_update_job::remove_failed(std::string error, core_context& ctx, actions& out) {
    auto& j = *job_;
    j.errors.push_back(std::move(error));
    j.failed.push_back(j.removal.software[j.item]);  // nothing is published for it now
    ++j.item;
    remove_next(ctx, out);
}

void software_update_job::finish_remove(core_context& ctx, actions& out) {
    auto& j = *job_;
    if (!j.rejected.empty()) {
        j.status.status = "FINISHED_REJECTED";
        j.status.software = j.rejected;
        publish_status("lastFailedOperation", ctx, out);
        publish_status("lastOperation", ctx, out);
    }
    if (!j.failed.empty()) {
        j.status.status = "FINISHED_ERROR";
        j.status.software = j.failed;
        if (j.errors.size() == 1) {
            j.status.message = j.errors.front();
        } else {
            j.status.message = std::to_string(j.errors.size()) + " errors:\n";
            for (const auto& e : j.errors) j.status.message += "\n* " + e;
        }
        publish_status("lastFailedOperation", ctx, out);
        publish_status("lastOperation", ctx, out);
    }
    if (!j.succeeded.empty()) {  // runs last, so a mixed outcome ends FINISHED_SUCCESS (B9, kept)
        j.status.status = "FINISHED_SUCCESS";
        j.status.software = j.succeeded;
        j.status.message.clear();
        publish_status("lastOperation", ctx, out);
    }
    start_next(ctx, out);
}

// ---- Kanto-CM results for both flows ----

void software_update_job::on_kanto_done(std::uint64_t id, const kanto_result& result, core_context& ctx,
                                        actions& out) {
    if (!waiting_for(id)) return;
    waiting_ = 0;
    auto& j = *job_;
    switch (phase_) {
        case phase::create:
            if (!result.ok) return fail(false, result.error, ctx, out);
            if (result.container) {
                j.created.push_back(result.container->id());
                ctx.observe(result.container->id(), &*result.container, out);
            }
            ++j.next;
            return create_next(ctx, out);
        case phase::start:
            if (!result.ok) return fail(false, result.error, ctx, out);
            ctx.reads.want(j.created[j.next], out);  // its RUNNING state shows up without waiting for a poll
            ++j.next;
            return start_containers(ctx, out);
        case phase::remove_get:
            if (!result.ok) return remove_failed(result.error, ctx, out);
            if (!result.container)
                return remove_failed("container with ID = " + j.container_id + " does not exist", ctx, out);
            {
                phase_ = phase::remove;
                kcm::svc::RemoveContainerRequest req;
                req.set_id(j.container_id);
                req.set_force(true);
                call(std::move(req), ctx, out);
            }
            return;
        case phase::remove:
            if (!result.ok) return remove_failed(result.error, ctx, out);
            // REMOVED after a fresh read has shown the removal in the twin
            phase_ = phase::removed_read;
            j.read_ticket = ctx.reads.want(j.container_id, out);
            if (!ctx.reads.reachable()) removed(ctx, out);
            return;
        default:
            return;
    }
}

void software_update_job::on_read_completed(bool list, const std::string& container_id, core_context& ctx,
                                            actions& out) {
    if (phase_ != phase::removed_read || !ctx.reads.fresh(job_->read_ticket)) return;
    if (list || job_->container_id == container_id || !ctx.reads.reachable()) removed(ctx, out);
}

}  // namespace twin
