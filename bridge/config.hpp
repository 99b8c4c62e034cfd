// The daemon's configuration: Kanto-CM's own config.json format and flags (things.md §10), so a
// device's /etc/container-management/config.json works unchanged, plus our settings in the
// "twin_bridge" section. Precedence: defaults < config file < flags given on the command line.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace bridge {

struct config {
    // Which of our services run: our own switches (twin_bridge.things_enable, ...), independent of
    // Kanto-CM's things.enable, deployment.enable and update_agent.enable, which turn off Kanto-CM's
    // own copies of these services in the same shared file.
    bool things_enable = true;
    std::string things_home_dir = "/var/lib/container-management";
    std::vector<std::string> things_features{"ContainerFactory", "SoftwareUpdatable", "Metrics"};
    // deployment: our deployment service (off unless enabled; Kanto-CM's own is on by default)
    bool deployment_enable = false;
    std::string deployment_mode = "update";  // update | init | kad
    std::string deployment_home_dir = "/var/lib/container-management";
    std::string deployment_ctr_dir = "/etc/container-management/containers";
    // update_agent: Kanto's container update agent (off by default, as in Kanto)
    bool update_agent_enable = false;
    std::string update_agent_domain = "containers";
    std::vector<std::string> update_agent_system_containers;
    bool update_agent_verbose_inventory = false;
    bool update_agent_auto_apply = false;  // ours: apply a desired state without an update manager
    // connection (shared by the twin and the update agent)
    std::string broker_url = "tcp://localhost:1883";
    std::string mqtt_client_id;  // empty: a random one (the daemon); set by tools that need a fixed one
    std::chrono::milliseconds keep_alive{20000};
    std::chrono::milliseconds disconnect_timeout{250};
    std::string username;
    std::string password;
    std::chrono::milliseconds connect_timeout{30000};
    std::chrono::milliseconds acknowledge_timeout{15000};
    std::chrono::milliseconds subscribe_timeout{15000};
    std::chrono::milliseconds unsubscribe_timeout{5000};
    std::string root_ca;
    std::string client_cert;
    std::string client_key;
    // grpc_server: where Kanto-CM listens
    std::string grpc_protocol = "unix";
    std::string grpc_address = "/run/container-management/container-management.sock";
    // manager
    std::string manager_home_dir = "/var/lib/container-management";
    std::chrono::milliseconds default_stop_timeout{30000};
    // log
    std::string log_level = "INFO";
    // Kanto's log file settings. Kanto-CM's own log.log_file is its file: the bridge writes
    // kanto-twin-bridge.log beside it, or twin_bridge.log_file, rotated as Kanto's settings say.
    std::string log_file;            // empty: stderr (the journal under systemd)
    int log_file_size_mb = 2;        // log.log_file_size: rotate at this size
    int log_file_count = 5;          // log.log_file_count: rotated files kept
    int log_file_max_age_days = 28;  // log.log_file_max_age: rotated files older are removed
    // twin_bridge: our own settings
    // The full List's period; 0 (not given): see list_period().
    std::chrono::milliseconds poll_interval{0};
    // With the watch carrying every change at once, the poll is only a safety net (and each one
    // costs Kanto-CM a List of every container): 10 s, else 1 s.
    std::chrono::milliseconds list_period() const {
        if (poll_interval.count() > 0) return poll_interval;
        return std::chrono::milliseconds(watch_state_files ? 10000 : 1000);
    }
    std::chrono::milliseconds max_retry_interval{30000};
    bool watch_state_files = true;
    // Subscribe to our own event topic to notice a second publisher of the thing (Kanto-CM's twin).
    bool watch_other_publishers = true;
    int mqtt_max_inflight = 100;
    std::size_t queue_limit = 100000;
    std::size_t max_payload = 256 * 1024;  // inbound command payloads above this are refused (413)
    std::chrono::milliseconds download_timeout{60000};  // SoftwareUpdatable artifact download, whole
    std::size_t download_max_bytes = 16 * 1024 * 1024;

    // Kanto-CM's own switches as the file sets them (unset: absent), for the warnings.
    std::optional<bool> kanto_things_enable, kanto_update_agent_enable;

    std::string config_file;            // for messages
    std::vector<std::string> warnings;  // logged once logging is set up (unknown keys, ...)
    bool tls() const;
};

struct config_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct help_requested {
    std::string text;
};

// Parses argv (and the --cfg-file it names). Throws config_error naming the key/flag and the reason,
// or help_requested for --help.
config load_config(int argc, const char* const* argv);

}  // namespace bridge
