#include "operation_args.hpp"

#include <cmath>

#include <boost/json.hpp>

#include "enum_tables.hpp"
#include "go_json.hpp"

namespace twin {
namespace go_json = kanto::go_json;
namespace json = boost::json;
using go_json::member;
using go_json::target;

std::string restart_policy_from_twin(const std::string& v) {
    return enum_tables::from_twin(enum_tables::restart_policy, v);
}
std::string network_mode_from_twin(const std::string& v) {
    return enum_tables::from_twin(enum_tables::network_mode, v);
}
std::string log_type_from_twin(const std::string& v) {
    return enum_tables::from_twin(enum_tables::log_type, v);
}
std::string log_mode_from_twin(const std::string& v) {
    return enum_tables::from_twin(enum_tables::log_mode, v);
}

std::string propagation_from_twin(const std::string& v) {
    const auto out = enum_tables::from_twin(enum_tables::propagation, v);
    return out == v ? "rprivate" : out;  // anything else, lowercase input included, is rprivate (B4)
}

namespace {

// Decoding steps stop at the first error, like Go's decoder.

std::string decode_restart_policy(const json::object& o, const target& t, kcm::types::RestartPolicy& p) {
    std::string type;
    std::int64_t max = 0;
    double timeout = 0;
    GO_JSON_TRY(go_json::get(member(o, "type"), t.member("restartPolicy", "type", "string"), type));
    GO_JSON_TRY(
        go_json::get(member(o, "maxRetryCount"), t.member("restartPolicy", "maxRetryCount", "int"), max));
    GO_JSON_TRY(go_json::get(member(o, "retryTimeout"), t.member("restartPolicy", "retryTimeout", "float64"),
                             timeout));
    p.set_type(restart_policy_from_twin(type));
    p.set_maximum_retry_count(max);
    p.set_retry_timeout(static_cast<std::int64_t>(std::trunc(timeout)));  // seconds, decimals dropped (Q9)
    return {};
}

std::string decode_resources(const json::object& o, const target& t, kcm::types::Resources& r) {
    std::string memory, reservation, swap;
    GO_JSON_TRY(go_json::get(member(o, "memory"), t.member("resources", "memory", "string"), memory));
    GO_JSON_TRY(go_json::get(member(o, "memoryReservation"),
                             t.member("resources", "memoryReservation", "string"), reservation));
    GO_JSON_TRY(go_json::get(member(o, "memorySwap"), t.member("resources", "memorySwap", "string"), swap));
    r.set_memory(memory);
    r.set_memory_reservation(reservation);
    r.set_memory_swap(swap);
    return {};
}

template <class F>
std::string each_object(const json::value* v, const target& t, F&& f) {
    const json::array* a = nullptr;
    GO_JSON_TRY(go_json::get_array(v, t, a));
    if (a == nullptr) return {};
    for (const auto& e : *a) {
        if (e.is_null()) continue;
        if (!e.is_object()) return t.error(go_json::kind(e));
        GO_JSON_TRY(f(e.as_object()));
    }
    return {};
}

std::variant<create_args, std::string> decode_create_common(const json::value* value, const char* type,
                                                            bool with_config) {
    const target top{"", "", type};
    create_args out;
    const json::object* o = nullptr;
    if (auto e = go_json::get_object(value, top, o); !e.empty()) return e;
    if (o != nullptr) {
        const std::string st = std::string(type).substr(std::string(type).find('.') + 1);
        if (auto e =
                go_json::get(member(*o, "imageRef"), top.member(st, "imageRef", "string"), out.image_ref);
            !e.empty())
            return e;
        if (auto e = go_json::get(member(*o, "start"), top.member(st, "start", "bool"), out.start);
            !e.empty())
            return e;
        if (with_config) {
            std::string name;
            if (auto e = go_json::get(member(*o, "name"), top.member(st, "name", "string"), name); !e.empty())
                return e;
            out.container.set_name(name);
            const json::object* config = nullptr;
            const auto config_target = top.member(st, "config", "things.configuration");
            if (auto e = go_json::get_object(member(*o, "config"), config_target, config); !e.empty())
                return e;
            if (config != nullptr) {
                if (auto e = apply_twin_config(*config, out.container, config_target); !e.empty()) return e;
            }
        }
    }
    out.container.mutable_image()->set_name(out.image_ref);
    return out;
}

}  // namespace

namespace {

std::string decode_device(const json::object& d, const target& t, kcm::types::DeviceMapping& dev) {
    std::string on_host, in_container, perms;
    GO_JSON_TRY(go_json::get(member(d, "pathOnHost"), t.member("device", "pathOnHost", "string"), on_host));
    GO_JSON_TRY(go_json::get(member(d, "pathInContainer"), t.member("device", "pathInContainer", "string"),
                             in_container));
    GO_JSON_TRY(go_json::get(member(d, "cgroupPermissions"),
                             t.member("device", "cgroupPermissions", "string"), perms));
    dev.set_path_on_host(on_host);
    dev.set_path_in_container(in_container);
    dev.set_cgroup_permissions(perms);
    return {};
}

std::string decode_port(const json::object& p, const target& t, kcm::types::HostConfig& hc) {
    std::string proto, host_ip;
    std::int64_t host_port = 0, host_port_end = 0, container_port = 0;
    GO_JSON_TRY(go_json::get(member(p, "proto"), t.member("portMapping", "proto", "string"), proto));
    GO_JSON_TRY(
        go_json::get_uint16(member(p, "hostPort"), t.member("portMapping", "hostPort", "uint16"), host_port));
    GO_JSON_TRY(go_json::get_uint16(member(p, "hostPortEnd"),
                                    t.member("portMapping", "hostPortEnd", "uint16"), host_port_end));
    GO_JSON_TRY(go_json::get_uint16(member(p, "containerPort"),
                                    t.member("portMapping", "containerPort", "uint16"), container_port));
    GO_JSON_TRY(go_json::get(member(p, "hostIP"), t.member("portMapping", "hostIP", "string"), host_ip));
    auto* pm = hc.add_port_mappings();
    pm->set_protocol(proto);
    pm->set_host_port(host_port);
    pm->set_host_port_end(host_port_end);
    pm->set_container_port(container_port);
    pm->set_host_ip(host_ip);
    return {};
}

std::string decode_mount(const json::object& m, const target& t, kcm::types::Container& c) {
    std::string source, destination, mode;
    GO_JSON_TRY(go_json::get(member(m, "source"), t.member("mountPoint", "source", "string"), source));
    GO_JSON_TRY(
        go_json::get(member(m, "destination"), t.member("mountPoint", "destination", "string"), destination));
    GO_JSON_TRY(go_json::get(member(m, "propagationMode"),
                             t.member("mountPoint", "propagationMode", "string"), mode));
    auto* mp = c.add_mounts();
    mp->set_source(source);
    mp->set_destination(destination);
    mp->set_propagation_mode(propagation_from_twin(mode));
    return {};
}

std::string decode_log(const json::object& log, const target& t, kcm::types::LogConfiguration& lc) {
    std::string type, max_size, root_dir, mode, max_buffer;
    std::int64_t max_files = 0;
    GO_JSON_TRY(go_json::get(member(log, "type"), t.member("logConfiguration", "type", "string"), type));
    GO_JSON_TRY(
        go_json::get(member(log, "maxFiles"), t.member("logConfiguration", "maxFiles", "int"), max_files));
    GO_JSON_TRY(
        go_json::get(member(log, "maxSize"), t.member("logConfiguration", "maxSize", "string"), max_size));
    GO_JSON_TRY(
        go_json::get(member(log, "rootDir"), t.member("logConfiguration", "rootDir", "string"), root_dir));
    GO_JSON_TRY(go_json::get(member(log, "mode"), t.member("logConfiguration", "mode", "string"), mode));
    GO_JSON_TRY(go_json::get(member(log, "maxBufferSize"),
                             t.member("logConfiguration", "maxBufferSize", "string"), max_buffer));
    auto* driver = lc.mutable_driver_config();
    driver->set_type(log_type_from_twin(type));
    driver->set_max_files(max_files);
    driver->set_max_size(max_size);
    driver->set_root_dir(root_dir);
    auto* mode_cfg = lc.mutable_mode_config();
    mode_cfg->set_mode(log_mode_from_twin(mode));
    mode_cfg->set_max_buffer_size(max_buffer);
    return {};
}

std::string decode_decryption(const json::object& dec, const target& t, kcm::types::DecryptConfig& d) {
    std::vector<std::string> keys, recipients;
    GO_JSON_TRY(
        go_json::get(member(dec, "keys"), t.member("decryptionConfiguration", "keys", "[]string"), keys));
    GO_JSON_TRY(go_json::get(member(dec, "recipients"),
                             t.member("decryptionConfiguration", "recipients", "[]string"), recipients));
    for (auto& k : keys) d.add_keys(k);
    for (auto& r : recipients) d.add_recipients(r);
    return {};
}

// The scalar and list members of the configuration.
std::string decode_plain(const json::object& cfg, const target& t, kcm::types::Container& c) {
    auto f = [&](const char* name, const char* type) { return t.member("configuration", name, type); };
    std::string domain, host, network;
    bool open_stdin = false, tty = false, privileged = false;
    std::vector<std::string> extra_hosts, extra_caps, env, cmd;
    GO_JSON_TRY(go_json::get(member(cfg, "domainName"), f("domainName", "string"), domain));
    GO_JSON_TRY(go_json::get(member(cfg, "hostName"), f("hostName", "string"), host));
    GO_JSON_TRY(go_json::get(member(cfg, "openStdin"), f("openStdin", "bool"), open_stdin));
    GO_JSON_TRY(go_json::get(member(cfg, "tty"), f("tty", "bool"), tty));
    GO_JSON_TRY(go_json::get(member(cfg, "privileged"), f("privileged", "bool"), privileged));
    GO_JSON_TRY(go_json::get(member(cfg, "extraHosts"), f("extraHosts", "[]string"), extra_hosts));
    GO_JSON_TRY(
        go_json::get(member(cfg, "extraCapabilities"), f("extraCapabilities", "[]string"), extra_caps));
    GO_JSON_TRY(go_json::get(member(cfg, "env"), f("env", "[]string"), env));
    GO_JSON_TRY(go_json::get(member(cfg, "cmd"), f("cmd", "[]string"), cmd));
    GO_JSON_TRY(go_json::get(member(cfg, "networkMode"), f("networkMode", "string"), network));

    c.set_domain_name(domain);
    if (!host.empty()) c.set_host_name(host);
    c.mutable_io_config()->set_open_stdin(open_stdin);
    c.mutable_io_config()->set_tty(tty);
    auto* hc = c.mutable_host_config();
    hc->set_privileged(privileged);
    hc->set_network_mode(network_mode_from_twin(network));
    for (auto& h : extra_hosts) hc->add_extra_hosts(h);
    if (!privileged) {
        for (auto& cap : extra_caps) hc->add_extra_capabilities(cap);
    }
    for (auto& e : env) c.mutable_config()->add_env(e);
    for (auto& a : cmd) c.mutable_config()->add_cmd(a);
    return {};
}

}  // namespace

std::string apply_twin_config(const json::object& cfg, kcm::types::Container& c, const target& t) {
    auto f = [&](const char* name, const char* type) { return t.member("configuration", name, type); };
    GO_JSON_TRY(decode_plain(cfg, t, c));
    auto* hc = c.mutable_host_config();
    const json::object* sub = nullptr;
    GO_JSON_TRY(
        go_json::get_object(member(cfg, "restartPolicy"), f("restartPolicy", "things.restartPolicy"), sub));
    if (sub != nullptr)
        GO_JSON_TRY(decode_restart_policy(*sub, f("restartPolicy", ""), *hc->mutable_restart_policy()));
    GO_JSON_TRY(each_object(
        member(cfg, "devices"), f("devices", "things.device"),
        [&](const json::object& d) { return decode_device(d, f("devices", ""), *hc->add_devices()); }));
    GO_JSON_TRY(
        each_object(member(cfg, "portMappings"), f("portMappings", "things.portMapping"),
                    [&](const json::object& p) { return decode_port(p, f("portMappings", ""), *hc); }));
    GO_JSON_TRY(each_object(member(cfg, "mountPoints"), f("mountPoints", "things.mountPoint"),
                            [&](const json::object& m) { return decode_mount(m, f("mountPoints", ""), c); }));
    GO_JSON_TRY(go_json::get_object(member(cfg, "log"), f("log", "things.logConfiguration"), sub));
    if (sub != nullptr) GO_JSON_TRY(decode_log(*sub, f("log", ""), *hc->mutable_log_config()));
    GO_JSON_TRY(go_json::get_object(member(cfg, "resources"), f("resources", "things.resources"), sub));
    if (sub != nullptr) GO_JSON_TRY(decode_resources(*sub, f("resources", ""), *hc->mutable_resources()));
    GO_JSON_TRY(go_json::get_object(member(cfg, "decryption"),
                                    f("decryption", "things.decryptionConfiguration"), sub));
    if (sub != nullptr)
        GO_JSON_TRY(
            decode_decryption(*sub, f("decryption", ""), *c.mutable_image()->mutable_decrypt_config()));
    return {};
}

std::variant<create_args, std::string> decode_create(const json::value* value) {
    return decode_create_common(value, "things.createArgs", false);
}

std::variant<create_args, std::string> decode_create_with_config(const json::value* value) {
    return decode_create_common(value, "things.createWithConfigArgs", true);
}

std::variant<kcm::types::StopOptions, std::string> decode_stop_options(const json::value* value) {
    const target top{"", "", "things.stopOptions"};
    kcm::types::StopOptions out;
    const json::object* o = nullptr;
    if (auto e = go_json::get_object(value, top, o); !e.empty()) return e;
    if (o != nullptr) {
        bool force = false;
        std::int64_t timeout = 0;
        std::string signal;
        if (auto e = go_json::get(member(*o, "force"), top.member("stopOptions", "force", "bool"), force);
            !e.empty())
            return e;
        if (auto e =
                go_json::get(member(*o, "timeout"), top.member("stopOptions", "timeout", "int64"), timeout);
            !e.empty())
            return e;
        if (auto e =
                go_json::get(member(*o, "signal"), top.member("stopOptions", "signal", "string"), signal);
            !e.empty())
            return e;
        out.set_force(force);
        out.set_timeout(timeout);
        out.set_signal(signal);
    }
    return out;
}

std::variant<std::string, std::string> decode_name(const json::value* value) {
    std::string name;
    if (auto e = go_json::get(value, target{"", "", "string"}, name); !e.empty()) {
        return std::variant<std::string, std::string>(std::in_place_index<1>, e);
    }
    return std::variant<std::string, std::string>(std::in_place_index<0>, name);
}

std::variant<bool, std::string> decode_force(const json::value* value) {
    bool force = false;
    if (auto e = go_json::get(value, target{"", "", "bool"}, force); !e.empty()) return e;
    return force;
}

std::variant<kcm::types::UpdateOptions, std::string> decode_update(const json::value* value) {
    const target top{"", "", "things.updateOptions"};
    kcm::types::UpdateOptions out;
    const json::object* o = nullptr;
    if (auto e = go_json::get_object(value, top, o); !e.empty()) return e;
    if (o == nullptr) return out;
    const json::object* rp = nullptr;
    if (auto e =
            go_json::get_object(member(*o, "restartPolicy"),
                                top.member("updateOptions", "restartPolicy", "things.restartPolicy"), rp);
        !e.empty()) {
        return e;
    }
    if (rp != nullptr) {
        if (auto e = decode_restart_policy(*rp, top.member("updateOptions", "restartPolicy", ""),
                                           *out.mutable_restart_policy());
            !e.empty()) {
            return e;
        }
    }
    const json::object* res = nullptr;
    if (auto e = go_json::get_object(member(*o, "resources"),
                                     top.member("updateOptions", "resources", "things.resources"), res);
        !e.empty()) {
        return e;
    }
    if (res != nullptr) {
        if (auto e = decode_resources(*res, top.member("updateOptions", "resources", ""),
                                      *out.mutable_resources());
            !e.empty())
            return e;
    }
    return out;
}

}  // namespace twin
