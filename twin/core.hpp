// The twin service's sans-I/O core (things.md §2, §5-§9, §11, §13): a thin router that owns one small
// state machine per concern and turns each input into the actions of the concerns it concerns.
// No sockets, threads or clocks: the host feeds inputs and executes the returned actions in order.
//
//   registration          identity, the registration burst, the command subscription
//   read_scheduler        reads of Kanto-CM one at a time, polling, availability and back-off
//   thing_model           the containers as last observed, and the twin commands for changes
//   container_operations  ContainerFactory / Container:<id> operations, ordered per container
//   software_update_job   SoftwareUpdatable install and remove
//   metrics_reporter      Metrics requests and periodic reports
//   echo_watch            a second publisher of the thing (Kanto-CM's own things service left on)
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "actions.hpp"
#include "container_operations.hpp"
#include "core_config.hpp"
#include "core_context.hpp"
#include "echo_watch.hpp"
#include "metrics_reporter.hpp"
#include "read_scheduler.hpp"
#include "registration.hpp"
#include "software_update_job.hpp"
#include "thing_model.hpp"

namespace twin {

class core {
  public:
    explicit core(core_config config);
    core(const core&) = delete;
    core& operator=(const core&) = delete;

    actions on_start();         // first read of Kanto-CM
    actions on_connected();     // MQTT (re)connected
    actions on_disconnected();  // MQTT connection lost
    actions on_message(const std::string& topic, const std::string& payload);
    actions on_containers_listed(const std::vector<kcm::types::Container>& containers);
    actions on_container_read(const std::string& id, const std::optional<kcm::types::Container>& c);
    actions on_kanto_failed(const std::string& error);  // a List or Get failed
    actions on_poll_due();
    actions on_container_hint(const std::string& id);  // a state file changed: re-read it now
    // Content of a read_file; nullopt when the file does not exist; `error` when unreadable.
    actions on_file_read(const std::string& path, const std::optional<std::string>& content,
                         const std::string& error = {});
    actions on_resync_needed();  // outbound messages were lost: publish everything again
    // The broker refused a subscription; the link retries it while it is wanted.
    actions on_subscribe_failed(const std::string& filter, const std::string& reason);
    actions on_kanto_done(std::uint64_t call, const kanto_result& result);  // a call_kanto finished
    actions on_http_done(std::uint64_t id, const http_result& result);      // an http_get finished
    actions on_metrics_due(std::uint64_t generation);
    actions on_metrics_read(std::uint64_t generation, bool baseline,
                            const std::vector<metrics_sample>& samples, std::int64_t unix_seconds);
    // The bridge stops: commands are no longer accepted, and every one in flight is answered with an
    // error (an operation) or ends FINISHED_ERROR (a software update) before the link is flushed.
    actions on_stopping();
    // The subscription filters whose messages belong to this service.
    static std::vector<std::string> topic_filters();

    // For tests and diagnostics.
    bool registered() const { return registration_.publishing(); }
    const std::optional<thing_id>& thing() const { return model_.thing(); }
    const std::map<std::string, kcm::types::Container>& containers() const { return model_.containers(); }
    const registration& registration_state() const { return registration_; }
    const read_scheduler& reads() const { return reads_; }
    const container_operations& operations() const { return operations_; }
    const software_update_job& software_updates() const { return software_; }
    const metrics_reporter& metrics() const { return metrics_; }
    const echo_watch& echoes() const { return echo_; }

  private:
    actions watched(actions out);  // every action list leaves through here: our publishes are noted
    void start_registration(actions& out);
    void observe(const std::string& id, const kcm::types::Container* now, actions& out);
    void read_completed(bool list, const std::string& id, actions& out);
    void handle_command(const std::string& topic, const std::string& payload, actions& out);
    void dispatch(command_request req, actions& out);
    bool has_feature(const std::string& feature) const;

    core_config config_;
    thing_model model_;
    read_scheduler reads_;
    registration registration_;
    core_context ctx_;
    container_operations operations_;
    software_update_job software_;
    metrics_reporter metrics_;
    echo_watch echo_;
};

}  // namespace twin
