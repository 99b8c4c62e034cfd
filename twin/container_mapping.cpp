#include "container_mapping.hpp"

#include <cstdint>

#include <boost/json/array.hpp>

#include "enum_tables.hpp"
#include "features.hpp"

namespace twin {
namespace json = boost::json;
namespace {

json::array strings(const google::protobuf::RepeatedPtrField<std::string>& list) {
    json::array a;
    a.reserve(static_cast<std::size_t>(list.size()));
    for (const auto& s : list) a.emplace_back(s);
    return a;
}

void put_if(json::object& o, std::string_view key, const std::string& v) {
    if (!v.empty()) o[key] = v;
}

}  // namespace

std::string restart_policy_to_twin(const std::string& v) {
    return enum_tables::to_twin(enum_tables::restart_policy, v);
}
std::string network_mode_to_twin(const std::string& v) {
    return enum_tables::to_twin(enum_tables::network_mode, v);
}
std::string log_type_to_twin(const std::string& v) {
    return enum_tables::to_twin(enum_tables::log_type, v);
}
std::string log_mode_to_twin(const std::string& v) {
    return enum_tables::to_twin(enum_tables::log_mode, v);
}

std::string propagation_to_twin(const std::string& v) {
    const auto out = enum_tables::to_twin(enum_tables::propagation, v);
    return out == v ? "RPRIVATE" : out;  // unknown modes become RPRIVATE (table E)
}

std::string status_to_twin(const std::string& v) {
    const auto out = enum_tables::to_twin(enum_tables::status, v);
    return out == v ? "UNKNOWN" : out;  // unknown statuses become UNKNOWN (table F)
}

json::object container_config_json(const kcm::types::Container& c) {
    json::object o;
    const auto& hc = c.host_config();
    put_if(o, "domainName", c.domain_name());
    if (c.mounts_size() > 0) {
        json::array mounts;
        for (const auto& m : c.mounts()) {
            mounts.push_back(json::object{{"source", m.source()},
                                          {"destination", m.destination()},
                                          {"propagationMode", propagation_to_twin(m.propagation_mode())}});
        }
        o["mountPoints"] = std::move(mounts);
    }
    put_if(o, "hostName", c.host_name());
    if (c.config().env_size() > 0) o["env"] = strings(c.config().env());
    if (c.config().cmd_size() > 0) o["cmd"] = strings(c.config().cmd());
    if (c.image().has_decrypt_config()) {
        json::object d;
        const auto& dc = c.image().decrypt_config();
        if (dc.keys_size() > 0) d["keys"] = strings(dc.keys());
        if (dc.recipients_size() > 0) d["recipients"] = strings(dc.recipients());
        o["decryption"] = std::move(d);
    }
    if (hc.devices_size() > 0) {
        json::array devices;
        for (const auto& d : hc.devices()) {
            json::object dev{{"pathOnHost", d.path_on_host()}, {"pathInContainer", d.path_in_container()}};
            put_if(dev, "cgroupPermissions", d.cgroup_permissions());
            devices.push_back(std::move(dev));
        }
        o["devices"] = std::move(devices);
    }
    if (hc.privileged()) o["privileged"] = true;
    if (hc.has_restart_policy()) {
        const auto& p = hc.restart_policy();
        json::object rp;
        if (p.maximum_retry_count() != 0) rp["maxRetryCount"] = p.maximum_retry_count();
        if (p.retry_timeout() != 0) rp["retryTimeout"] = p.retry_timeout();  // seconds (Go emits a float)
        if (!p.type().empty()) rp["type"] = restart_policy_to_twin(p.type());
        o["restartPolicy"] = std::move(rp);
    }
    if (hc.extra_hosts_size() > 0) o["extraHosts"] = strings(hc.extra_hosts());
    if (!hc.privileged() && hc.extra_capabilities_size() > 0)
        o["extraCapabilities"] = strings(hc.extra_capabilities());
    if (hc.port_mappings_size() > 0) {
        json::array ports;
        for (const auto& p : hc.port_mappings()) {
            json::object pm;
            put_if(pm, "proto", p.protocol());
            pm["hostPort"] = static_cast<std::uint16_t>(p.host_port());  // uint16 inside Kanto
            if (static_cast<std::uint16_t>(p.host_port_end()) != 0) {
                pm["hostPortEnd"] = static_cast<std::uint16_t>(p.host_port_end());
            }
            pm["containerPort"] = static_cast<std::uint16_t>(p.container_port());
            put_if(pm, "hostIP", p.host_ip());
            ports.push_back(std::move(pm));
        }
        o["portMappings"] = std::move(ports);
    }
    if (!hc.network_mode().empty()) o["networkMode"] = network_mode_to_twin(hc.network_mode());
    if (c.io_config().open_stdin()) o["openStdin"] = true;
    if (c.io_config().tty()) o["tty"] = true;
    if (hc.has_log_config()) {
        const auto& d = hc.log_config().driver_config();
        const auto& m = hc.log_config().mode_config();
        json::object log;
        if (!d.type().empty()) log["type"] = log_type_to_twin(d.type());
        if (d.max_files() != 0) log["maxFiles"] = d.max_files();
        put_if(log, "maxSize", d.max_size());
        put_if(log, "rootDir", d.root_dir());
        if (!m.mode().empty()) log["mode"] = log_mode_to_twin(m.mode());
        put_if(log, "maxBufferSize", m.max_buffer_size());
        o["log"] = std::move(log);
    }
    if (hc.has_resources()) {
        const auto& r = hc.resources();
        json::object res;
        put_if(res, "memory", r.memory());
        put_if(res, "memoryReservation", r.memory_reservation());
        put_if(res, "memorySwap", r.memory_swap());
        o["resources"] = std::move(res);
    }
    return o;
}

json::object container_state_json(const kcm::types::State& s) {
    json::object o;
    o["status"] = status_to_twin(s.status());
    if (s.pid() != 0) o["pid"] = s.pid();
    put_if(o, "error", s.error());
    if (s.exit_code() != 0) o["exitCode"] = s.exit_code();
    put_if(o, "startedAt", s.started_at());
    put_if(o, "finishedAt", s.finished_at());
    if (s.oomkilled()) o["oomKilled"] = true;
    return o;
}

json::object container_status_json(const kcm::types::Container& c) {
    json::object o;
    put_if(o, "name", c.name());
    o["imageRef"] = c.image().name();
    o["config"] = container_config_json(c);
    o["createdAt"] = c.created();
    o["state"] = container_state_json(c.state());
    return o;
}

json::object container_feature_json(const kcm::types::Container& c) {
    return json::object{{"definition", json::array{features::container_definition}},
                        {"properties", json::object{{"status", container_status_json(c)}}}};
}

}  // namespace twin
