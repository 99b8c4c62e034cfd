#include "config.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>
#include <boost/program_options.hpp>

#include "go_duration.hpp"
#include "mqtt_tls.hpp"

namespace bridge {
namespace json = boost::json;
namespace po = boost::program_options;
namespace {

const json::value* find_path(const json::object& root, std::initializer_list<const char*> path) {
    const json::value* v = nullptr;
    const json::object* o = &root;
    for (const char* key : path) {
        if (o == nullptr) return nullptr;
        v = o->if_contains(key);
        if (v == nullptr) return nullptr;
        o = v->if_object();
    }
    return v;
}

std::string key_name(std::initializer_list<const char*> path) {
    std::string out;
    for (const char* k : path) out += (out.empty() ? "" : ".") + std::string(k);
    return out;
}

std::chrono::milliseconds to_duration(const std::string& text, const std::string& what) {
    auto d = kanto::parse_go_duration(text);
    if (!d) throw config_error(what + ": invalid duration \"" + text + "\" (use e.g. 250ms, 20s, 1m30s)");
    if (d->count() < 0) throw config_error(what + ": must not be negative, got \"" + text + "\"");
    return std::chrono::duration_cast<std::chrono::milliseconds>(*d);
}

// Reads one config-file key into `out` when present (null means "not set").
struct file_reader {
    const json::object& root;
    std::string file;

    [[noreturn]] void fail(std::initializer_list<const char*> path, const std::string& why) const {
        throw config_error(file + ": " + key_name(path) + ": " + why);
    }
    void get(std::initializer_list<const char*> path, std::optional<bool>& out) const {
        if (auto* v = find_path(root, path); v != nullptr && !v->is_null()) {
            if (!v->is_bool()) fail(path, "expected true or false, got " + json::serialize(*v));
            out = v->as_bool();
        }
    }
    void get(std::initializer_list<const char*> path, bool& out) const {
        std::optional<bool> set;
        get(path, set);
        if (set) out = *set;
    }
    void get(std::initializer_list<const char*> path, std::string& out) const {
        if (auto* v = find_path(root, path); v != nullptr && !v->is_null()) {
            // A secret is never echoed, even a mistyped one.
            const bool secret = std::string_view(*(path.end() - 1)) == "client_password";
            if (!v->is_string())
                fail(path, "expected a string, got " +
                               (secret ? std::string("another JSON type") : json::serialize(*v)));
            out = std::string(v->as_string());
        }
    }
    void get(std::initializer_list<const char*> path, std::vector<std::string>& out) const {
        if (auto* v = find_path(root, path); v != nullptr && !v->is_null()) {
            if (!v->is_array()) fail(path, "expected an array of strings, got " + json::serialize(*v));
            out.clear();
            for (const auto& e : v->as_array()) {
                if (!e.is_string()) fail(path, "expected an array of strings, got " + json::serialize(*v));
                out.emplace_back(e.as_string());
            }
        }
    }
    // Durations: a Go duration string, or a number of seconds.
    void get(std::initializer_list<const char*> path, std::chrono::milliseconds& out) const {
        if (auto* v = find_path(root, path); v != nullptr && !v->is_null()) {
            if (v->is_string()) {
                out = to_duration(std::string(v->as_string()), file + ": " + key_name(path));
            } else if (v->is_number() && v->to_number<double>() >= 0) {
                // Found by fuzzing: a huge number overflowed the conversion. A year is plenty.
                if (!(v->to_number<double>() <= 365.0 * 24 * 3600))
                    fail(path, "a duration of at most a year, got " + json::serialize(*v));
                out = std::chrono::milliseconds(static_cast<long long>(v->to_number<double>() * 1000));
            } else {
                fail(path, "expected a duration such as \"20s\", got " + json::serialize(*v));
            }
        }
    }
    template <class Int>
    void get_int(std::initializer_list<const char*> path, Int& out, long long min) const {
        if (auto* v = find_path(root, path); v != nullptr && !v->is_null()) {
            if (!v->is_int64() && !v->is_uint64())
                fail(path, "expected a whole number, got " + json::serialize(*v));
            const auto n = v->to_number<long long>();
            if (n < min) fail(path, "must be at least " + std::to_string(min));
            out = static_cast<Int>(n);
        }
    }
};

void read_file(config& c, const std::string& path) {
    std::ifstream in(path);
    if (!in) throw config_error(path + ": cannot read the config file");
    std::stringstream ss;
    ss << in.rdbuf();
    boost::system::error_code ec;
    auto doc = json::parse(ss.str(), ec);
    if (ec) throw config_error(path + ": not valid JSON: " + ec.message());
    if (!doc.is_object()) throw config_error(path + ": expected a JSON object at the top level");
    const file_reader r{doc.as_object(), path};
    // Kanto-CM's switches are its own; they are read (and checked) only to warn about duplicates.
    r.get({"things", "enable"}, c.kanto_things_enable);
    r.get({"update_agent", "enable"}, c.kanto_update_agent_enable);
    std::optional<bool> kanto_deployment;  // checked, not used
    r.get({"deployment", "enable"}, kanto_deployment);
    r.get({"twin_bridge", "things_enable"}, c.things_enable);
    r.get({"twin_bridge", "deployment_enable"}, c.deployment_enable);
    r.get({"twin_bridge", "update_agent_enable"}, c.update_agent_enable);
    r.get({"things", "home_dir"}, c.things_home_dir);
    r.get({"things", "features"}, c.things_features);
    r.get({"deployment", "mode"}, c.deployment_mode);
    r.get({"deployment", "home_dir"}, c.deployment_home_dir);
    r.get({"deployment", "ctr_dir"}, c.deployment_ctr_dir);
    r.get({"update_agent", "domain"}, c.update_agent_domain);
    r.get({"update_agent", "system_containers"}, c.update_agent_system_containers);
    r.get({"update_agent", "verbose_inventory_report"}, c.update_agent_verbose_inventory);
    r.get({"update_agent", "auto_apply"}, c.update_agent_auto_apply);
    r.get({"connection", "broker_url"}, c.broker_url);
    r.get({"connection", "keep_alive"}, c.keep_alive);
    r.get({"connection", "disconnect_timeout"}, c.disconnect_timeout);
    r.get({"connection", "client_username"}, c.username);
    r.get({"connection", "client_password"}, c.password);
    r.get({"connection", "connect_timeout"}, c.connect_timeout);
    r.get({"connection", "acknowledge_timeout"}, c.acknowledge_timeout);
    r.get({"connection", "subscribe_timeout"}, c.subscribe_timeout);
    r.get({"connection", "unsubscribe_timeout"}, c.unsubscribe_timeout);
    r.get({"connection", "transport", "root_ca"}, c.root_ca);
    r.get({"connection", "transport", "client_cert"}, c.client_cert);
    r.get({"connection", "transport", "client_key"}, c.client_key);
    r.get({"grpc_server", "protocol"}, c.grpc_protocol);
    r.get({"grpc_server", "address_path"}, c.grpc_address);
    r.get({"manager", "home_dir"}, c.manager_home_dir);
    r.get({"manager", "default_ctrs_stop_timeout"}, c.default_stop_timeout);
    r.get({"log", "log_level"}, c.log_level);
    std::string kanto_log_file;
    r.get({"log", "log_file"}, kanto_log_file);
    if (!kanto_log_file.empty())
        c.log_file = (std::filesystem::path(kanto_log_file).parent_path() / "kanto-twin-bridge.log").string();
    r.get({"twin_bridge", "log_file"}, c.log_file);
    r.get_int({"log", "log_file_size"}, c.log_file_size_mb, 1);
    r.get_int({"log", "log_file_count"}, c.log_file_count, 1);
    r.get_int({"log", "log_file_max_age"}, c.log_file_max_age_days, 0);
    r.get({"twin_bridge", "poll_interval"}, c.poll_interval);
    r.get({"twin_bridge", "max_retry_interval"}, c.max_retry_interval);
    r.get({"twin_bridge", "watch_state_files"}, c.watch_state_files);
    r.get({"twin_bridge", "watch_other_publishers"}, c.watch_other_publishers);
    r.get_int({"twin_bridge", "mqtt_max_inflight"}, c.mqtt_max_inflight, 1);
    r.get_int({"twin_bridge", "queue_limit"}, c.queue_limit, 1);
    r.get_int({"twin_bridge", "max_payload"}, c.max_payload, 1);
    r.get({"twin_bridge", "download_timeout"}, c.download_timeout);
    r.get_int({"twin_bridge", "download_max_bytes"}, c.download_max_bytes, 1);
    // A misspelt key of our own section would silently keep its default.
    if (const auto* ours = find_path(doc.as_object(), {"twin_bridge"}); ours != nullptr && !ours->is_null()) {
        if (!ours->is_object()) throw config_error(path + ": twin_bridge: expected an object");
        static const char* known[] = {"things_enable",         "deployment_enable",  "update_agent_enable",
                                      "poll_interval",         "max_retry_interval", "watch_state_files",
                                      "mqtt_max_inflight",     "queue_limit",        "max_payload",
                                      "download_timeout",      "download_max_bytes", "log_file",
                                      "watch_other_publishers"};
        for (const auto& [key, value] : ours->as_object()) {
            if (std::find(std::begin(known), std::end(known), key) == std::end(known))
                c.warnings.push_back(path + ": twin_bridge." + std::string(key) +
                                     " is not a setting of kanto-twin-bridge and is ignored");
        }
    }
}

std::vector<std::string> split_list(const std::vector<std::string>& values) {
    std::vector<std::string> out;  // like pflag's StringSlice: repeated and/or comma-separated
    for (const auto& v : values) {
        std::stringstream ss(v);
        for (std::string item; std::getline(ss, item, ',');) {
            if (!item.empty()) out.push_back(item);
        }
    }
    return out;
}

void validate(const config& c) {
    static const char* known[] = {"ContainerFactory", "SoftwareUpdatable", "Metrics"};
    for (const auto& f : c.things_features) {
        if (std::find(std::begin(known), std::end(known), f) == std::end(known)) {
            throw config_error("things.features: unknown feature \"" + f +
                               "\" (known: ContainerFactory, SoftwareUpdatable, Metrics)");
        }
    }
    const auto scheme = c.broker_url.substr(0, c.broker_url.find("://"));
    if (const auto sep = c.broker_url.find("://");
        sep != std::string::npos &&
        (sep + 3 >= c.broker_url.size() || c.broker_url[sep + 3] == ':' || c.broker_url[sep + 3] == '/')) {
        throw config_error("connection.broker_url: no host in \"" + c.broker_url +
                           "\" (e.g. tcp://localhost:1883)");
    }
    static const char* schemes[] = {"tcp", "mqtt", "ws", "ssl", "tls", "mqtts", "mqtt+ssl", "tcps", "wss"};
    if (c.broker_url.find("://") == std::string::npos ||
        std::find(std::begin(schemes), std::end(schemes), scheme) == std::end(schemes)) {
        throw config_error("connection.broker_url: unsupported URL \"" + c.broker_url +
                           "\" (expected tcp://host:port, ssl://host:port, ws://... or wss://...)");
    }
    if (c.tls() && c.root_ca.empty()) {
        throw config_error("connection.transport.root_ca: required for the TLS broker URL " + c.broker_url);
    }
    if (c.client_cert.empty() != c.client_key.empty()) {
        throw config_error("connection.transport: client_cert and client_key must be given together");
    }
    if (c.grpc_protocol != "unix" && c.grpc_protocol != "tcp") {
        throw config_error("grpc_server.protocol: expected \"unix\" or \"tcp\", got \"" + c.grpc_protocol +
                           "\"");
    }
    if (c.grpc_address.empty()) throw config_error("grpc_server.address_path: must not be empty");
    if (c.things_home_dir.empty()) throw config_error("things.home_dir: must not be empty");
    if (c.deployment_mode != "update" && c.deployment_mode != "init" && c.deployment_mode != "kad") {
        throw config_error("deployment.mode: expected \"update\", \"init\" or \"kad\", got \"" +
                           c.deployment_mode + "\"");
    }
    if (c.deployment_enable && c.deployment_ctr_dir.empty()) {
        throw config_error("deployment.ctr_dir: must not be empty");
    }
    if (c.update_agent_domain.empty()) throw config_error("update_agent.domain: must not be empty");
    if (c.poll_interval.count() < 0) throw config_error("twin_bridge.poll_interval: must not be negative");
    static const char* levels[] = {"ERROR", "WARN", "INFO", "DEBUG", "TRACE"};
    std::string level = c.log_level;
    for (auto& ch : level) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (std::find(std::begin(levels), std::end(levels), level) == std::end(levels)) {
        throw config_error("log.log_level: expected ERROR, WARN, INFO, DEBUG or TRACE, got \"" + c.log_level +
                           "\"");
    }
}

// A positive whole number of a flag (Boost's conversion would turn "-1" into a huge size_t).
std::size_t size_flag(const po::variables_map& vm, const char* flag) {
    const auto& text = vm[flag].as<std::string>();
    std::size_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || value < 1)
        throw config_error(std::string("--") + flag + ": expected a whole number of at least 1, got \"" +
                           text + "\"");
    return value;
}

// Kanto-CM reading the same file runs its own copy of a service we run: both would answer.
void warn_about_kanto_services(config& c) {
    if (c.config_file.empty()) return;
    if (c.things_enable && c.kanto_things_enable.value_or(true)) {
        c.warnings.push_back(c.config_file + ": things.enable is " +
                             (c.kanto_things_enable ? "true" : "unset (Kanto-CM's default is true)") +
                             ": unless Kanto-CM is started with --things-enable=false, its own things "
                             "service publishes the same "
                             "twin; set things.enable to false for Kanto-CM (kanto-twin-bridge uses "
                             "twin_bridge.things_enable)");
    }
    if (c.update_agent_enable && c.kanto_update_agent_enable.value_or(false)) {
        c.warnings.push_back(c.config_file +
                             ": update_agent.enable is true: unless Kanto-CM is started with "
                             "--ua-enable=false, its own update agent "
                             "answers the same desired states; set update_agent.enable to false for Kanto-CM "
                             "(kanto-twin-bridge uses twin_bridge.update_agent_enable)");
    }
}

}  // namespace

bool config::tls() const {
    return is_tls_url(broker_url);
}

config load_config(int argc, const char* const* argv) {
    po::options_description kanto(
        "Kanto-CM settings (same keys in --cfg-file, same flags as container-management)");
    kanto.add_options()("cfg-file", po::value<std::string>(),
                        "Kanto-CM config.json (e.g. /etc/container-management/config.json)")(
        "things-enable", po::value<bool>()->implicit_value(true),
        "twin_bridge.things_enable: run the twin (default true; Kanto-CM's things.enable is its own)")(
        "things-home-dir", po::value<std::string>(),
        "things.home_dir: persistence directory (default /var/lib/container-management)")(
        "things-features", po::value<std::vector<std::string>>()->multitoken(),
        "things.features: ContainerFactory,SoftwareUpdatable,Metrics (comma-separated or repeated)")(
        "deployment-enable", po::value<bool>()->implicit_value(true),
        "twin_bridge.deployment_enable: run the deployment service (default false)")(
        "deployment-mode", po::value<std::string>(), "deployment.mode: update (default), init or kad")(
        "deployment-home-dir", po::value<std::string>(),
        "deployment.home_dir: where the init-mode marker lives (default /var/lib/container-management)")(
        "deployment-ctr-dir", po::value<std::string>(),
        "deployment.ctr_dir: the container descriptors (default /etc/container-management/containers)")(
        "ua-enable", po::value<bool>()->implicit_value(true),
        "twin_bridge.update_agent_enable: run the container update agent (default false)")(
        "ua-domain", po::value<std::string>(),
        "update_agent.domain: the agent's domain (default containers)")(
        "ua-system-containers", po::value<std::vector<std::string>>()->multitoken(),
        "update_agent.system_containers: containers never touched (comma-separated or repeated)")(
        "ua-verbose-inventory-report", po::value<bool>()->implicit_value(true),
        "update_agent.verbose_inventory_report: every parameter in the current state (default false)")(
        "ua-auto-apply", po::value<bool>()->implicit_value(true),
        "update_agent.auto_apply: apply a desired state right away, without an update manager's commands "
        "(default false)")("conn-broker-url", po::value<std::string>(),
                           "connection.broker_url (default tcp://localhost:1883)")(
        "conn-keep-alive", po::value<std::string>(), "connection.keep_alive (default 20s)")(
        "conn-disconnect-timeout", po::value<std::string>(), "connection.disconnect_timeout (default 250ms)")(
        "conn-client-username", po::value<std::string>(), "connection.client_username")(
        "conn-client-password", po::value<std::string>(), "connection.client_password")(
        "conn-connect-timeout", po::value<std::string>(), "connection.connect_timeout (default 30s)")(
        "conn-ack-timeout", po::value<std::string>(), "connection.acknowledge_timeout (default 15s)")(
        "conn-sub-timeout", po::value<std::string>(), "connection.subscribe_timeout (default 15s)")(
        "conn-unsub-timeout", po::value<std::string>(), "connection.unsubscribe_timeout (default 5s)")(
        "conn-root-ca", po::value<std::string>(), "connection.transport.root_ca: PEM CA file (TLS URLs)")(
        "conn-client-cert", po::value<std::string>(),
        "connection.transport.client_cert: PEM client certificate")(
        "conn-client-key", po::value<std::string>(), "connection.transport.client_key: PEM unencrypted key")(
        "grpc-serv-netp", po::value<std::string>(), "grpc_server.protocol: unix or tcp (default unix)")(
        "grpc-serv-ap", po::value<std::string>(),
        "grpc_server.address_path: Kanto-CM socket (default "
        "/run/container-management/container-management.sock)")(
        "cm-home-dir", po::value<std::string>(),
        "manager.home_dir: Kanto-CM state (default /var/lib/container-management)")(
        "cm-deflt-ctrs-stop-timeout", po::value<std::string>(),
        "manager.default_ctrs_stop_timeout (default 30s)")(
        "log-level", po::value<std::string>(),
        "log.log_level: ERROR, WARN, INFO, DEBUG, TRACE (default INFO)")(
        "log-file", po::value<std::string>(),
        "twin_bridge.log_file: log to this file, rotated by log.log_file_size (MB), log.log_file_count and "
        "log.log_file_max_age (days) (default: stderr; kanto-twin-bridge.log beside a log.log_file)");
    po::options_description ours("kanto-twin-bridge settings (section \"twin_bridge\" in --cfg-file)");
    ours.add_options()("poll-interval", po::value<std::string>(),
                       "twin_bridge.poll_interval: List period (default 1s, 10s with watch_state_files)")(
        "max-retry-interval", po::value<std::string>(),
        "twin_bridge.max_retry_interval: cap of the Kanto-CM retry back-off (default 30s)")(
        "watch-state-files", po::value<bool>()->implicit_value(true),
        "twin_bridge.watch_state_files: react to <cm-home-dir>/containers at once (default true)")(
        "watch-other-publishers", po::value<bool>()->implicit_value(true),
        "twin_bridge.watch_other_publishers: warn when another client publishes to the thing, such as "
        "Kanto-CM's own twin (default true)")(
        "mqtt-max-inflight", po::value<int>(),
        "twin_bridge.mqtt_max_inflight: QoS 1 messages awaiting PUBACK (default 100)")(
        "queue-limit", po::value<std::string>(),
        "twin_bridge.queue_limit: outbound messages queued (default 100000)")(
        "download-timeout", po::value<std::string>(),
        "twin_bridge.download_timeout: SoftwareUpdatable artifact download (default 60s)")(
        "download-max-bytes", po::value<std::string>(),
        "twin_bridge.download_max_bytes: largest artifact (default 16777216)")(
        "max-payload", po::value<std::string>(),
        "twin_bridge.max_payload: largest inbound command in bytes (default 262144)")(
        "help,h", "show this help")("version,V", "print the version");
    po::options_description all(
        "kanto-twin-bridge: the digital twin of a Kanto-CM device's containers, over MQTT");
    all.add(kanto).add(ours);

    // Words that are not options are refused: a config file given without --cfg-file would
    // otherwise be ignored and the defaults used.
    po::options_description hidden;
    hidden.add_options()("stray", po::value<std::vector<std::string>>());
    po::options_description parsed;
    parsed.add(all).add(hidden);
    po::positional_options_description positional;
    positional.add("stray", -1);
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(argc, argv).options(parsed).positional(positional).run(), vm);
        po::notify(vm);
    } catch (const po::error& e) {
        throw config_error(std::string("command line: ") + e.what() + " (see --help)");
    }
    if (vm.count("help") != 0) {
        std::ostringstream text;
        text << "usage: kanto-twin-bridge [--cfg-file FILE] [OPTIONS]\n\n"
             << all
             << "\nexit status: 0 stopped by SIGTERM/SIGINT, or no service enabled; 1 could not start;"
                " 2 invalid configuration or command line\n";
        throw help_requested{text.str()};
    }
    if (vm.count("version") != 0) throw help_requested{std::string("kanto-twin-bridge ") + KTB_VERSION};
    if (vm.count("stray") != 0) {
        const auto& words = vm["stray"].as<std::vector<std::string>>();
        std::string hint = " (options start with --; see --help)";
        if (words.front().ends_with(".json"))
            hint = " (a configuration file is given with --cfg-file " + words.front() + ")";
        throw config_error("command line: unexpected argument \"" + words.front() + "\"" + hint);
    }

    config c;
    if (vm.count("cfg-file") != 0) {
        c.config_file = vm["cfg-file"].as<std::string>();
        read_file(c, c.config_file);
    }
    auto str = [&](const char* flag, std::string& out) {
        if (vm.count(flag) != 0) out = vm[flag].as<std::string>();
    };
    auto dur = [&](const char* flag, std::chrono::milliseconds& out) {
        if (vm.count(flag) != 0) out = to_duration(vm[flag].as<std::string>(), std::string("--") + flag);
    };
    if (vm.count("things-enable") != 0) c.things_enable = vm["things-enable"].as<bool>();
    str("things-home-dir", c.things_home_dir);
    if (vm.count("deployment-enable") != 0) c.deployment_enable = vm["deployment-enable"].as<bool>();
    str("deployment-mode", c.deployment_mode);
    str("deployment-home-dir", c.deployment_home_dir);
    str("deployment-ctr-dir", c.deployment_ctr_dir);
    if (vm.count("ua-enable") != 0) c.update_agent_enable = vm["ua-enable"].as<bool>();
    str("ua-domain", c.update_agent_domain);
    if (vm.count("ua-system-containers") != 0)
        c.update_agent_system_containers =
            split_list(vm["ua-system-containers"].as<std::vector<std::string>>());
    if (vm.count("ua-auto-apply") != 0) c.update_agent_auto_apply = vm["ua-auto-apply"].as<bool>();
    if (vm.count("ua-verbose-inventory-report") != 0)
        c.update_agent_verbose_inventory = vm["ua-verbose-inventory-report"].as<bool>();
    if (vm.count("things-features") != 0)
        c.things_features = split_list(vm["things-features"].as<std::vector<std::string>>());
    str("conn-broker-url", c.broker_url);
    dur("conn-keep-alive", c.keep_alive);
    dur("conn-disconnect-timeout", c.disconnect_timeout);
    str("conn-client-username", c.username);
    str("conn-client-password", c.password);
    dur("conn-connect-timeout", c.connect_timeout);
    dur("conn-ack-timeout", c.acknowledge_timeout);
    dur("conn-sub-timeout", c.subscribe_timeout);
    dur("conn-unsub-timeout", c.unsubscribe_timeout);
    str("conn-root-ca", c.root_ca);
    str("conn-client-cert", c.client_cert);
    str("conn-client-key", c.client_key);
    str("grpc-serv-netp", c.grpc_protocol);
    str("grpc-serv-ap", c.grpc_address);
    str("cm-home-dir", c.manager_home_dir);
    dur("cm-deflt-ctrs-stop-timeout", c.default_stop_timeout);
    str("log-level", c.log_level);
    str("log-file", c.log_file);
    dur("poll-interval", c.poll_interval);
    dur("max-retry-interval", c.max_retry_interval);
    dur("download-timeout", c.download_timeout);
    if (vm.count("download-max-bytes") != 0) c.download_max_bytes = size_flag(vm, "download-max-bytes");
    if (vm.count("watch-state-files") != 0) c.watch_state_files = vm["watch-state-files"].as<bool>();
    if (vm.count("watch-other-publishers") != 0)
        c.watch_other_publishers = vm["watch-other-publishers"].as<bool>();
    if (vm.count("mqtt-max-inflight") != 0) {
        c.mqtt_max_inflight = vm["mqtt-max-inflight"].as<int>();
        if (c.mqtt_max_inflight < 1) throw config_error("--mqtt-max-inflight: must be at least 1");
    }
    if (vm.count("queue-limit") != 0) c.queue_limit = size_flag(vm, "queue-limit");
    if (vm.count("max-payload") != 0) c.max_payload = size_flag(vm, "max-payload");
    try {
        validate(c);
    } catch (const config_error& e) {
        if (c.config_file.empty()) throw;
        throw config_error(std::string(e.what()) + " (settings of " + c.config_file +
                           " and the command line)");
    }
    warn_about_kanto_services(c);
    return c;
}

}  // namespace bridge
