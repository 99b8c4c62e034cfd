// The twin's sans-I/O core: owns the identity, what the twin currently shows, registration and the
// reading of Kanto-CM, and turns inputs into actions (things.md §2, §6, §11, §13). No sockets,
// threads or clocks: the bridge feeds inputs and executes the returned actions in order.
//
// Reads of Kanto-CM are issued one at a time, so observations arrive in the order Kanto-CM served
// them and the twin never moves back to an older state.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "actions.hpp"
#include "command.hpp"
#include "identity.hpp"
#include "metrics.hpp"
#include "software_update.hpp"
#include "kanto_cm_api.hpp"
#include "thing_id.hpp"

namespace twin {

struct core_config {
    std::vector<std::string> features{"ContainerFactory", "SoftwareUpdatable", "Metrics"};
    std::string home_dir = "/var/lib/container-management";  // things.home_dir
    std::chrono::milliseconds poll_interval{1000};
    std::chrono::milliseconds max_backoff{30000};  // cap of the retry delay while Kanto-CM is unreachable
    std::size_t list_threshold = 16;               // more changed ids than this: one List, not many Gets
    std::size_t max_payload = 256 * 1024;          // inbound command payloads above this get a 413
};

class core {
public:
    explicit core(core_config config);

    actions on_start();                      // first read of Kanto-CM
    actions on_connected();                  // MQTT (re)connected
    actions on_disconnected();               // MQTT connection lost
    actions on_message(const std::string& topic, const std::string& payload);
    actions on_containers_listed(const std::vector<kcm::types::Container>& containers);
    actions on_container_read(const std::string& id, const std::optional<kcm::types::Container>& c);
    actions on_kanto_failed(const std::string& error);
    actions on_poll_due();
    actions on_container_hint(const std::string& id);  // a state file changed: re-read it now
    // Content of a read_file; nullopt when the file does not exist; `error` when unreadable.
    actions on_file_read(const std::string& path, const std::optional<std::string>& content,
                         const std::string& error = {});
    actions on_resync_needed();  // outbound messages were lost: publish everything again
    actions on_kanto_done(std::uint64_t op, const kanto_result& result);  // a call_kanto finished
    actions on_http_done(std::uint64_t id, const http_result& result);  // an http_get finished
    actions on_metrics_due(std::uint64_t generation);
    actions on_metrics_read(std::uint64_t generation, bool baseline, const std::vector<metrics_sample>& samples,
                            std::int64_t unix_seconds);

    // For tests and diagnostics.
    bool registered() const { return registered_; }
    const std::optional<thing_id>& thing() const { return thing_; }
    const std::map<std::string, kcm::types::Container>& containers() const { return known_; }

private:
    bool enabled(std::string_view feature) const;
    void start_registration(actions& out);
    void try_finish_registration(actions& out);
    void next_read(actions& out);
    void read_succeeded(actions& out);
    void observe(const std::string& id, const kcm::types::Container* now, actions& out);
    void publish_modify(const std::string& path, const boost::json::value& value, actions& out);
    void publish_dependencies(actions& out);
    void write_persisted(bool null_when_empty, actions& out);
    std::vector<const kcm::types::Container*> sorted_containers() const;

    // Cloud commands (core_commands.cpp).
    struct command_request {
        std::string reply_thing;  // <id> of command//<id>/res/...
        std::string req_id;
        std::string ditto_topic;
        std::string path;
        std::optional<std::string> correlation_id;
        bool one_way = true;
        std::string feature;
        std::string operation;
        std::optional<boost::json::value> value;
    };
    struct pending_op {
        command_request req;
        std::string queue;           // operations of one queue run one after another
        std::string container_id;    // re-read before answering a success
        std::vector<kanto_request> steps;
        std::optional<boost::json::value> result;  // 200 value (create: the new id)
        bool started = false;
        std::uint64_t answer_after_read = 0;       // answer once a read with this number completes
    };
    void handle_command(const std::string& topic, const std::string& payload, actions& out);
    void handle_twin_event(const hono_command_topic& t, const std::string& payload, actions& out);
    void handle_software_updatable(const command_request& req, actions& out);
    void handle_metrics(const command_request& req, actions& out);
    void dispatch(command_request req, actions& out);
    void reply(const command_request& req, int status, const std::optional<boost::json::value>& value, actions& out);
    void reply_error(const command_request& req, const error_info& e, const std::string& path, actions& out);
    void reply_outbox(command_request req, int status, const std::optional<boost::json::value>& value, actions& out);
    void run_op(std::uint64_t id, actions& out);
    void start_next(const std::string& queue, actions& out);
    void finish_op(std::uint64_t id, actions& out);
    void reads_completed(bool list, const std::string& id, actions& out);
    bool feature_exists(const std::string& feature) const;
    void subscribe_commands(actions& out);
    std::vector<metrics_target> metrics_targets() const;

    // SoftwareUpdatable install/remove jobs (core_software_update.cpp): one at a time, like Kanto's lock.
    struct su_job {
        enum class phase { download, create, start, remove_get, remove, removed_read } phase = phase::download;
        bool install = true;
        update_action update;
        remove_action removal;
        operation_status status;
        std::size_t module = 0, artifact = 0, item = 0, next = 0;
        std::vector<kcm::types::Container> to_create;
        std::vector<std::string> created;
        std::vector<boost::json::object> failed, succeeded, rejected;
        std::vector<std::string> errors;
        std::uint64_t waiting = 0;    // the http_get / call_kanto being waited for
        std::string container_id;     // being removed
        std::uint64_t read_after = 0; // REMOVED is sent after a fresh read shows the removal
    };
    void su_start_next(actions& out);
    void su_publish(const char* property, actions& out);
    void su_fail(bool rejected, const std::string& message, actions& out);
    void su_begin_module(actions& out);
    void su_download_next(actions& out);
    void su_create_next(actions& out);
    void su_start_containers(actions& out);
    void su_remove_next(actions& out);
    void su_finish_remove(actions& out);
    void su_removed(actions& out);
    void su_kanto_done(const kanto_result& result, actions& out);
    std::uint64_t su_call(kanto_request request, actions& out);
    static void say(actions& out, log_level level, std::string text) { out.push_back(log{level, std::move(text)}); }
    // Asks for a read of `id` now; returns the number of the read whose completion shows it.
    std::uint64_t read_soon(const std::string& id, actions& out);
    void stop_metrics(actions& out);
    std::chrono::milliseconds retry_delay() const;

    core_config config_;
    bool connected_ = false;
    std::optional<identity> identity_;
    std::optional<thing_id> thing_;
    std::string event_topic_;
    bool registered_ = false;

    // Registration waits for a fresh List and the persistence file.
    bool registering_ = false;
    bool reg_have_list_ = false;
    std::optional<std::set<std::string>> reg_persisted_;
    std::string persistence_path_;

    std::map<std::string, kcm::types::Container> known_;  // what the twin shows (last observation)
    std::set<std::string> persisted_;                    // ids in the persistence file

    bool read_in_flight_ = false;
    bool list_wanted_ = false;
    std::set<std::string> dirty_;
    bool poll_armed_ = false;
    std::uint64_t reads_issued_ = 0;  // numbers the reads, so answers can wait for a fresh one
    std::string command_filter_;      // command//<thing>/req/# while subscribed
    bool thing_deleted_ = false;      // a twin event deleted the thing: commands get 404
    std::uint64_t next_op_ = 1;
    std::map<std::uint64_t, pending_op> ops_;
    std::map<std::string, std::vector<std::uint64_t>> queues_;
    std::optional<metrics_request> metrics_;  // reporting while set
    std::uint64_t metrics_generation_ = 0;    // a new request or a stop invalidates older ticks and reads
    std::map<std::string, metrics_sample> metrics_previous_;
    std::optional<su_job> su_;
    std::vector<su_job> su_queue_;
    bool kanto_ok_ = true;
    int failures_ = 0;
};

}  // namespace twin
