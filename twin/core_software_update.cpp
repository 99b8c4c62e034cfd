// SoftwareUpdatable install and remove flows of the core (things.md §7.3, §8): one job at a time,
// each step an action (http_get, call_kanto) whose result continues the job. Every status change is
// published as lastOperation (and failures first as lastFailedOperation) with the same status object.
#include <boost/json.hpp>

#include "core.hpp"
#include "features.hpp"

#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC bug 107138, see core.cpp
#endif

namespace twin {
namespace json = boost::json;

void core::handle_software_updatable(const command_request& req, actions& out) {
    const auto path = outbox_path(req.feature, req.operation);
    const auto* value = req.value ? &*req.value : nullptr;
    su_job job;
    if (req.operation == "install") {
        auto a = decode_update_action(value);
        if (auto* e = std::get_if<std::string>(&a)) return reply_error(req, parameter_invalid(*e), path, out);
        job.update = std::move(std::get<update_action>(a));
        job.status.correlation_id = job.update.correlation_id;
    } else if (req.operation == "remove") {
        auto a = decode_remove_action(value);
        if (auto* e = std::get_if<std::string>(&a)) return reply_error(req, parameter_invalid(*e), path, out);
        job.install = false;
        job.removal = std::move(std::get<remove_action>(a));
        job.status.correlation_id = job.removal.correlation_id;
    } else {  // download, cancel, cancelRemove, ...
        return reply_error(req, subject_not_found("unsupported operation called [operationId = " + req.operation + "]"), path, out);
    }
    reply_outbox(req, 204, std::nullopt, out);  // the flow reports through lastOperation
    su_queue_.push_back(std::move(job));
    if (!su_) su_start_next(out);
}

void core::su_start_next(actions& out) {
    su_.reset();
    if (su_queue_.empty()) return;
    su_ = std::move(su_queue_.front());
    su_queue_.erase(su_queue_.begin());
    if (su_->install) {
        su_begin_module(out);
    } else {
        su_remove_next(out);
    }
}

void core::su_publish(const char* property, actions& out) {
    if (!registered_ || !enabled(features::software_updatable)) return;
    publish_modify("/features/SoftwareUpdatable/properties/status/" + std::string(property), su_->status.to_json(), out);
}

std::uint64_t core::su_call(kanto_request request, actions& out) {
    su_->waiting = next_op_++;
    out.push_back(call_kanto{su_->waiting, std::move(request)});
    return su_->waiting;
}

void core::su_fail(bool rejected, const std::string& message, actions& out) {
    say(out, log_level::warn, "software update " + su_->status.correlation_id + " failed: " + message);
    su_->status.status = rejected ? "FINISHED_REJECTED" : "FINISHED_ERROR";
    su_->status.message = message;
    su_publish("lastFailedOperation", out);
    su_publish("lastOperation", out);
    su_start_next(out);  // containers created so far are not rolled back (as in Kanto)
}

// ---- install (§8.1) ----

void core::su_begin_module(actions& out) {
    if (su_->module == su_->update.modules.size()) return su_start_next(out);
    const auto& m = su_->update.modules[su_->module];
    su_->status.software_module = {m.name, m.version};
    su_->status.message.clear();
    su_->status.status = "STARTED";
    su_publish("lastOperation", out);
    su_->status.status = "DOWNLOADING";
    su_publish("lastOperation", out);
    su_->artifact = 0;
    su_->to_create.clear();
    su_->created.clear();
    su_download_next(out);
}

void core::su_download_next(actions& out) {
    const auto& m = su_->update.modules[su_->module];
    if (su_->artifact == m.artifacts.size()) {
        su_->status.status = "DOWNLOADED";
        su_publish("lastOperation", out);
        su_->status.status = "INSTALLING";
        su_publish("lastOperation", out);
        su_->next = 0;
        su_->phase = su_job::phase::create;
        return su_create_next(out);
    }
    const auto& a = m.artifacts[su_->artifact];
    const auto& url = !a.http_url.empty() ? a.http_url : a.https_url;
    if (url.empty()) return su_fail(false, "the SoftwareArtifact [" + a.filename + "] has no HTTP or HTTPS download link", out);
    su_->phase = su_job::phase::download;
    su_->waiting = next_op_++;
    out.push_back(http_get{su_->waiting, url});
}

actions core::on_http_done(std::uint64_t id, const http_result& result) {
    actions out;
    if (!su_ || su_->waiting != id || su_->phase != su_job::phase::download) return out;
    su_->waiting = 0;
    const auto& a = su_->update.modules[su_->module].artifacts[su_->artifact];
    if (!result.ok) {
        su_fail(false, result.error, out);
        return out;
    }
    if (auto e = check_checksum(a, digests{result.md5, result.sha1, result.sha256}); !e.empty()) {
        su_fail(true, e, out);
        return out;
    }
    auto parsed = parse_descriptor(result.body);
    if (auto* e = std::get_if<descriptor_error>(&parsed)) {
        su_fail(e->rejected, e->message, out);
        return out;
    }
    su_->to_create.push_back(std::move(std::get<kcm::types::Container>(parsed)));
    ++su_->artifact;
    su_download_next(out);
    return out;
}

void core::su_create_next(actions& out) {
    if (su_->next == su_->to_create.size()) {
        su_->status.status = "INSTALLED";
        su_publish("lastOperation", out);
        su_->next = 0;
        su_->phase = su_job::phase::start;
        return su_start_containers(out);
    }
    kcm::svc::CreateContainerRequest req;
    *req.mutable_container() = su_->to_create[su_->next];
    su_call(std::move(req), out);
}

void core::su_start_containers(actions& out) {
    if (su_->next == su_->created.size()) {
        su_->status.status = "FINISHED_SUCCESS";
        su_publish("lastOperation", out);
        ++su_->module;
        return su_begin_module(out);
    }
    kcm::svc::StartContainerRequest req;
    req.set_id(su_->created[su_->next]);
    su_call(std::move(req), out);
}

// ---- remove (§8.2) ----

void core::su_remove_next(actions& out) {
    auto& job = *su_;
    if (job.item == job.removal.software.size()) return su_finish_remove(out);
    if (!job.removal.forced && !job.failed.empty()) {  // not forced: stop at the first failure
        for (; job.item < job.removal.software.size(); ++job.item) job.rejected.push_back(job.removal.software[job.item]);
        return su_finish_remove(out);
    }
    const auto& item = job.removal.software[job.item];
    job.status.status = "REMOVING";
    job.status.software = {item};
    su_publish("lastOperation", out);
    job.container_id = std::string(item.at("name").as_string());  // the name is the container id
    job.phase = su_job::phase::remove_get;
    kcm::svc::GetContainerRequest req;
    req.set_id(job.container_id);
    su_call(std::move(req), out);
}

void core::su_removed(actions& out) {
    auto& job = *su_;
    const auto& item = job.removal.software[job.item];
    job.status.status = "REMOVED";
    job.status.software = {item};
    su_publish("lastOperation", out);
    job.succeeded.push_back(item);
    ++job.item;
    su_remove_next(out);
}

void core::su_finish_remove(actions& out) {
    auto& job = *su_;
    if (!job.rejected.empty()) {
        job.status.status = "FINISHED_REJECTED";
        job.status.software = job.rejected;
        su_publish("lastFailedOperation", out);
        su_publish("lastOperation", out);
    }
    if (!job.failed.empty()) {
        job.status.status = "FINISHED_ERROR";
        job.status.software = job.failed;
        if (job.errors.size() == 1) {
            job.status.message = job.errors.front();
        } else {
            job.status.message = std::to_string(job.errors.size()) + " errors:\n";
            for (const auto& e : job.errors) job.status.message += "\n* " + e;
        }
        su_publish("lastFailedOperation", out);
        su_publish("lastOperation", out);
    }
    if (!job.succeeded.empty()) {  // runs last, so a mixed outcome ends FINISHED_SUCCESS (B9, kept)
        job.status.status = "FINISHED_SUCCESS";
        job.status.software = job.succeeded;
        job.status.message.clear();
        su_publish("lastOperation", out);
    }
    su_start_next(out);
}

// ---- Kanto-CM results for both flows ----

void core::su_kanto_done(const kanto_result& result, actions& out) {
    auto& job = *su_;
    job.waiting = 0;
    switch (job.phase) {
        case su_job::phase::create:
            if (!result.ok) return su_fail(false, result.error, out);
            if (result.container) {
                job.created.push_back(result.container->id());
                observe(result.container->id(), &*result.container, out);
            }
            ++job.next;
            return su_create_next(out);
        case su_job::phase::start:
            if (!result.ok) return su_fail(false, result.error, out);
            read_soon(job.created[job.next], out);  // its RUNNING state shows up without waiting for a poll
            ++job.next;
            return su_start_containers(out);
        case su_job::phase::remove_get:
            if (result.ok && result.container) {
                job.phase = su_job::phase::remove;
                kcm::svc::RemoveContainerRequest req;
                req.set_id(job.container_id);
                req.set_force(true);
                su_call(std::move(req), out);
                return;
            }
            job.errors.push_back(result.ok ? "container with ID = " + job.container_id + " does not exist" : result.error);
            break;
        case su_job::phase::remove:
            if (result.ok) {  // REMOVED after a fresh read has shown the removal in the twin
                job.phase = su_job::phase::removed_read;
                job.read_after = read_soon(job.container_id, out);
                if (!kanto_ok_) su_removed(out);
                return;
            }
            job.errors.push_back(result.error);
            break;
        default:
            return;
    }
    job.failed.push_back(job.removal.software[job.item]);  // nothing is published for it now
    ++job.item;
    su_remove_next(out);
}

}  // namespace twin
