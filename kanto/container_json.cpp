#include "container_json.hpp"

#include <boost/json.hpp>

#include "go_json.hpp"

namespace kanto {
namespace json = boost::json;
using go_json::member;
using go_json::target;

namespace {

// A string member into a message's string field (absent or null: empty, as Go leaves it).
template <class Msg>
std::string get_string(const json::object& o, const char* key, const target& t, Msg& msg,
                       std::string* (Msg::*field)()) {
    std::string s;
    GO_JSON_TRY(go_json::get(member(o, key), t, s));
    *(msg.*field)() = std::move(s);
    return {};
}

std::string get_strings(const json::object& o, const char* key, const target& t,
                        std::vector<std::string>& out) {
    out.clear();
    return go_json::get(member(o, key), t, out);
}

// The members of the array `key`, each an object (a Go []types.X).
template <class Each>
std::string each_object(const json::object& o, const char* key, const target& t, const target& element,
                        Each each) {
    const json::array* items = nullptr;
    GO_JSON_TRY(go_json::get_array(member(o, key), t, items));
    if (items == nullptr) return {};
    for (const auto& item : *items) {
        if (!item.is_object()) return element.error(go_json::kind(item));
        GO_JSON_TRY(each(item.as_object()));
    }
    return {};
}

std::string read_image(const json::object& o, const target& t, kcm::types::Image& image) {
    GO_JSON_TRY(
        get_string(o, "name", t.member("Image", "name", "string"), image, &kcm::types::Image::mutable_name));
    const json::object* dc = nullptr;
    GO_JSON_TRY(go_json::get_object(member(o, "decrypt_config"),
                                    t.member("Image", "decrypt_config", "types.DecryptConfig"), dc));
    if (dc == nullptr) return {};
    std::vector<std::string> keys, recipients;
    GO_JSON_TRY(get_strings(*dc, "keys", t.member("DecryptConfig", "keys", "[]string"), keys));
    GO_JSON_TRY(
        get_strings(*dc, "recipients", t.member("DecryptConfig", "recipients", "[]string"), recipients));
    for (auto& k : keys) image.mutable_decrypt_config()->add_keys(k);
    for (auto& r : recipients) image.mutable_decrypt_config()->add_recipients(r);
    return {};
}

std::string read_mount(const json::object& m, const target& t, kcm::types::MountPoint& mp) {
    using M = kcm::types::MountPoint;
    GO_JSON_TRY(get_string(m, "destination", t.member("MountPoint", "destination", "string"), mp,
                           &M::mutable_destination));
    GO_JSON_TRY(get_string(m, "source", t.member("MountPoint", "source", "string"), mp, &M::mutable_source));
    return get_string(m, "propagation_mode", t.member("MountPoint", "propagation_mode", "string"), mp,
                      &M::mutable_propagation_mode);
}

std::string read_config(const json::object& o, const target& t, kcm::types::ContainerConfiguration& config) {
    std::vector<std::string> env, cmd;
    GO_JSON_TRY(get_strings(o, "env", t.member("ContainerConfiguration", "env", "[]string"), env));
    GO_JSON_TRY(get_strings(o, "cmd", t.member("ContainerConfiguration", "cmd", "[]string"), cmd));
    for (auto& x : env) config.add_env(x);
    for (auto& x : cmd) config.add_cmd(x);
    return {};
}

std::string read_io_config(const json::object& o, const target& t, kcm::types::IOConfig& io) {
    using I = kcm::types::IOConfig;
    for (auto [key, setter] : std::initializer_list<std::pair<const char*, void (I::*)(bool)>>{
             {"attach_stderr", &I::set_attach_stderr},
             {"attach_stdin", &I::set_attach_stdin},
             {"attach_stdout", &I::set_attach_stdout},
             {"open_stdin", &I::set_open_stdin},
             {"stdin_once", &I::set_stdin_once},
             {"tty", &I::set_tty}}) {
        bool b = false;
        GO_JSON_TRY(go_json::get(member(o, key), t.member("IOConfig", key, "bool"), b));
        (io.*setter)(b);
    }
    return {};
}

std::string read_device(const json::object& d, const target& t, kcm::types::DeviceMapping& dev) {
    using D = kcm::types::DeviceMapping;
    GO_JSON_TRY(get_string(d, "path_on_host", t.member("DeviceMapping", "path_on_host", "string"), dev,
                           &D::mutable_path_on_host));
    GO_JSON_TRY(get_string(d, "path_in_container", t.member("DeviceMapping", "path_in_container", "string"),
                           dev, &D::mutable_path_in_container));
    return get_string(d, "cgroup_permissions", t.member("DeviceMapping", "cgroup_permissions", "string"), dev,
                      &D::mutable_cgroup_permissions);
}

std::string read_port(const json::object& p, const target& t, kcm::types::PortMapping& pm) {
    using P = kcm::types::PortMapping;
    GO_JSON_TRY(get_string(p, "proto", t.member("PortMapping", "proto", "string"), pm, &P::mutable_protocol));
    GO_JSON_TRY(
        get_string(p, "host_ip", t.member("PortMapping", "host_ip", "string"), pm, &P::mutable_host_ip));
    for (auto [key, setter] : std::initializer_list<std::pair<const char*, void (P::*)(std::int64_t)>>{
             {"container_port", &P::set_container_port},
             {"host_port", &P::set_host_port},
             {"host_port_end", &P::set_host_port_end}}) {
        std::int64_t n = 0;
        GO_JSON_TRY(go_json::get_uint16(member(p, key), t.member("PortMapping", key, "uint16"), n));
        (pm.*setter)(n);
    }
    return {};
}

std::string read_restart_policy(const json::object& o, const target& t, kcm::types::RestartPolicy& p) {
    GO_JSON_TRY(get_string(o, "type", t.member("RestartPolicy", "type", "types.PolicyType"), p,
                           &kcm::types::RestartPolicy::mutable_type));
    std::int64_t count = 0, timeout_ns = 0;
    GO_JSON_TRY(go_json::get(member(o, "maximum_retry_count"),
                             t.member("RestartPolicy", "maximum_retry_count", "int"), count));
    // A Go time.Duration: a JSON number is nanoseconds; the gRPC field is seconds.
    GO_JSON_TRY(go_json::get(member(o, "retry_timeout"),
                             t.member("RestartPolicy", "retry_timeout", "time.Duration"), timeout_ns));
    p.set_maximum_retry_count(count);
    p.set_retry_timeout(timeout_ns / 1'000'000'000);
    return {};
}

std::string read_resources(const json::object& o, const target& t, kcm::types::Resources& r) {
    using R = kcm::types::Resources;
    GO_JSON_TRY(get_string(o, "memory", t.member("Resources", "memory", "string"), r, &R::mutable_memory));
    GO_JSON_TRY(get_string(o, "memory_reservation", t.member("Resources", "memory_reservation", "string"), r,
                           &R::mutable_memory_reservation));
    return get_string(o, "memory_swap", t.member("Resources", "memory_swap", "string"), r,
                      &R::mutable_memory_swap);
}

std::string read_log_config(const json::object& o, const target& t, kcm::types::LogConfiguration& lc) {
    const json::object* driver = nullptr;
    const json::object* mode = nullptr;
    GO_JSON_TRY(go_json::get_object(
        member(o, "driver_config"),
        t.member("LogConfiguration", "driver_config", "types.LogDriverConfiguration"), driver));
    GO_JSON_TRY(go_json::get_object(member(o, "mode_config"),
                                    t.member("LogConfiguration", "mode_config", "types.LogModeConfiguration"),
                                    mode));
    if (driver != nullptr) {
        using D = kcm::types::LogDriverConfiguration;
        auto& d = *lc.mutable_driver_config();
        GO_JSON_TRY(get_string(*driver, "type", t.member("LogDriverConfiguration", "type", "string"), d,
                               &D::mutable_type));
        GO_JSON_TRY(get_string(*driver, "max_size", t.member("LogDriverConfiguration", "max_size", "string"),
                               d, &D::mutable_max_size));
        GO_JSON_TRY(get_string(*driver, "root_dir", t.member("LogDriverConfiguration", "root_dir", "string"),
                               d, &D::mutable_root_dir));
        std::int64_t files = 0;
        GO_JSON_TRY(go_json::get(member(*driver, "max_files"),
                                 t.member("LogDriverConfiguration", "max_files", "int"), files));
        d.set_max_files(files);
    }
    if (mode != nullptr) {
        using M = kcm::types::LogModeConfiguration;
        auto& m = *lc.mutable_mode_config();
        GO_JSON_TRY(get_string(*mode, "mode", t.member("LogModeConfiguration", "mode", "string"), m,
                               &M::mutable_mode));
        GO_JSON_TRY(get_string(*mode, "max_buffer_size",
                               t.member("LogModeConfiguration", "max_buffer_size", "string"), m,
                               &M::mutable_max_buffer_size));
    }
    return {};
}

std::string read_host_config(const json::object& o, const target& t, kcm::types::HostConfig& h) {
    using H = kcm::types::HostConfig;
    auto f = [&](const char* name, const char* type) { return t.member("HostConfig", name, type); };
    GO_JSON_TRY(get_string(o, "network_mode", f("network_mode", "string"), h, &H::mutable_network_mode));
    GO_JSON_TRY(get_string(o, "runtime", f("runtime", "string"), h, &H::mutable_runtime));
    bool privileged = false;
    GO_JSON_TRY(go_json::get(member(o, "privileged"), f("privileged", "bool"), privileged));
    h.set_privileged(privileged);
    std::vector<std::string> list;
    GO_JSON_TRY(get_strings(o, "extra_hosts", f("extra_hosts", "[]string"), list));
    for (auto& x : list) h.add_extra_hosts(x);
    GO_JSON_TRY(get_strings(o, "extra_capabilities", f("extra_capabilities", "[]string"), list));
    for (auto& x : list) h.add_extra_capabilities(x);
    GO_JSON_TRY(each_object(
        o, "devices", f("devices", "[]types.DeviceMapping"), f("devices", "types.DeviceMapping"),
        [&](const json::object& d) { return read_device(d, f("devices", ""), *h.add_devices()); }));
    GO_JSON_TRY(each_object(o, "port_mappings", f("port_mappings", "[]types.PortMapping"),
                            f("port_mappings", "types.PortMapping"), [&](const json::object& p) {
                                return read_port(p, f("port_mappings", ""), *h.add_port_mappings());
                            }));
    const json::object* sub = nullptr;
    GO_JSON_TRY(
        go_json::get_object(member(o, "restart_policy"), f("restart_policy", "types.RestartPolicy"), sub));
    if (sub != nullptr)
        GO_JSON_TRY(read_restart_policy(*sub, f("restart_policy", ""), *h.mutable_restart_policy()));
    GO_JSON_TRY(go_json::get_object(member(o, "resources"), f("resources", "types.Resources"), sub));
    if (sub != nullptr) GO_JSON_TRY(read_resources(*sub, f("resources", ""), *h.mutable_resources()));
    GO_JSON_TRY(go_json::get_object(member(o, "log_config"), f("log_config", "types.LogConfiguration"), sub));
    if (sub != nullptr) GO_JSON_TRY(read_log_config(*sub, f("log_config", ""), *h.mutable_log_config()));
    return {};
}

}  // namespace

std::string container_from_json(const json::object& o, kcm::types::Container& c) {
    using C = kcm::types::Container;
    const target top{"", "", "types.Container"};
    auto f = [&](const char* name, const char* type) { return top.member("Container", name, type); };
    GO_JSON_TRY(get_string(o, "container_id", f("container_id", "string"), c, &C::mutable_id));
    GO_JSON_TRY(get_string(o, "container_name", f("container_name", "string"), c, &C::mutable_name));
    GO_JSON_TRY(get_string(o, "domain_name", f("domain_name", "string"), c, &C::mutable_domain_name));
    GO_JSON_TRY(get_string(o, "host_name", f("host_name", "string"), c, &C::mutable_host_name));
    const json::object* sub = nullptr;
    GO_JSON_TRY(go_json::get_object(member(o, "image"), f("image", "types.Image"), sub));
    if (sub != nullptr) GO_JSON_TRY(read_image(*sub, f("image", ""), *c.mutable_image()));
    GO_JSON_TRY(each_object(
        o, "mount_points", f("mount_points", "[]types.MountPoint"), f("mount_points", "types.MountPoint"),
        [&](const json::object& m) { return read_mount(m, f("mount_points", ""), *c.add_mounts()); }));
    GO_JSON_TRY(go_json::get_object(member(o, "config"), f("config", "types.ContainerConfiguration"), sub));
    if (sub != nullptr) GO_JSON_TRY(read_config(*sub, f("config", ""), *c.mutable_config()));
    GO_JSON_TRY(go_json::get_object(member(o, "io_config"), f("io_config", "types.IOConfig"), sub));
    if (sub != nullptr) GO_JSON_TRY(read_io_config(*sub, f("io_config", ""), *c.mutable_io_config()));
    GO_JSON_TRY(go_json::get_object(member(o, "host_config"), f("host_config", "types.HostConfig"), sub));
    if (sub != nullptr) GO_JSON_TRY(read_host_config(*sub, f("host_config", ""), *c.mutable_host_config()));
    return {};
}

}  // namespace kanto
