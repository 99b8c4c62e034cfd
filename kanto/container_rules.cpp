#include "container_rules.hpp"

#include <cctype>
#include <regex>

#include <fmt/format.h>

#include "signals.hpp"
#include "sizes.hpp"

namespace kanto {
namespace {

bool name_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
}

// ^[a-zA-Z_]([a-zA-Z0-9_]*)(|=(.*))$
bool valid_env(const std::string& e) {
    if (e.empty()) return false;
    if (!(std::isalpha(static_cast<unsigned char>(e[0])) || e[0] == '_')) return false;
    for (std::size_t i = 1; i < e.size(); ++i) {
        if (e[i] == '=') return true;
        if (!(std::isalnum(static_cast<unsigned char>(e[i])) || e[i] == '_')) return false;
    }
    return true;
}

bool valid_propagation(const std::string& m) {
    return m == "rprivate" || m == "private" || m == "rshared" || m == "shared" || m == "rslave" ||
           m == "slave";
}

}  // namespace

bool valid_container_name(const std::string& name) {
    if (name.empty()) return false;
    if (!(std::isalnum(static_cast<unsigned char>(name[0])) || name[0] == '_')) return false;
    for (char c : name) {
        if (!name_char(c)) return false;
    }
    return true;
}

void apply_create_defaults(kcm::types::Container& c, const std::string& new_id) {
    if (c.id().empty()) c.set_id(new_id);
    if (c.name().empty()) c.set_name(c.id());
    if (c.domain_name().empty()) c.set_domain_name(c.name() + "-domain");
    if (c.host_name().empty()) c.set_host_name(c.name() + "-host");

    auto* hc = c.mutable_host_config();  // creates {network_mode:"", privileged:false} when absent
    if (hc->network_mode().empty()) hc->set_network_mode("bridge");

    auto* driver = hc->mutable_log_config()->mutable_driver_config();
    if (driver->type().empty()) driver->set_type("json-file");
    if (driver->type() == "json-file") {
        if (driver->max_files() == 0) driver->set_max_files(2);
        if (driver->max_size().empty()) driver->set_max_size("100M");
    } else if (driver->type() == "none") {
        driver->clear_max_files();
        driver->clear_max_size();
    }
    auto* mode = hc->mutable_log_config()->mutable_mode_config();
    if (mode->mode().empty()) mode->set_mode("blocking");
    if (mode->mode() == "blocking") {
        mode->clear_max_buffer_size();
    } else if (mode->mode() == "non-blocking" && mode->max_buffer_size().empty()) {
        mode->set_max_buffer_size("1M");
    }

    if (!hc->has_restart_policy()) hc->mutable_restart_policy()->set_type("unless-stopped");
    for (auto& d : *hc->mutable_devices()) {
        if (d.path_in_container().empty()) d.set_path_in_container(d.path_on_host());
        if (d.cgroup_permissions().empty()) d.set_cgroup_permissions("rwm");
    }
    for (auto& p : *hc->mutable_port_mappings()) {
        if (p.host_ip().empty()) p.set_host_ip("0.0.0.0");
        if (p.host_port_end() == 0) p.set_host_port_end(p.host_port());
        if (p.protocol().empty()) p.set_protocol("tcp");
    }
    if (hc->runtime().empty()) hc->set_runtime("io.containerd.runc.v2");
    c.mutable_io_config();
    for (auto& m : *c.mutable_mounts()) {
        if (m.propagation_mode().empty()) m.set_propagation_mode("rprivate");
    }
    if (hc->has_resources()) {
        auto* r = hc->mutable_resources();
        if (r->memory_swap() == "-1") {
            r->clear_memory_swap();
        } else if (!r->memory().empty() && r->memory_swap().empty()) {
            r->set_memory_swap(double_size(r->memory()));
        }
    }
}

std::string validate_restart_policy(const kcm::types::RestartPolicy& p) {
    const auto& t = p.type();
    if (t != "no" && t != "always" && t != "unless-stopped" && t != "on-failure") {
        return fmt::format("unsupported restart policy type {}", t);
    }
    if (t == "on-failure") {
        if (p.maximum_retry_count() < 0) return "restart policy max retry count cannot be negative";
        if (p.retry_timeout() < 0) return "restart policy retry timeout cannot be negative";
    } else if (p.maximum_retry_count() != 0) {
        return fmt::format("cannot use max retry count when the restart policy is {}", t);
    }
    return {};
}

std::string validate_resources(const kcm::types::Resources& r) {
    std::optional<std::int64_t> memory, reservation, swap;
    if (!r.memory().empty() && !(memory = parse_size(r.memory()))) {
        return fmt::format("invalid format of memory - {}", r.memory());
    }
    if (!r.memory_reservation().empty() && !(reservation = parse_size(r.memory_reservation()))) {
        return fmt::format("invalid format of memory reservation - {}", r.memory_reservation());
    }
    if (!r.memory_swap().empty() && r.memory_swap() != "-1" && !(swap = parse_size(r.memory_swap()))) {
        return fmt::format("invalid format of swap memory - {}", r.memory_swap());
    }
    if (memory && *memory < 3 * 1024 * 1024) return "minimum memory allowed is 3M";
    if (swap && *swap > 0) {
        if (!memory) return fmt::format("swap memory - {}, memory must be set as well", r.memory_swap());
        if (*swap < *memory) {
            return fmt::format("swap memory - {} is less than memory - {}", r.memory_swap(), r.memory());
        }
    }
    if (memory && reservation && *reservation > *memory) {
        return fmt::format("reservation memory - {} must be lower than memory - {}", r.memory_reservation(),
                           r.memory());
    }
    return {};
}

std::string validate_container(const kcm::types::Container& c) {
    if (c.image().name().empty()) return "the containers image configuration is invalid";
    if (!c.name().empty() && !valid_container_name(c.name())) {
        return fmt::format("invalid container name format : {}", c.name());
    }
    for (const auto& m : c.mounts()) {
        if (m.source().empty() || m.destination().empty()) {
            return "source and destination must be set for a mount point";
        }
        if (!valid_propagation(m.propagation_mode())) {
            return "propagation mode must be set to one of the supported modes";
        }
    }
    if (!c.has_host_config()) return "the containers host config is mandatory and is missing";
    const auto& hc = c.host_config();
    if (hc.privileged() && hc.devices_size() > 0) {
        return "cannot create the container as privileged and with specified devices at the same time - "
               "choose one of the options";
    }
    if (hc.privileged() && hc.extra_capabilities_size() > 0) {
        return "cannot create the container as privileged and with extra capabilities at the same time - "
               "choose one of the options";
    }
    if (hc.network_mode().empty()) return "network mode is not set";
    if (hc.network_mode() != "bridge" && hc.network_mode() != "host") {
        return fmt::format("unsupported network mode {}", hc.network_mode());
    }
    if (hc.network_mode() == "host") {
        if (hc.port_mappings_size() > 0) return "cannot use port mappings when in host network mode";
        static const std::regex host_ip_key("^(.+):host_ip(_(.+))?$");
        for (const auto& h : hc.extra_hosts()) {
            if (std::regex_match(h, host_ip_key)) {
                return "cannot use the host_ip reserved key or any of its modifications when in host "
                       "network mode";
            }
        }
    }
    for (const auto& d : hc.devices()) {
        if (d.path_on_host().empty() || d.path_in_container().empty()) {
            return "both path on the host and in the container must be specified for a device mapping";
        }
        if (d.cgroup_permissions().empty()) {
            return fmt::format("the cgroup permissions for device mapping {}:{} are not provided",
                               d.path_on_host(), d.path_in_container());
        }
    }
    const auto& driver = hc.log_config().driver_config();
    if (driver.type() != "json-file" && driver.type() != "none")
        return "unsupported log driver configuration";
    if (driver.type() == "json-file") {
        if (driver.max_files() < 1) return "max log files cannot be < 1";
        if (driver.max_size().empty()) return "max logs size must be set";
        if (!parse_size(driver.max_size())) {
            return fmt::format("invalid format of max logs size - {}", driver.max_size());
        }
    }
    const auto& mode = hc.log_config().mode_config();
    if (mode.mode() != "blocking" && mode.mode() != "non-blocking")
        return "unsupported log mode configuration";
    if (mode.mode() == "non-blocking") {
        if (mode.max_buffer_size().empty()) return "max buffer size must be set";
        if (!parse_size(mode.max_buffer_size())) {
            return fmt::format("invalid format of max buffer size - {}", mode.max_buffer_size());
        }
    }
    if (hc.has_restart_policy()) {
        if (auto e = validate_restart_policy(hc.restart_policy()); !e.empty()) return e;
    }
    if (hc.has_resources()) {
        if (auto e = validate_resources(hc.resources()); !e.empty()) return e;
    }
    for (const auto& e : c.config().env()) {
        if (!valid_env(e)) return fmt::format("invalid environmental variable declaration provided : {}", e);
    }
    if (!c.has_io_config()) return "the container's IO config is missing";
    return {};
}

stop_plan resolve_stop_options(const kcm::types::StopOptions* options, std::int64_t default_timeout,
                               bool force_without_options) {
    stop_plan plan;
    plan.timeout_seconds = default_timeout;
    plan.signal_name = "SIGTERM";
    plan.force = force_without_options;
    if (options != nullptr) {
        plan.force = options->force();
        if (options->timeout() != 0) plan.timeout_seconds = options->timeout();
        if (!options->signal().empty()) plan.signal_name = options->signal();
    }
    if (plan.timeout_seconds < 0) {
        plan.error = fmt::format("the timeout = {} shouldn't be negative", plan.timeout_seconds);
        return plan;
    }
    plan.signal = parse_signal(plan.signal_name);
    if (plan.signal < 1 || plan.signal > 255)
        plan.error = fmt::format("invalid signal = {}", plan.signal_name);
    return plan;
}

}  // namespace kanto
