#include "software_update.hpp"

#include <cctype>

#include <boost/json.hpp>

#include "container_rules.hpp"
#include "go_json.hpp"

namespace twin {
namespace go_json = kanto::go_json;
namespace json = boost::json;
using go_json::member;
using go_json::target;

namespace {

#define TRY(expr)                            \
    if (auto err_ = (expr); !err_.empty()) { \
        return err_;                         \
    }

std::string decode_artifact(const json::object& o, const target& t, su_artifact& a) {
    TRY(go_json::get(member(o, "filename"), t.member("SoftwareArtifactAction", "filename", "string"),
                     a.filename));
    const json::object* download = nullptr;
    TRY(go_json::get_object(
        member(o, "download"),
        t.member("SoftwareArtifactAction", "download", "map[datatypes.Protocol]*datatypes.Links"), download));
    if (download != nullptr) {
        for (auto [protocol, url] :
             {std::pair<const char*, std::string*>{"HTTP", &a.http_url}, {"HTTPS", &a.https_url}}) {
            const auto* links = download->if_contains(protocol);  // map keys match exactly
            if (links == nullptr || links->is_null()) continue;
            if (!links->is_object())
                return t.member("SoftwareArtifactAction", "download", "datatypes.Links")
                    .error(go_json::kind(*links));
            TRY(go_json::get(member(links->as_object(), "url"), t.member("Links", "url", "string"), *url));
        }
    }
    const json::object* checksums = nullptr;
    TRY(go_json::get_object(member(o, "checksums"),
                            t.member("SoftwareArtifactAction", "checksums", "map[datatypes.Hash]string"),
                            checksums));
    if (checksums != nullptr) {
        for (auto [hash, out] : {std::pair<const char*, std::string*>{"MD5", &a.md5},
                                 {"SHA1", &a.sha1},
                                 {"SHA256", &a.sha256}}) {
            TRY(go_json::get(checksums->if_contains(hash),
                             t.member("SoftwareArtifactAction", "checksums", "string"), *out));
        }
    }
    return {};
}

std::string decode_dependency(const json::object& o, const target& t, json::object& out) {
    std::string group, name, version, type;
    TRY(go_json::get(member(o, "group"), t.member("DependencyDescription", "group", "string"), group));
    TRY(go_json::get(member(o, "name"), t.member("DependencyDescription", "name", "string"), name));
    TRY(go_json::get(member(o, "version"), t.member("DependencyDescription", "version", "string"), version));
    TRY(go_json::get(member(o, "type"), t.member("DependencyDescription", "type", "string"), type));
    if (!group.empty()) out["group"] = group;
    out["name"] = name;
    out["version"] = version;
    if (!type.empty()) out["type"] = type;
    return {};
}

bool is_hex(const std::string& s) {
    if (s.size() % 2 != 0) return false;
    for (char c : s) {
        if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
    }
    return true;
}

}  // namespace

std::variant<update_action, std::string> decode_update_action(const json::value* value) {
    const target top{"", "", "datatypes.UpdateAction"};
    update_action out;
    const json::object* o = nullptr;
    if (auto e = go_json::get_object(value, top, o); !e.empty()) return e;
    if (o != nullptr) {
        if (auto e = go_json::get(member(*o, "correlationId"),
                                  top.member("UpdateAction", "correlationId", "string"), out.correlation_id);
            !e.empty())
            return e;
        const json::array* modules = nullptr;
        if (auto e = go_json::get_array(
                member(*o, "softwareModules"),
                top.member("UpdateAction", "softwareModules", "[]*datatypes.SoftwareModuleAction"), modules);
            !e.empty()) {
            return e;
        }
        for (const auto& m : modules != nullptr ? *modules : json::array{}) {
            const target mt = top.member("UpdateAction", "softwareModules", "datatypes.SoftwareModuleAction");
            if (m.is_null()) continue;
            if (!m.is_object()) return mt.error(go_json::kind(m));
            su_module module;
            const json::object* id = nullptr;
            if (auto e = go_json::get_object(
                    member(m.as_object(), "softwareModule"),
                    mt.member("SoftwareModuleAction", "softwareModule", "datatypes.SoftwareModuleID"), id);
                !e.empty()) {
                return e;
            }
            if (id != nullptr) {
                if (auto e = go_json::get(member(*id, "name"),
                                          mt.member("SoftwareModuleID", "name", "string"), module.name);
                    !e.empty())
                    return e;
                if (auto e = go_json::get(member(*id, "version"),
                                          mt.member("SoftwareModuleID", "version", "string"), module.version);
                    !e.empty())
                    return e;
            }
            const json::array* artifacts = nullptr;
            if (auto e = go_json::get_array(
                    member(m.as_object(), "artifacts"),
                    mt.member("SoftwareModuleAction", "artifacts", "[]*datatypes.SoftwareArtifactAction"),
                    artifacts);
                !e.empty()) {
                return e;
            }
            for (const auto& a : artifacts != nullptr ? *artifacts : json::array{}) {
                if (a.is_null()) continue;
                if (!a.is_object())
                    return mt.member("SoftwareModuleAction", "artifacts", "datatypes.SoftwareArtifactAction")
                        .error(go_json::kind(a));
                su_artifact artifact;
                if (auto e = decode_artifact(a.as_object(), mt, artifact); !e.empty()) return e;
                module.artifacts.push_back(std::move(artifact));
            }
            out.modules.push_back(std::move(module));
        }
    }
    if (out.modules.empty()) return std::string("there are no SoftwareModules to be installed");
    for (const auto& m : out.modules) {
        if (m.artifacts.empty()) {
            return "there are no SoftwareArtifacts referenced for SoftwareModule [Name.version] = [" +
                   m.name + "." + m.version + "]";
        }
    }
    return out;
}

std::variant<remove_action, std::string> decode_remove_action(const json::value* value) {
    const target top{"", "", "datatypes.RemoveAction"};
    remove_action out;
    const json::object* o = nullptr;
    if (auto e = go_json::get_object(value, top, o); !e.empty()) return e;
    if (o != nullptr) {
        if (auto e = go_json::get(member(*o, "correlationId"),
                                  top.member("RemoveAction", "correlationId", "string"), out.correlation_id);
            !e.empty())
            return e;
        if (auto e =
                go_json::get(member(*o, "forced"), top.member("RemoveAction", "forced", "bool"), out.forced);
            !e.empty())
            return e;
        const json::array* software = nullptr;
        if (auto e = go_json::get_array(
                member(*o, "software"),
                top.member("RemoveAction", "software", "[]*datatypes.DependencyDescription"), software);
            !e.empty()) {
            return e;
        }
        for (const auto& s : software != nullptr ? *software : json::array{}) {
            const target st = top.member("RemoveAction", "software", "datatypes.DependencyDescription");
            if (s.is_null()) continue;
            if (!s.is_object()) return st.error(go_json::kind(s));
            json::object dep;
            if (auto e = decode_dependency(s.as_object(), st, dep); !e.empty()) return e;
            out.software.push_back(std::move(dep));
        }
    }
    if (out.software.empty()) return std::string("there are no DependencyDescriptions to be removed");
    return out;
}

std::variant<kcm::types::Container, descriptor_error> parse_descriptor(const std::string& text) {
    boost::system::error_code ec;
    const auto doc = json::parse(text, ec);
    if (ec) return descriptor_error{false, "the container descriptor is not valid JSON: " + ec.message()};
    const target top{"", "", "types.Container"};
    if (!doc.is_object()) return descriptor_error{false, top.error(go_json::kind(doc))};
    const auto& o = doc.as_object();
    kcm::types::Container c;
    auto fail = [](std::string e) -> std::variant<kcm::types::Container, descriptor_error> {
        return descriptor_error{false, std::move(e)};
    };
    auto f = [&](const char* name, const char* type) { return top.member("Container", name, type); };
    std::string s;
#define GET_STR(obj, key, tgt, setter)                                               \
    s.clear();                                                                       \
    if (auto e = go_json::get(member(obj, key), tgt, s); !e.empty()) return fail(e); \
    setter(s);

    GET_STR(o, "container_id", f("container_id", "string"), c.set_id);
    GET_STR(o, "container_name", f("container_name", "string"), c.set_name);
    GET_STR(o, "domain_name", f("domain_name", "string"), c.set_domain_name);
    GET_STR(o, "host_name", f("host_name", "string"), c.set_host_name);
    const json::object* image = nullptr;
    if (auto e = go_json::get_object(member(o, "image"), f("image", "types.Image"), image); !e.empty())
        return fail(e);
    if (image != nullptr) {
        GET_STR(*image, "name", f("image", "").member("Image", "name", "string"),
                c.mutable_image()->set_name);
        const json::object* dc = nullptr;
        if (auto e = go_json::get_object(
                member(*image, "decrypt_config"),
                f("image", "").member("Image", "decrypt_config", "types.DecryptConfig"), dc);
            !e.empty()) {
            return fail(e);
        }
        if (dc != nullptr) {
            std::vector<std::string> keys, recipients;
            if (auto e = go_json::get(member(*dc, "keys"),
                                      f("image", "").member("DecryptConfig", "keys", "[]string"), keys);
                !e.empty())
                return fail(e);
            if (auto e = go_json::get(member(*dc, "recipients"),
                                      f("image", "").member("DecryptConfig", "recipients", "[]string"),
                                      recipients);
                !e.empty())
                return fail(e);
            for (auto& k : keys) c.mutable_image()->mutable_decrypt_config()->add_keys(k);
            for (auto& r : recipients) c.mutable_image()->mutable_decrypt_config()->add_recipients(r);
        }
    }
    // The Twin-style config mapping is not reused: these are Kanto's internal snake_case names.
    const json::array* mounts = nullptr;
    if (auto e =
            go_json::get_array(member(o, "mount_points"), f("mount_points", "[]types.MountPoint"), mounts);
        !e.empty())
        return fail(e);
    for (const auto& m : mounts != nullptr ? *mounts : json::array{}) {
        if (!m.is_object()) return fail(f("mount_points", "types.MountPoint").error(go_json::kind(m)));
        auto* mp = c.add_mounts();
        const auto mt = f("mount_points", "");
        GET_STR(m.as_object(), "destination", mt.member("MountPoint", "destination", "string"),
                mp->set_destination);
        GET_STR(m.as_object(), "source", mt.member("MountPoint", "source", "string"), mp->set_source);
        GET_STR(m.as_object(), "propagation_mode", mt.member("MountPoint", "propagation_mode", "string"),
                mp->set_propagation_mode);
    }
    const json::object* config = nullptr;
    if (auto e =
            go_json::get_object(member(o, "config"), f("config", "types.ContainerConfiguration"), config);
        !e.empty())
        return fail(e);
    if (config != nullptr) {
        std::vector<std::string> env, cmd;
        if (auto e = go_json::get(member(*config, "env"),
                                  f("config", "").member("ContainerConfiguration", "env", "[]string"), env);
            !e.empty())
            return fail(e);
        if (auto e = go_json::get(member(*config, "cmd"),
                                  f("config", "").member("ContainerConfiguration", "cmd", "[]string"), cmd);
            !e.empty())
            return fail(e);
        for (auto& x : env) c.mutable_config()->add_env(x);
        for (auto& x : cmd) c.mutable_config()->add_cmd(x);
    }
    const json::object* io = nullptr;
    if (auto e = go_json::get_object(member(o, "io_config"), f("io_config", "types.IOConfig"), io);
        !e.empty())
        return fail(e);
    if (io != nullptr) {
        auto* ioc = c.mutable_io_config();
        bool b = false;
        const auto it = f("io_config", "");
        for (auto [key, setter] :
             std::initializer_list<std::pair<const char*, void (kcm::types::IOConfig::*)(bool)>>{
                 {"attach_stderr", &kcm::types::IOConfig::set_attach_stderr},
                 {"attach_stdin", &kcm::types::IOConfig::set_attach_stdin},
                 {"attach_stdout", &kcm::types::IOConfig::set_attach_stdout},
                 {"open_stdin", &kcm::types::IOConfig::set_open_stdin},
                 {"stdin_once", &kcm::types::IOConfig::set_stdin_once},
                 {"tty", &kcm::types::IOConfig::set_tty}}) {
            b = false;
            if (auto e = go_json::get(member(*io, key), it.member("IOConfig", key, "bool"), b); !e.empty())
                return fail(e);
            (ioc->*setter)(b);
        }
    }
    const json::object* hc = nullptr;
    if (auto e = go_json::get_object(member(o, "host_config"), f("host_config", "types.HostConfig"), hc);
        !e.empty())
        return fail(e);
    if (hc != nullptr) {
        auto* h = c.mutable_host_config();
        const auto ht = f("host_config", "");
        auto hf = [&](const char* name, const char* type) { return ht.member("HostConfig", name, type); };
        GET_STR(*hc, "network_mode", hf("network_mode", "string"), h->set_network_mode);
        GET_STR(*hc, "runtime", hf("runtime", "string"), h->set_runtime);
        bool privileged = false;
        if (auto e = go_json::get(member(*hc, "privileged"), hf("privileged", "bool"), privileged);
            !e.empty())
            return fail(e);
        h->set_privileged(privileged);
        std::vector<std::string> list;
        if (auto e = go_json::get(member(*hc, "extra_hosts"), hf("extra_hosts", "[]string"), list);
            !e.empty())
            return fail(e);
        for (auto& x : list) h->add_extra_hosts(x);
        list.clear();
        if (auto e =
                go_json::get(member(*hc, "extra_capabilities"), hf("extra_capabilities", "[]string"), list);
            !e.empty())
            return fail(e);
        for (auto& x : list) h->add_extra_capabilities(x);
        const json::array* devices = nullptr;
        if (auto e =
                go_json::get_array(member(*hc, "devices"), hf("devices", "[]types.DeviceMapping"), devices);
            !e.empty())
            return fail(e);
        for (const auto& d : devices != nullptr ? *devices : json::array{}) {
            if (!d.is_object()) return fail(hf("devices", "types.DeviceMapping").error(go_json::kind(d)));
            auto* dev = h->add_devices();
            const auto dt = hf("devices", "");
            GET_STR(d.as_object(), "path_on_host", dt.member("DeviceMapping", "path_on_host", "string"),
                    dev->set_path_on_host);
            GET_STR(d.as_object(), "path_in_container",
                    dt.member("DeviceMapping", "path_in_container", "string"), dev->set_path_in_container);
            GET_STR(d.as_object(), "cgroup_permissions",
                    dt.member("DeviceMapping", "cgroup_permissions", "string"), dev->set_cgroup_permissions);
        }
        const json::array* ports = nullptr;
        if (auto e = go_json::get_array(member(*hc, "port_mappings"),
                                        hf("port_mappings", "[]types.PortMapping"), ports);
            !e.empty())
            return fail(e);
        for (const auto& p : ports != nullptr ? *ports : json::array{}) {
            if (!p.is_object()) return fail(hf("port_mappings", "types.PortMapping").error(go_json::kind(p)));
            auto* pm = h->add_port_mappings();
            const auto pt = hf("port_mappings", "");
            GET_STR(p.as_object(), "proto", pt.member("PortMapping", "proto", "string"), pm->set_protocol);
            GET_STR(p.as_object(), "host_ip", pt.member("PortMapping", "host_ip", "string"), pm->set_host_ip);
            std::int64_t n = 0;
            for (auto [key, setter] : std::initializer_list<
                     std::pair<const char*, void (kcm::types::PortMapping::*)(std::int64_t)>>{
                     {"container_port", &kcm::types::PortMapping::set_container_port},
                     {"host_port", &kcm::types::PortMapping::set_host_port},
                     {"host_port_end", &kcm::types::PortMapping::set_host_port_end}}) {
                n = 0;
                if (auto e = go_json::get_uint16(member(p.as_object(), key),
                                                 pt.member("PortMapping", key, "uint16"), n);
                    !e.empty())
                    return fail(e);
                (pm->*setter)(n);
            }
        }
        const json::object* rp = nullptr;
        if (auto e = go_json::get_object(member(*hc, "restart_policy"),
                                         hf("restart_policy", "types.RestartPolicy"), rp);
            !e.empty())
            return fail(e);
        if (rp != nullptr) {
            auto* p = h->mutable_restart_policy();
            const auto rt = hf("restart_policy", "");
            GET_STR(*rp, "type", rt.member("RestartPolicy", "type", "types.PolicyType"), p->set_type);
            std::int64_t count = 0, timeout_ns = 0;
            if (auto e = go_json::get(member(*rp, "maximum_retry_count"),
                                      rt.member("RestartPolicy", "maximum_retry_count", "int"), count);
                !e.empty())
                return fail(e);
            // A Go time.Duration: a JSON number is nanoseconds; the gRPC field is seconds.
            if (auto e =
                    go_json::get(member(*rp, "retry_timeout"),
                                 rt.member("RestartPolicy", "retry_timeout", "time.Duration"), timeout_ns);
                !e.empty())
                return fail(e);
            p->set_maximum_retry_count(count);
            p->set_retry_timeout(timeout_ns / 1'000'000'000);
        }
        const json::object* res = nullptr;
        if (auto e = go_json::get_object(member(*hc, "resources"), hf("resources", "types.Resources"), res);
            !e.empty())
            return fail(e);
        if (res != nullptr) {
            auto* r = h->mutable_resources();
            const auto rt = hf("resources", "");
            GET_STR(*res, "memory", rt.member("Resources", "memory", "string"), r->set_memory);
            GET_STR(*res, "memory_reservation", rt.member("Resources", "memory_reservation", "string"),
                    r->set_memory_reservation);
            GET_STR(*res, "memory_swap", rt.member("Resources", "memory_swap", "string"), r->set_memory_swap);
        }
        const json::object* log = nullptr;
        if (auto e = go_json::get_object(member(*hc, "log_config"),
                                         hf("log_config", "types.LogConfiguration"), log);
            !e.empty())
            return fail(e);
        if (log != nullptr) {
            const auto lt = hf("log_config", "");
            const json::object* driver = nullptr;
            const json::object* mode = nullptr;
            if (auto e = go_json::get_object(
                    member(*log, "driver_config"),
                    lt.member("LogConfiguration", "driver_config", "types.LogDriverConfiguration"), driver);
                !e.empty()) {
                return fail(e);
            }
            if (auto e = go_json::get_object(
                    member(*log, "mode_config"),
                    lt.member("LogConfiguration", "mode_config", "types.LogModeConfiguration"), mode);
                !e.empty()) {
                return fail(e);
            }
            auto* lc = h->mutable_log_config();
            if (driver != nullptr) {
                auto* d = lc->mutable_driver_config();
                GET_STR(*driver, "type", lt.member("LogDriverConfiguration", "type", "string"), d->set_type);
                GET_STR(*driver, "max_size", lt.member("LogDriverConfiguration", "max_size", "string"),
                        d->set_max_size);
                GET_STR(*driver, "root_dir", lt.member("LogDriverConfiguration", "root_dir", "string"),
                        d->set_root_dir);
                std::int64_t files = 0;
                if (auto e = go_json::get(member(*driver, "max_files"),
                                          lt.member("LogDriverConfiguration", "max_files", "int"), files);
                    !e.empty())
                    return fail(e);
                d->set_max_files(files);
            }
            if (mode != nullptr) {
                auto* m = lc->mutable_mode_config();
                GET_STR(*mode, "mode", lt.member("LogModeConfiguration", "mode", "string"), m->set_mode);
                GET_STR(*mode, "max_buffer_size",
                        lt.member("LogModeConfiguration", "max_buffer_size", "string"),
                        m->set_max_buffer_size);
            }
        }
    }
#undef GET_STR
    // Validate a defaulted copy like Kanto-CM's Create would; Kanto-CM applies its own defaults.
    auto checked = c;
    kanto::apply_create_defaults(
        checked, checked.id().empty() ? "00000000-0000-4000-8000-000000000000" : checked.id());
    if (auto e = kanto::validate_container(checked); !e.empty()) return descriptor_error{true, e};
    return c;
}

std::string check_checksum(const su_artifact& a, const digests& actual) {
    const std::string* expected = nullptr;
    const std::string* got = nullptr;
    std::string name;
    std::size_t bytes = 0;
    if (!a.md5.empty())
        expected = &a.md5, got = &actual.md5, name = "md5", bytes = 16;
    else if (!a.sha1.empty())
        expected = &a.sha1, got = &actual.sha1, name = "sha1", bytes = 20;
    else if (!a.sha256.empty())
        expected = &a.sha256, got = &actual.sha256, name = "sha256", bytes = 32;
    if (expected == nullptr) return {};
    // An over-long but valid hex string is rejected here, not a panic as in the original (B5).
    if (!is_hex(*expected) || expected->size() > 2 * bytes) {
        return "the provided input hash is either invalid, not a hex string or the length exceeds " +
               std::to_string(bytes) + " bytes";
    }
    std::string lower = *expected;
    for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (lower != *got) return name + " checksum does not match";
    return {};
}

json::value operation_status::to_json() const {
    json::object o{{"correlationId", correlation_id}, {"status", status}};
    if (software_module)
        o["softwareModule"] =
            json::object{{"name", software_module->first}, {"version", software_module->second}};
    if (!software.empty()) {
        json::array a;
        for (const auto& s : software) a.push_back(s);
        o["software"] = std::move(a);
    }
    if (!message.empty()) o["message"] = message;
    return o;
}

}  // namespace twin
