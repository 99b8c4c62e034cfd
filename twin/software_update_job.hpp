// SoftwareUpdatable install and remove (things.md §7.3, §8): one job at a time, like Kanto's lock.
// Each step is an action (http_get, call_kanto) whose completion resumes the job. Every status
// change is published as lastOperation (failures first as lastFailedOperation).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "command_request.hpp"
#include "core_context.hpp"
#include "software_update.hpp"

namespace twin {

class software_update_job {
  public:
    enum class phase { idle, download, create, start, remove_get, remove, removed_read };

    // The install or remove operation: answered at once (204 or an error), then queued.
    void submit(const command_request& req, core_context& ctx, actions& out);
    bool waiting_for(std::uint64_t call) const { return phase_ != phase::idle && waiting_ == call; }
    void on_http_done(std::uint64_t call, const http_result& result, core_context& ctx, actions& out);
    void on_kanto_done(std::uint64_t call, const kanto_result& result, core_context& ctx, actions& out);
    void on_read_completed(bool list, const std::string& container_id, core_context& ctx, actions& out);

    // The bridge stops: the running job and every queued one end FINISHED_ERROR with `message`.
    void abort_all(const std::string& message, core_context& ctx, actions& out);

    phase current() const { return phase_; }
    std::size_t queued() const { return queue_.size(); }

  private:
    struct job {
        bool install = true;
        update_action update;
        remove_action removal;
        operation_status status;
        std::size_t module = 0, artifact = 0, item = 0, next = 0;
        std::vector<kcm::types::Container> to_create;
        std::vector<std::string> created;
        std::vector<boost::json::object> failed, succeeded, rejected;
        std::vector<std::string> errors;
        std::string container_id;       // being removed
        std::uint64_t read_ticket = 0;  // REMOVED is sent after a fresh read shows the removal
    };

    void start_next(core_context& ctx, actions& out);
    void publish_status(const char* property, core_context& ctx, actions& out);
    void fail(bool rejected, const std::string& message, core_context& ctx, actions& out);
    void call(kanto_request request, core_context& ctx, actions& out);
    // install
    void begin_module(core_context& ctx, actions& out);
    void download_next(core_context& ctx, actions& out);
    void create_next(core_context& ctx, actions& out);
    void start_containers(core_context& ctx, actions& out);
    // remove
    void remove_next(core_context& ctx, actions& out);
    void removed(core_context& ctx, actions& out);
    void remove_failed(std::string error, core_context& ctx, actions& out);
    void finish_remove(core_context& ctx, actions& out);

    phase phase_ = phase::idle;
    std::optional<job> job_;
    std::deque<job> queue_;
    std::uint64_t waiting_ = 0;  // the http_get / call_kanto being waited for
};

}  // namespace twin
