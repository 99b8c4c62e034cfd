#include "component_config.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstdint>
#include <optional>

#include <fmt/format.h>

#include "container_rules.hpp"

namespace update_agent {
namespace {

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out(1);
    for (char ch : s) {
        if (ch == sep) {
            out.emplace_back();
        } else {
            out.back() += ch;
        }
    }
    return out;
}

// Go's strconv.ParseBool.
std::optional<bool> parse_bool(const std::string& v) {
    if (v == "1" || v == "t" || v == "T" || v == "TRUE" || v == "true" || v == "True") return true;
    if (v == "0" || v == "f" || v == "F" || v == "FALSE" || v == "false" || v == "False") return false;
    return std::nullopt;
}

// Go's strconv.ParseInt(v, 10, bits): an optional sign, then decimal digits.
template <class Int>
std::optional<Int> parse_int(const std::string& v) {
    std::string_view s = v;
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    if (s.empty() || s.front() == '+') return std::nullopt;
    Int out{};
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return out;
}

// The component's values: the last of single keys, every one of the repeatable keys.
struct values {
    std::vector<const std::string*> device, port, host, mount, env, cmd;
    std::optional<std::string> image, privileged, network, terminal, interactive, restart_policy,
        restart_max_retries, restart_timeout, log_driver, log_max_files, log_max_size, log_path, log_mode,
        log_max_buffer_size, memory, memory_reservation, memory_swap;

    explicit values(const std::vector<key_value>& config) {
        for (const auto& kv : config) take(kv);
    }

  private:
    void take(const key_value& kv) {
        const auto& k = kv.key;
        if (auto* list = repeated(k)) {
            list->push_back(&kv.value);
        } else if (auto* single = last(k)) {
            *single = kv.value;
        }
    }
    std::vector<const std::string*>* repeated(const std::string& k) {
        if (k == "device") return &device;
        if (k == "port") return &port;
        if (k == "host") return &host;
        if (k == "mount") return &mount;
        if (k == "env") return &env;
        if (k == "cmd") return &cmd;
        return nullptr;
    }
    std::optional<std::string>* last(const std::string& k) {
        static const std::pair<const char*, std::optional<std::string> values::*> keys[] = {
            {"image", &values::image},
            {"privileged", &values::privileged},
            {"network", &values::network},
            {"terminal", &values::terminal},
            {"interactive", &values::interactive},
            {"restartPolicy", &values::restart_policy},
            {"restartMaxRetries", &values::restart_max_retries},
            {"restartTimeout", &values::restart_timeout},
            {"logDriver", &values::log_driver},
            {"logMaxFiles", &values::log_max_files},
            {"logMaxSize", &values::log_max_size},
            {"logPath", &values::log_path},
            {"logMode", &values::log_mode},
            {"logMaxBufferSize", &values::log_max_buffer_size},
            {"memory", &values::memory},
            {"memoryReservation", &values::memory_reservation},
            {"memorySwap", &values::memory_swap},
        };
        for (const auto& [name, member] : keys) {
            if (k == name) return &(this->*member);
        }
        return nullptr;
    }
};

class converter {
  public:
    explicit converter(conversion& out) : out_(out) {}

    bool boolean(const std::optional<std::string>& v, const char* key) {
        if (!v) return false;
        if (auto b = parse_bool(*v)) return *b;
        warn(fmt::format("{}: \"{}\" is not a boolean, taken as false", key, *v));
        return false;
    }
    std::int64_t integer(const std::optional<std::string>& v, const char* key) {
        if (!v) return 0;
        if (auto n = parse_int<std::int64_t>(*v)) return *n;
        warn(fmt::format("{}: \"{}\" is not an integer, taken as 0", key, *v));
        return 0;
    }

    // host:container[:perms]
    void device(const std::string& v, kcm::types::HostConfig& hc) {
        const auto parts = split(v, ':');
        std::string perms = "rwm";
        if (parts.size() == 3) {
            perms = parts[2];
            const bool ok =
                !perms.empty() && perms.size() <= 3 && perms.find_first_not_of("rwm") == std::string::npos;
            if (!ok) return warn(fmt::format("device \"{}\": invalid cgroup permissions, dropped", v));
        } else if (parts.size() != 2) {
            return warn(fmt::format("device \"{}\": expected host:container[:permissions], dropped", v));
        }
        auto* d = hc.add_devices();
        d->set_path_on_host(parts[0]);
        d->set_path_in_container(parts[1]);
        d->set_cgroup_permissions(perms);
    }

    // [hostIP:]hostPort[-hostPortEnd]:containerPort[/protocol]
    void port(const std::string& v, kcm::types::HostConfig& hc) {
        const auto slash = split(v, '/');
        const std::string protocol = slash.size() == 2 ? slash[1] : "";
        const auto parts = split(slash[0], ':');
        if (parts.size() != 2 && parts.size() != 3) {
            return warn(fmt::format("port \"{}\": expected [ip:]port[-end]:port[/protocol], dropped", v));
        }
        std::string ip;
        if (parts.size() == 3) {
            in_addr addr{};
            if (inet_pton(AF_INET, parts[0].c_str(), &addr) != 1) {
                return warn(fmt::format("port \"{}\": invalid host IP \"{}\", dropped", v, parts[0]));
            }
            ip = parts[0];
        }
        const auto& host_range = parts[parts.size() - 2];
        const auto range = split(host_range, '-');
        std::optional<std::int32_t> host_port = parse_int<std::int32_t>(range[0]), host_end{0};
        if (range.size() == 2) host_end = parse_int<std::int32_t>(range[1]);
        const auto container_port = parse_int<std::int32_t>(parts.back());
        if (range.size() > 2 || !host_port || !host_end || !container_port) {
            return warn(fmt::format("port \"{}\": invalid port number, dropped", v));
        }
        auto* p = hc.add_port_mappings();
        p->set_host_ip(ip);
        p->set_host_port(static_cast<std::uint16_t>(*host_port));  // truncated like Go's uint16()
        p->set_host_port_end(static_cast<std::uint16_t>(*host_end));
        p->set_container_port(static_cast<std::uint16_t>(*container_port));
        p->set_protocol(protocol);
    }

    // source:destination[:propagation]
    void mount(const std::string& v, kcm::types::Container& c) {
        const auto parts = split(v, ':');
        if (parts.size() != 2 && parts.size() != 3) {
            return warn(fmt::format("mount \"{}\": expected source:destination[:propagation], dropped", v));
        }
        auto* m = c.add_mounts();
        m->set_source(parts[0]);
        m->set_destination(parts[1]);
        m->set_propagation_mode(parts.size() == 3 ? parts[2] : "rprivate");
    }

  private:
    void warn(std::string text) { out_.warnings.push_back(std::move(text)); }
    conversion& out_;
};

void restart_policy(const values& v, converter& conv, kcm::types::HostConfig& hc) {
    auto* rp = hc.mutable_restart_policy();
    rp->set_type(v.restart_policy.value_or("unless-stopped"));
    if (rp->type() == "on-failure") {
        rp->set_maximum_retry_count(conv.integer(v.restart_max_retries, "restartMaxRetries"));
        rp->set_retry_timeout(conv.integer(v.restart_timeout, "restartTimeout"));
    }
}

void log_config(const values& v, kcm::types::HostConfig& hc) {
    auto* driver = hc.mutable_log_config()->mutable_driver_config();
    driver->set_type(v.log_driver.value_or("json-file"));
    if (v.log_max_files) {
        if (auto n = parse_int<std::int64_t>(*v.log_max_files)) driver->set_max_files(*n);
    }
    driver->set_max_size(v.log_max_size.value_or(""));
    driver->set_root_dir(v.log_path.value_or(""));
    auto* mode = hc.mutable_log_config()->mutable_mode_config();
    mode->set_mode(v.log_mode.value_or("blocking"));
    mode->set_max_buffer_size(v.log_max_buffer_size.value_or(""));
}

}  // namespace

conversion to_container(const component& comp) {
    conversion out;
    converter conv(out);
    const values v(comp.config);
    auto& c = out.container;
    c.set_name(comp.id);
    c.mutable_image()->set_name(v.image.value_or(comp.id + ":" + comp.version));
    if (!v.env.empty() || !v.cmd.empty()) {
        auto* cfg = c.mutable_config();
        for (const auto* e : v.env) cfg->add_env(*e);
        for (const auto* a : v.cmd) cfg->add_cmd(*a);
    }
    auto* io = c.mutable_io_config();
    io->set_tty(conv.boolean(v.terminal, "terminal"));
    io->set_open_stdin(conv.boolean(v.interactive, "interactive"));

    auto* hc = c.mutable_host_config();
    hc->set_privileged(conv.boolean(v.privileged, "privileged"));
    hc->set_network_mode(v.network && !v.network->empty() ? *v.network : "bridge");
    for (const auto* d : v.device) conv.device(*d, *hc);
    for (const auto* p : v.port) conv.port(*p, *hc);
    for (const auto* h : v.host) hc->add_extra_hosts(*h);
    for (const auto* m : v.mount) conv.mount(*m, c);
    restart_policy(v, conv, *hc);
    log_config(v, *hc);
    if (v.memory.value_or("") != "" || v.memory_reservation.value_or("") != "" ||
        v.memory_swap.value_or("") != "") {
        auto* r = hc->mutable_resources();
        r->set_memory(v.memory.value_or(""));
        r->set_memory_reservation(v.memory_reservation.value_or(""));
        r->set_memory_swap(v.memory_swap.value_or(""));
    }

    // Kanto-CM's Create defaults, except the swap it derives from memory (the update agent's
    // object keeps it empty, which is why an unchanged desired state reports UPDATE once).
    const std::optional<kcm::types::Resources> resources =
        hc->has_resources() ? std::optional(hc->resources()) : std::nullopt;
    kanto::apply_create_defaults(c, "");
    if (resources) *c.mutable_host_config()->mutable_resources() = *resources;
    if (comp.id.empty()) {  // Kanto-CM names it after the id it generates
        c.clear_domain_name();
        c.clear_host_name();
    }
    kcm::types::Container checked = c;
    if (checked.name().empty()) checked.set_name("unnamed");
    out.error = kanto::validate_container(checked);
    return out;
}

}  // namespace update_agent
